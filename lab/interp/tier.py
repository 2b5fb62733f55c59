"""The translating tier at run time: per-instance namespaces, translation on first call, entry
from Python (call-depth limit, trap mapping), and the cache of generated code.

Every instance gets one namespace dict (`ModuleInst.ns`) that its generated functions use as
their globals: its memory `M`, globals `g<k>`/`gv<k>`, tables `T<k>`, the store `S`, numeric
helpers, and one name `f<index>` per function. A defined function's name first holds a stub;
the first call translates the function (translate.py), executes the code object in the
namespace (which rebinds the name to the real function) and records it in `FuncInst.py`, where
call_indirect and other instances find it. Imported functions are bound to small adapters.

Code objects depend only on the module, so they are kept per module (`_interp_pycode`) and,
when a disk cache is configured (the CLI does; see `configure_disk_cache`), in one marshal
file per module digest, so a second process starts without translating anything.

Call depth: Wasm calls are Python calls. At each entry from Python, `invoke` counts the Wasm
frames already on the Python stack (code objects named translate.FILENAME), and sets the
recursion limit so that at most `max_call_depth` Wasm frames (plus a small slack for host
and helper frames at the deepest one) fit; RecursionError becomes TRAP_STACK_EXHAUSTED.
"""

from __future__ import annotations

import os
import struct
import sys
from types import FrameType, FunctionType

from . import module as m
from .errors import (
    TRAP_DIV_ZERO,
    TRAP_INDIRECT_MISMATCH,
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    TRAP_OUT_OF_FUEL,
    TRAP_STACK_EXHAUSTED,
    TRAP_UNDEFINED_ELEMENT,
    TRAP_UNINITIALIZED_ELEMENT,
    TRAP_UNREACHABLE,
    Trap,
)

WASM_FILE = "<wasm>"   # == translate.FILENAME (not imported: translate.py loads only on a miss)
SLACK = 40             # Python frames allowed below the deepest Wasm frame (hosts, helpers)

TRANSLATE = "translate"
INTERPRET = "interpreter"

# CPython 3.11 keeps frames in 16 KiB chunks and frees a chunk as soon as the frame that opened
# it returns, so recursion that keeps crossing a chunk's edge (ackermann's) pays an mmap, a
# munmap and fresh page faults per crossing: ackermann spent a third of its run in system time
# (fixed in later CPython releases, gh-142183). A long run therefore starts from a frame
# declared 2 MiB of stack slots deep (call_with_room): it gets a 4 MiB chunk of its own, whose
# untouched upper half (address space, not memory) holds the first ~13,000 Wasm frames above
# it, so no chunk edge is crossed below that depth. Mapping the chunk costs ~13 us, so it is
# for a whole program's run (wasi_host), not for every call into Wasm.
ENTRY_ROOM = (1 << 18) + 1


def _call(fn, args):
    return fn(*args)


_call_in_room = FunctionType(_call.__code__.replace(co_stacksize=ENTRY_ROOM), globals())


def call_with_room(fn, *args):
    """`fn(*args)` from a frame whose chunk has room for the frames above it (see above)."""
    return _call_in_room(fn, args)


# ---------------------------------------------------------------------------------------------
# Shared helpers of all namespaces

def _raiser(kind: str):
    def trap(*_args):
        raise Trap(kind)
    trap.__name__ = kind.replace(" ", "_")
    return trap


def table_get(table, i):
    elems = table.elems
    if i >= len(elems):
        raise Trap(TRAP_OOB_TABLE)
    return elems[i]


def table_set(table, i, v):
    elems = table.elems
    if i >= len(elems):
        raise Trap(TRAP_OOB_TABLE)
    elems[i] = v


_BASE: dict | None = None
_NUMERIC: dict | None = None
_STRUCT_FORMATS = {"I": "<I", "Q": "<Q", "d": "<d", "h": "<h", "H": "<H", "i": "<i"}


