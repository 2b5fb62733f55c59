"""Runtime structures: the store, function/table/memory/global instances, module instances,
linking and instantiation, and the bulk memory/table helpers the executor calls.

Values are in the internal representation described in numeric.py. Everything here raises only
lab.interp.errors types (LinkError, LimitError, Trap).
"""

from __future__ import annotations

import mmap

from . import module as m
from .errors import TRAP_OOB_MEMORY, TRAP_OOB_TABLE, LimitError, LinkError, Trap

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

DEFAULT_MAX_MEMORY_PAGES = 16384       # 1 GiB
DEFAULT_MAX_TABLE_ELEMENTS = 10_000_000
DEFAULT_MAX_CALL_DEPTH = 20_000
MAX_TABLE_SIZE = 0xFFFFFFFF
# Execution tiers: "translate" (Wasm functions become Python functions, see tier.py) or
# "interpreter" (compile.py + machine.py). WASMLAB_INTERP_TIER overrides the default.
TIERS = ("translate", "interpreter")


_CANON: dict = {}


def canonical_type(ft: m.FuncType) -> m.FuncType:
    """The process-wide canonical object for a function type (call_indirect compares by
    identity)."""
    c = _CANON.get(ft)
    if c is None:
        c = _CANON.setdefault(ft, ft)
    return c


def global_is_mutable(module: m.Module, index: int) -> bool:
    """Whether global `index` (imports first) of `module` is mutable."""
    imported = module.imports_of(m.KIND_GLOBAL)
    if index < len(imported):
        desc = imported[index].desc
        assert isinstance(desc, m.GlobalType)
        return desc.mutable
    return module.globals[index - len(imported)].type.mutable


def default_tier() -> str:
    import os
    tier = os.environ.get("WASMLAB_INTERP_TIER", "translate")
    return tier if tier in TIERS else "translate"


class Store:
    """Owns every runtime object created in it, plus its limits and fuel.

    fuel: None for unlimited; otherwise units left (one unit per call plus, per loop iteration,
    the size of the loop body: in compiled instructions on the interpreter, in Wasm
    instructions on the translating tier).
    tier: which executor runs this store's code ("translate" or "interpreter")."""

    def __init__(self, *, fuel: int | None = None,
                 max_memory_pages: int = DEFAULT_MAX_MEMORY_PAGES,
                 max_table_elements: int = DEFAULT_MAX_TABLE_ELEMENTS,
                 max_call_depth: int = DEFAULT_MAX_CALL_DEPTH, tier: str | None = None) -> None:
        tier = tier or default_tier()
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; one of {', '.join(TIERS)}")
        self.tier = tier
        self.fuel = fuel
        self.max_memory_pages = max_memory_pages
        self.max_table_elements = max_table_elements
        self.max_call_depth = max_call_depth
        self.depth = 0  # Wasm frames active in executors further up the Python stack
        # GC structs and arrays share the memory limit: a gcvalues.GcHeap, made by the first
        # allocation (gcvalues.heap_of), so modules without GC do not import it at start-up
        self.gc_heap = None
        # Exception handling: estimated bytes of live exceptions, bounded like memory (eh.py).
        self.exn_bytes = 0
        self.max_exn_bytes = max_memory_pages * m.PAGE_SIZE


class FuncInst:
    """A function instance: a Wasm function (inst + compiled body) or a host function
    (`host(caller_instance_or_None, args: list) -> sequence of results`)."""

    __slots__ = ("__weakref__", "compiled", "defined_index", "entry", "host", "inst", "module",
                 "name", "nparams", "py", "type")

    def __init__(self, ftype, inst=None, defined_index: int = -1, host=None,
                 name: str = "") -> None:
        # a FuncType (canonicalised here) or an already canonical type (gctypes.DefType)
        self.type = canonical_type(ftype) if isinstance(ftype, m.FuncType) else ftype
        self.nparams = len(ftype.params)
        self.inst = inst
        self.defined_index = defined_index
        self.compiled = None  # CompiledCode, at the first call
        self.entry = None     # what the executor needs at a call: (code, nparams, zeros, weight)
        self.host = host
        self.name = name
        self.py = None        # translating tier: the Python callable (see tier.py)

    def compile(self):
        inst = self.inst
        cache = inst.compiled_cache
        c = cache[self.defined_index]
        if c is None:
            from .compile import compile_function
            c = compile_function(inst.module, inst.func_types, self.defined_index)
            cache[self.defined_index] = c
        self.compiled = c
        self.entry = (c.code, c.nparams, c.zeros, c.weight)
        return self.entry

    def __repr__(self) -> str:
        kind = "host" if self.host is not None else "wasm"
        return f"<FuncInst {kind} {self.name or ''} {self.type}>"