def _base_namespace() -> dict:
    """What every namespace starts with (numeric helpers are added per function, on demand:
    see _bind_numeric, so a cold start need not import numeric.py)."""
    global _BASE
    if _BASE is None:
        from . import runtime as rt
        base = {
            "Trap": Trap, "unreachable": _raiser(TRAP_UNREACHABLE),
            "out_of_fuel": _raiser(TRAP_OUT_OF_FUEL), "div_zero": _raiser(TRAP_DIV_ZERO),
            "oob": _raiser(TRAP_OOB_MEMORY),
            "table_get": table_get, "table_set": table_set,
            "memory_init": rt.memory_init, "memory_copy": rt.memory_copy,
            "memory_fill": rt.memory_fill, "memory_copy_across": rt.memory_copy_across,
            "table_init": rt.table_init,
            "table_copy": rt.table_copy, "table_fill": rt.table_fill,
        }
        from .eh import throw_ref, throw_tag  # exception handling (translate.py's throw)
        base.update(throw_tag=throw_tag, throw_ref=throw_ref)
        for key, fmt in _STRUCT_FORMATS.items():
            s = struct.Struct(fmt)
            base["ld" + key] = s.unpack_from
            base["st" + key] = s.pack_into
        _BASE = base
    return _BASE


def _numeric_helpers() -> dict:
    global _NUMERIC
    if _NUMERIC is None:
        import math

        from . import numeric as n
        from .pyops import helper_name
        helpers = {"fdiv": n.fdiv, "fsqrt": n.fsqrt, "sqrt": math.sqrt, "fabs": math.fabs,
                   "copysign": math.copysign, "bits_to_f64": n.bits_to_f64}
        for op, fn in n.UNARY.items():
            helpers[helper_name(op, False)] = fn
        for op, fn in n.BINARY.items():
            helpers[helper_name(op, True)] = fn
        _NUMERIC = helpers
    return _NUMERIC


_HELPER_NAMES = frozenset(("fdiv", "fsqrt", "sqrt", "fabs", "copysign", "bits_to_f64"))


def _is_helper(name: str) -> bool:
    """A numeric helper's name (see pyops.helper_name), not an attribute or a global."""
    return name in _HELPER_NAMES or (name[0] in "UB" and name[1:].isalnum()
                                     and all(c in "0123456789abcdef" for c in name[1:]))


def _bind_numeric(ns: dict, code) -> None:
    """Add to `ns` the numeric helpers the generated function (in `code`) refers to."""
    for inner in code.co_consts:
        if hasattr(inner, "co_names"):
            missing = [name for name in inner.co_names if name not in ns and _is_helper(name)]
            if missing:
                helpers = _numeric_helpers()
                ns.update((name, helpers[name]) for name in missing if name in helpers)
    if "bits_to_f64" in code.co_names and "bits_to_f64" not in ns:
        ns["bits_to_f64"] = _numeric_helpers()["bits_to_f64"]


def _bind_atomics(ns: dict, code) -> None:
    """Add to `ns` the atomics helpers (atomics.helper_name) the generated function calls;
    atomics.py is imported only for modules that use them."""
    for inner in code.co_consts:
        if hasattr(inner, "co_names"):
            for name in inner.co_names:
                if name.startswith("atomic_") and name not in ns:
                    from .atomics import helper
                    fn = helper(name)
                    if fn is not None:
                        ns[name] = fn


# ---------------------------------------------------------------------------------------------
# Adapters (arity-specific so that calls through them stay plain Python calls: CPython 3.11
# runs those without recursing in C, `f(*args)` would not)

_ADAPTERS: dict = {}


def _adapter(kind: str, nparams: int, nresults: int):
    """A factory of functions with exactly `nparams` parameters that call `target` (kind
    "forward": a Wasm function's current callable, looked up at each call) or a host function
    (kind "host")."""
    key = (kind, nparams, nresults)
    factory = _ADAPTERS.get(key)
    if factory is None:
        params = ", ".join(f"a{i}" for i in range(nparams))
        if kind == "forward":
            body = f"return fi.py({params})"
        else:
            call = f"host(caller, [{params}])"
            body = {0: f"{call}\n        return None", 1: f"return {call}[0]"}.get(
                nresults, f"return tuple({call})")
        src = (f"def factory(fi, host, caller):\n    def adapter({params}):\n        {body}\n"
               f"    return adapter\n")
        scope: dict = {}
        exec(src, scope)
        factory = _ADAPTERS[key] = scope["factory"]
    return factory


def _host_callable(fi, caller):
    t = fi.type
    return _adapter("host", len(t.params), len(t.results))(fi, fi.host, caller)


def _is_subtype(actual, expected) -> bool:
    """call_indirect of a function whose type is a declared subtype (GC modules only)."""
    from .gctypes import heap_sub_canon
    return heap_sub_canon(actual, expected)


def _call_target_for(inst):
    def call_target(elems, i, ftype):
        if i >= len(elems):
            raise Trap(TRAP_UNDEFINED_ELEMENT)
        f = elems[i]
        if f is None:
            raise Trap(TRAP_UNINITIALIZED_ELEMENT)
        if f.type is not ftype and not _is_subtype(f.type, ftype):
            raise Trap(TRAP_INDIRECT_MISMATCH)
        py = f.py
        if py is None:
            if f.host is not None:
                return _host_callable(f, inst)
            namespace(inst.store, f.inst)
            py = f.py
        return py
    return call_target


# ---------------------------------------------------------------------------------------------
# Namespaces and translation on first call

def namespace(store, inst) -> dict:
    """The instance's namespace, (re)built when missing or when the store's fuel mode (limited
    or not) differs from the one its code was generated for."""
    fuel = store.fuel is not None
    ns = inst.ns
    if ns is not None and ns["FUEL"] == fuel:
        return ns
    mod = inst.module
    ns = dict(_base_namespace())
    ns.update(FUEL=fuel, S=store, INST=inst, FUNCS=inst.funcs, MEM=inst.mem0, M=inst.M,
              call_target=_call_target_for(inst))
    inst.store = store
    inst.ns = ns
    from .runtime import global_is_mutable
    for k, g in enumerate(inst.globals):
        if global_is_mutable(mod, k):
            ns[f"g{k}"] = g
        else:
            ns[f"gv{k}"] = g.value
    for k, t in enumerate(inst.tables):
        ns[f"T{k}"] = t
    for k in range(1, len(inst.mems)):  # multi-memory (memory 0 is M)
        ns[f"M{k}"] = inst.mems[k].data
    for k, ct in enumerate(inst.canon):
        ns[f"TY{k}"] = ct
    first_defined = len(inst.funcs) - len(mod.funcs)
    for j, fi in enumerate(inst.funcs):
        name = f"f{j}"
        t = fi.type
        if j >= first_defined:
            fi.py = ns[name] = _stub(fi, name)
        elif fi.host is not None:
            ns[name] = _host_callable(fi, inst)
        else:
            if fi.inst.ns is None or fi.inst.ns["FUEL"] != fuel:
                namespace(store, fi.inst)
            ns[name] = _adapter("forward", len(t.params), len(t.results))(fi, None, None)
    return ns


def _stub(fi, name: str):
    def stub(*args):
        return _materialize(fi, name)(*args)
    return stub


def _materialize(fi, name: str):
    """Translate (or fetch from the caches) and bind the real function for `fi`."""
    inst = fi.inst
    ns = inst.ns
    code = code_for(inst.module, inst.func_types, fi.defined_index, ns["FUEL"])
    if code is None:
        fn = _interpreted(fi, inst.store)
    else:
        _bind_numeric(ns, code)
        _bind_atomics(ns, code)
        exec(code, ns)
        fn = ns[name]
    ns[name] = fn
    fi.py = fn
    return fn


def _interpreted(fi, store):
    """The callable of a function left to the interpreter tier (see translate.Untranslatable).
    Its frames are counted into store.depth so the interpreter's own depth limit holds."""
    from .machine import interpret
    nres = len(fi.type.results)

    def run(*args):
        saved = store.depth
        store.depth = saved + _stack_depth()[1]
        try:
            r = interpret(store, fi, list(args))
        finally:
            store.depth = saved
        return None if nres == 0 else r[0] if nres == 1 else tuple(r)
    return run


_UNTRANSLATABLE = object()


def code_for(mod: m.Module, func_types, defined_index: int, fuel: bool):
    """The code object of a defined function's generated source, or None if it must stay on
    the interpreter."""
    cache = mod.__dict__.setdefault("_interp_pycode", {})
    key = (defined_index, fuel)
    code = cache.get(key)
    if code is None:
        from .translate import Untranslatable, compile_function_source, translate_function
        try:
            code = compile_function_source(translate_function(mod, func_types, defined_index,
                                                              fuel))
        except Untranslatable:
            code = _UNTRANSLATABLE
        cache[key] = code
        _DIRTY.add(id(mod))
    return None if code is _UNTRANSLATABLE else code


def translate_all(mod: m.Module, func_types, fuel: bool = False) -> None:
    for i in range(len(mod.funcs)):
        code_for(mod, func_types, i, fuel)


# ---------------------------------------------------------------------------------------------
# Entry from Python

def _stack_depth() -> tuple[int, int]:
    """(Python frames, Wasm frames) on the current thread's stack."""
    frames = wasm = 0
    f: FrameType | None = sys._getframe(1)
    while f is not None:
        frames += 1
        if f.f_code.co_filename == WASM_FILE:
            wasm += 1
        f = f.f_back
    return frames, wasm