class MemInst:
    __slots__ = ("data", "max", "limit", "is64",
                 "shared")  # threads: a shared memory (one thread here: the same bytes)

    def __init__(self, mtype: m.MemoryType, limit: int) -> None:
        lim = mtype.limits
        # A 64-bit memory is held to the same engine limit: its addresses may be large, its
        # size is not.
        limit = min(limit, m.ENGINE_MAX_PAGES)
        if lim.min > limit:
            raise LimitError(f"memory of {lim.min} pages exceeds the store limit of {limit} pages")
        self.data = _zeroed(lim.min * m.PAGE_SIZE)
        self.max = lim.max
        self.limit = limit
        self.is64 = lim.is64
        self.shared = mtype.shared

    @property
    def pages(self) -> int:
        return len(self.data) >> 16

    @property
    def type(self) -> m.MemoryType:
        return m.MemoryType(m.Limits(self.pages, self.max, self.is64), self.shared)

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; the old size in pages, or -1 when refused."""
        old = len(self.data) >> 16
        new = old + delta
        cap = (m.MAX_PAGES_64 if self.is64 else m.MAX_PAGES) if self.max is None else self.max
        if new > cap or new > self.limit:
            return -1
        if delta:
            data = self.data
            try:
                if isinstance(data, bytearray):
                    data.extend(bytes(delta * m.PAGE_SIZE))
                else:
                    data.resize(new * m.PAGE_SIZE)  # mremap: the new pages are zero
            except (MemoryError, BufferError, OSError):
                return -1
        return old


def _zeroed(size: int) -> bytearray | mmap.mmap:
    """A zeroed linear memory of `size` bytes that grows in place. An anonymous mapping costs
    nothing until its pages are touched, where bytearray(size) writes every byte: 10 ms and
    16 MiB of RSS for the 16 MiB that a zig-built program starts with. A mapping cannot be
    empty, so a memory that starts at 0 pages is a bytearray (same interface: indexing,
    slices, the buffer protocol)."""
    if size == 0:
        return bytearray()
    return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)


class TableInst:
    __slots__ = ("elems", "max", "elem_type", "limit", "canon_type", "is64")

    def __init__(self, ttype: m.TableType, limit: int, init=None, canon_type=None) -> None:
        lim = ttype.limits
        if lim.min > limit:
            raise LimitError(f"table of {lim.min} elements exceeds the store limit of {limit}")
        self.elems = [init] * lim.min
        self.max = lim.max
        self.elem_type = ttype.elem_type
        self.limit = limit
        # the element type independent of the defining module (gctypes.canon_val)
        self.canon_type = ttype.elem_type if canon_type is None else canon_type
        self.is64 = lim.is64

    @property
    def type(self) -> m.TableType:
        return m.TableType(self.elem_type, m.Limits(len(self.elems), self.max, self.is64))

    def grow(self, delta: int, init) -> int:
        old = len(self.elems)
        new = old + delta
        cap = (M64 if self.is64 else MAX_TABLE_SIZE) if self.max is None else self.max
        if new > cap or new > self.limit:
            return -1
        if delta:
            try:
                self.elems.extend([init] * delta)
            except MemoryError:
                return -1
        return old


class GlobalInst:
    __slots__ = ("type", "value", "canon_type")

    def __init__(self, gtype: m.GlobalType, value, canon_type=None) -> None:
        self.type = gtype
        self.value = value
        # the value type independent of the defining module (gctypes.canon_val)
        self.canon_type = gtype.val_type if canon_type is None else canon_type


class ModuleInst:
    """An instantiated module. `exports` maps names to FuncInst/TableInst/MemInst/GlobalInst."""

    def __init__(self, module: m.Module) -> None:
        self.module = module
        self.funcs: list[FuncInst] = []
        self.tables: list[TableInst] = []
        self.mems: list[MemInst] = []
        self.globals: list[GlobalInst] = []
        self.elems: list = []
        self.datas: list = []
        self.exports: dict[str, object] = {}
        self.mem0: MemInst | None = None
        self.M: bytearray | mmap.mmap | None = None
        self.func_types, self.compiled_cache = _module_caches(module)
        self.ns: dict | None = None   # translating tier: the generated code's globals
        self.store: Store | None = None
        from .gctypes import canon_types
        self.canon = canon_types(module)  # canonical type of each type index
        self.tags: list = []          # exception handling: eh.TagInst, imports first


def _module_caches(module: m.Module):
    caches = getattr(module, "_interp_caches", None)
    if caches is None:
        ftypes = [module.types[imp.type_index] for imp in module.imports if imp.kind == m.KIND_FUNC]
        ftypes += [module.types[f.type_index] for f in module.funcs]
        caches = (ftypes, [None] * len(module.funcs))
        setattr(module, "_interp_caches", caches)  # noqa: B010  (a cache the dataclass does not declare)
    return caches


def precompile(module: m.Module, tier: str = "interpreter") -> None:
    """Compile every function body of a module now for `tier` (normally done lazily, at first
    call). The translating tier takes what a disk cache holds and translates the rest."""
    ftypes, cache = _module_caches(module)
    if tier == "translate":
        from .tier import translate_all
        translate_all(module, ftypes)
        return
    from .compile import compile_function
    for i in range(len(module.funcs)):
        if cache[i] is None:
            cache[i] = compile_function(module, ftypes, i)


# ---------------------------------------------------------------------------------------------
# Linking

def extern_kind(obj) -> int:
    if isinstance(obj, FuncInst):
        return m.KIND_FUNC
    if isinstance(obj, TableInst):
        return m.KIND_TABLE
    if isinstance(obj, MemInst):
        return m.KIND_MEMORY
    if isinstance(obj, GlobalInst):
        return m.KIND_GLOBAL
    from .eh import TagInst
    if isinstance(obj, TagInst):
        return m.KIND_TAG
    raise LinkError(f"not an external value: {obj!r}")


_KIND_NAMES = {m.KIND_FUNC: "function", m.KIND_TABLE: "table", m.KIND_MEMORY: "memory",
               m.KIND_GLOBAL: "global", m.KIND_TAG: "tag"}


def _limits_match(actual_min: int, actual_max, want: m.Limits) -> bool:
    if actual_min < want.min:
        return False
    if want.max is not None:
        if actual_max is None or actual_max > want.max:
            return False
    return True


def check_import(module: m.Module, imp: m.Import, obj) -> None:
    """Raise LinkError unless `obj` matches the import's type (Wasm 2.0 import matching)."""
    what = f"import {imp.module!r}.{imp.name!r}"
    kind = extern_kind(obj)
    if kind != imp.kind:
        raise LinkError(f"incompatible import type: {what} expects a {_KIND_NAMES[imp.kind]}, "
                        f"got a {_KIND_NAMES[kind]}")
    from .gctypes import canon_types, canon_val, canon_val_sub, heap_sub_canon
    canon = canon_types(module)
    if kind == m.KIND_FUNC:
        want = canon[imp.type_index]
        if obj.type is not want and not heap_sub_canon(obj.type, want):
            raise LinkError(f"incompatible import type: {what} expects {want}, got {obj.type}")
    elif kind == m.KIND_TABLE:
        table = imp.table_type
        if obj.canon_type != canon_val(canon, table.elem_type) or obj.is64 != table.limits.is64 or \
                not _limits_match(len(obj.elems), obj.max, table.limits):
            raise LinkError(f"incompatible import type: {what} expects {table}, got {obj.type}")
    elif kind == m.KIND_TAG:
        want = canon[imp.type_index]  # tag types must be equivalent, not subtypes
        if obj.type is not want and not (heap_sub_canon(obj.type, want) and heap_sub_canon(want, obj.type)):
            raise LinkError(f"incompatible import type: {what} expects tag {want}, got {obj.type}")
    elif kind == m.KIND_MEMORY:
        memory = imp.memory_type
        if obj.is64 != memory.limits.is64 or not _limits_match(obj.pages, obj.max, memory.limits) or \
                obj.shared != memory.shared:
            raise LinkError(f"incompatible import type: {what} expects {memory}, got {obj.type}")
    else:
        global_type = imp.global_type
        want_t = canon_val(canon, global_type.val_type)
        if obj.type.mutable != global_type.mutable or not (
                obj.canon_type == want_t if global_type.mutable
                else canon_val_sub(obj.canon_type, want_t)):
            raise LinkError(f"incompatible import type: {what} expects {global_type}, got {obj.type}")