def execute(store, f, args: list) -> list:
    """Run `f` on the store's tier (the engine's single entry point from Python)."""
    if store.tier == TRANSLATE:
        return invoke(store, f, args)
    from .machine import interpret
    return interpret(store, f, args)


def invoke(store, f, args: list) -> list:
    """Run the Wasm function instance `f` with `args` (internal representation); its results
    as a list. Raises Trap."""
    inst = f.inst
    ns = inst.ns
    if ns is None or ns["FUEL"] != (store.fuel is not None):
        namespace(store, inst)
    fn = f.py
    frames, wasm = _stack_depth()
    budget = store.max_call_depth - store.depth - wasm
    if budget <= 0:
        raise Trap(TRAP_STACK_EXHAUSTED)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + budget + SLACK)
    try:
        r = fn(*args)
    except (struct.error, IndexError):
        raise Trap(TRAP_OOB_MEMORY) from None
    except RecursionError:
        raise Trap(TRAP_STACK_EXHAUSTED) from None
    finally:
        sys.setrecursionlimit(old)
    n = len(f.type.results)
    if n == 0:
        return []
    if n == 1:
        return [r]
    return list(r)


# ---------------------------------------------------------------------------------------------
# The disk cache of generated code (opt-in: the CLI turns it on)

_DISK_DIR = None
_DIRTY: set = set()
_DISK_MODULES: list = []   # (module, path) loaded or to be written


def configure_disk_cache(folder) -> None:
    """Keep generated code under `folder` (a directory), one file per module digest."""
    global _DISK_DIR
    _DISK_DIR = folder


def _translator_key() -> str:
    try:
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    here = os.path.dirname(__file__)
    h = blake2b(digest_size=8)
    h.update(sys.implementation.cache_tag.encode())
    for name in ("translate.py", "jumps.py", "pyops.py", "numeric.py", "wide.py"):
        with open(os.path.join(here, name), "rb") as source:
            h.update(source.read())
    return h.hexdigest()


def cached_code(wasm: bytes):
    """(path, entries) of the disk cache for these module bytes: entries is None when
    nothing is cached yet; (None, None) when no disk cache is configured. The file is only
    written for modules that decoded and validated, so its presence vouches for the bytes."""
    if _DISK_DIR is None:
        return None, None
    import marshal
    try:
        from _blake2 import blake2b  # the C module itself: hashlib costs an OpenSSL load
    except ImportError:
        from hashlib import blake2b
    digest = blake2b(wasm, digest_size=16).hexdigest()
    path = os.path.join(_DISK_DIR, f"{digest}.{_translator_key()}.marshal")  # os.path: pathlib costs ~3 ms
    try:
        with open(path, "rb") as cached:
            return path, marshal.loads(cached.read())
    except (OSError, ValueError, EOFError, TypeError):
        return path, None


def attach_disk_cache(mod: m.Module, path, entries) -> None:
    """Give `mod` the cached code `entries` and remember to save new code to `path`."""
    if path is None:
        return
    _DISK_MODULES.append((mod, path))
    if not entries:
        return
    cache = mod.__dict__.setdefault("_interp_pycode", {})
    for key, code in entries.items():
        cache.setdefault(key, _UNTRANSLATABLE if code is None else code)


def save_disk_caches() -> None:
    """Write the code translated in this process for modules with a disk cache (merged with
    what another process may have written meanwhile; atomic replace)."""
    import marshal
    for mod, path in _DISK_MODULES:
        if id(mod) not in _DIRTY:
            continue
        entries = {}
        try:
            with open(path, "rb") as cached:
                entries = marshal.loads(cached.read())
        except (OSError, ValueError, EOFError, TypeError):
            pass
        for key, code in mod.__dict__.get("_interp_pycode", {}).items():
            entries[key] = None if code is _UNTRANSLATABLE else code
        try:
            _write_atomically(path, marshal.dumps(entries))
            _remove_other_versions(path)
        except OSError:
            pass
        _DIRTY.discard(id(mod))


def _write_atomically(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _remove_other_versions(path: str) -> None:
    """Drop this module's code from other translator versions (same digest, other key)."""
    folder, name = os.path.split(path)
    digest = name.split(".", 1)[0]
    for other in os.listdir(folder):
        if other != name and other.startswith(f"{digest}.") and other.endswith(".marshal"):
            try:
                os.unlink(os.path.join(folder, other))
            except FileNotFoundError:
                pass