def eval_const(expr: list[tuple], inst: ModuleInst):
    """Evaluate a constant expression (Wasm 2.0, plus extended-const arithmetic)."""
    stack = []
    for ins in expr:
        op = ins[0]
        if op == 0x41:
            stack.append(ins[1] & M32)
        elif op == 0x42:
            stack.append(ins[1] & M64)
        elif op == 0x43:
            stack.append(ins[1])
        elif op == 0x44:
            from .numeric import bits_to_f64
            stack.append(bits_to_f64(ins[1]))
        elif op == 0xFD00C:  # v128.const: the 128-bit value as decoded
            stack.append(ins[1])
        elif op == 0xD0:
            stack.append(None)
        elif op == 0xD2:
            stack.append(inst.funcs[ins[1]])
        elif op == 0x23:
            stack.append(inst.globals[ins[1]].value)
        elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):
            b = stack.pop()
            a = stack.pop()
            r = a + b if op in (0x6A, 0x7C) else a - b if op in (0x6B, 0x7D) else a * b
            stack.append(r & (M32 if op < 0x70 else M64))
        elif op == 0x0B:
            break
        elif 0xFB00 <= op < 0xFC00:  # GC: struct/array allocation, i31, conversions
            from .gcvalues import lower
            fn, imm = lower(ins, inst.module, inst.canon)
            fn(stack, inst, imm)
        else:
            raise LinkError(f"unsupported constant instruction {op:#x}")
    return stack[-1]


def instantiate(store: Store, module: m.Module, externs: list, invoke=None) -> ModuleInst:
    """Link `module` against `externs` (one per import, in order) and instantiate it.

    Raises LinkError (imports), LimitError (store limits), Trap (segment out of bounds or a
    trapping start function; effects on imported objects made before the trap stay)."""
    if len(externs) != len(module.imports):
        raise LinkError(f"module needs {len(module.imports)} imports, {len(externs)} given")
    for imp, obj in zip(module.imports, externs, strict=True):
        check_import(module, imp, obj)
    inst = ModuleInst(module)
    inst.store = store
    from .gctypes import canon_val
    canon = inst.canon
    for imp, obj in zip(module.imports, externs, strict=True):
        if imp.kind == m.KIND_FUNC:
            inst.funcs.append(obj)
        elif imp.kind == m.KIND_TABLE:
            inst.tables.append(obj)
        elif imp.kind == m.KIND_MEMORY:
            inst.mems.append(obj)
        elif imp.kind == m.KIND_TAG:
            inst.tags.append(obj)
        else:
            inst.globals.append(obj)
    for i, f in enumerate(module.funcs):
        inst.funcs.append(FuncInst(canon[f.type_index], inst, i))
    if module.tags:
        from .eh import TagInst
        inst.tags.extend(TagInst(canon[t]) for t in module.tags)
    for t in module.tables:
        inst.tables.append(TableInst(t, store.max_table_elements,
                                     canon_type=canon_val(canon, t.elem_type)))
    for mt in module.memories:
        inst.mems.append(MemInst(mt, store.max_memory_pages))
    if inst.mems:
        inst.mem0 = inst.mems[0]
        inst.M = inst.mem0.data
    for g in module.globals:
        inst.globals.append(GlobalInst(g.type, eval_const(g.init, inst),
                                       canon_val(canon, g.type.val_type)))
    n_imported_tables = len(inst.tables) - len(module.tables)
    for i, init in module.table_inits.items():  # 3.0: tables with an initialiser
        table = inst.tables[n_imported_tables + i]
        value = eval_const(init, inst)
        table.elems[:] = [value] * len(table.elems)
    for e in module.elems:
        inst.elems.append(tuple(eval_const(expr, inst) for expr in e.init))
    for d in module.datas:
        inst.datas.append(d.init)
    for ex in module.exports:
        if ex.kind == m.KIND_FUNC:
            obj = inst.funcs[ex.index]
        elif ex.kind == m.KIND_TABLE:
            obj = inst.tables[ex.index]
        elif ex.kind == m.KIND_MEMORY:
            obj = inst.mems[ex.index]
        elif ex.kind == m.KIND_TAG:
            obj = inst.tags[ex.index]
            obj.name = obj.name or ex.name
        else:
            obj = inst.globals[ex.index]
        inst.exports[ex.name] = obj
    for defined in inst.funcs[len(inst.funcs) - len(module.funcs):]:
        defined.name = _export_name(inst, defined)
    for i, e in enumerate(module.elems):
        if e.mode == m.MODE_ACTIVE:
            assert e.offset is not None  # the decoder gives every active segment an offset
            off = eval_const(e.offset, inst)
            table_init(inst, i, e.table_index, off, 0, len(inst.elems[i]))
            inst.elems[i] = ()
        elif e.mode == m.MODE_DECLARATIVE:
            inst.elems[i] = ()
    for i, d in enumerate(module.datas):
        if d.mode == m.MODE_ACTIVE:
            assert d.offset is not None
            off = eval_const(d.offset, inst)
            memory_init(inst, i, off, 0, len(d.init), d.memory_index)
            inst.datas[i] = b""
    if module.start is not None:
        if invoke is None:
            from .tier import execute as invoke_wasm

            def invoke(st, f, args):
                if f.host is not None:
                    return list(f.host(None, args))
                return invoke_wasm(st, f, args)
        invoke(store, inst.funcs[module.start], [])
    return inst


def _export_name(inst: ModuleInst, f: FuncInst) -> str:
    for name, obj in inst.exports.items():
        if obj is f:
            return name
    return f"func[{f.defined_index}]"


# ---------------------------------------------------------------------------------------------
# Bulk memory and table operations (shared by instantiation and the executor)

def _copy_into(mem, d: int, source, s: int, n: int) -> None:
    """n bytes from `source` at s into the memory bytes `mem` at d, bounds checked first."""
    if s + n > len(source) or d + n > len(mem):
        raise Trap(TRAP_OOB_MEMORY)
    if n:
        mem[d:d + n] = source[s:s + n]


def memory_init(inst: ModuleInst, dataidx: int, d: int, s: int, n: int, memidx: int = 0) -> None:
    _copy_into(inst.mems[memidx].data, d, inst.datas[dataidx], s, n)


def memory_copy(inst: ModuleInst, d: int, s: int, n: int, memidx: int = 0) -> None:
    mem = inst.mems[memidx].data
    size = len(mem)
    if s + n > size or d + n > size:
        raise Trap(TRAP_OOB_MEMORY)
    if n:
        mem[d:d + n] = mem[s:s + n]


def memory_copy_across(inst: ModuleInst, d: int, s: int, n: int, dst: int, src: int) -> None:
    """memory.copy from memory `src` to another memory `dst` (multi-memory)."""
    _copy_into(inst.mems[dst].data, d, inst.mems[src].data, s, n)


def memory_fill(inst: ModuleInst, d: int, v: int, n: int, memidx: int = 0) -> None:
    mem = inst.mems[memidx].data
    if d + n > len(mem):
        raise Trap(TRAP_OOB_MEMORY)
    if n:
        mem[d:d + n] = bytes([v & 0xFF]) * n


def table_init(inst: ModuleInst, elemidx: int, tableidx: int, d: int, s: int, n: int) -> None:
    seg = inst.elems[elemidx]
    tab = inst.tables[tableidx].elems
    if s + n > len(seg) or d + n > len(tab):
        raise Trap(TRAP_OOB_TABLE)
    if n:
        tab[d:d + n] = seg[s:s + n]


def table_copy(inst: ModuleInst, dst: int, src: int, d: int, s: int, n: int) -> None:
    td = inst.tables[dst].elems
    ts = inst.tables[src].elems
    if s + n > len(ts) or d + n > len(td):
        raise Trap(TRAP_OOB_TABLE)
    if n:
        td[d:d + n] = ts[s:s + n]


def table_fill(inst: ModuleInst, tableidx: int, d: int, v, n: int) -> None:
    tab = inst.tables[tableidx].elems
    if d + n > len(tab):
        raise Trap(TRAP_OOB_TABLE)
    if n:
        tab[d:d + n] = [v] * n
