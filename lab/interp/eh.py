"""Exception handling (Wasm 3.0, with the legacy try/catch form): the runtime objects (tags and
exception instances) and the handler tables the interpreter tier unwinds with.

Exceptions travel as errors.UncaughtException, a Python exception carrying the ExnInst: a
`throw` in translated code raises it, one in the interpreter leaves the dispatch loop directly;
the executor catches raised ones at its dispatch loop (a zero-cost `try` in CPython 3.11, so
code without handlers pays nothing) and looks for a handler frame by frame. One that
no handler catches reaches the embedder as that same WasmError type, never as a raw exception.

Handler tables (compile.py builds them, only for functions using try_table or try): a
function's compiled code is then a HandlerCode list whose `regions` lists one Region per
try_table / legacy try, innermost first (in the order their bodies end). A region covers the
pcs [start, end) of its body; its clauses are tried in order, then those of `parent` (the
region enclosing it, or the one a legacy `delegate` names), and when none matches the
exception leaves the frame. The operand stack is shared by all frames and the compiled code
addresses it relative to the top, so the region's first instruction (TRY_ENTER) records the
frame's absolute base height per frame level; a handler truncates the stack to that base
plus the label's static height (stale entries of finished frames are overwritten: a frame can
only be inside a region after executing its TRY_ENTER).

Memory: every live exception counts its estimated size against the store's exception budget
(Store.max_exn_bytes, by default the size of its memory limit) until Python frees it, so a
program that keeps chaining exceptions (a payload holding the previous exnref) traps with
TRAP_EXN_MEMORY instead of exhausting the host.
"""

from __future__ import annotations

from .errors import TRAP_EXN_MEMORY, Trap, UncaughtException

# Estimated sizes (CPython 3.11, sys.getsizeof): the instance 64 bytes and its payload tuple 40,
# plus per value 8 in the tuple and about 32 for the int or float object it holds.
EXN_BASE_BYTES = 104
EXN_VALUE_BYTES = 40

# How a clause delivers the exception at its target (try_table's four clause kinds; legacy
# catch / catch_all deliver the payload or nothing, like catch / catch_all).
PUSH_VALUES, PUSH_VALUES_REF, PUSH_NOTHING, PUSH_REF = 0, 1, 2, 3


class TagInst:
    """A tag instance: its identity is the tag (two instantiations make two distinct tags)."""

    __slots__ = ("type", "name")

    def __init__(self, ftype, name: str = "") -> None:
        self.type = ftype  # canonical FuncType, results empty
        self.name = name

    def __repr__(self) -> str:
        return f"<TagInst {self.name or ''} {self.type}>"


class ExnInst:
    """An exception instance (the referent of an exnref): the tag thrown and its payload."""

    __slots__ = ("tag", "values", "_store", "_size")

    def __init__(self, store, tag: TagInst, values: tuple) -> None:
        self._store = store
        self._size = 0  # counted only once admitted (__del__ runs on a refused one too)
        size = EXN_BASE_BYTES + EXN_VALUE_BYTES * len(values)
        used = store.exn_bytes + size
        if used > store.max_exn_bytes:
            raise Trap(TRAP_EXN_MEMORY)
        store.exn_bytes = used
        self._size = size
        self.tag = tag
        self.values = values

    def __del__(self) -> None:
        self._store.exn_bytes -= self._size

    def describe(self) -> str:
        """One line for messages (payload exnrefs are not followed: chains can be long)."""
        from .module import VALTYPE_NAMES
        params = " ".join(VALTYPE_NAMES.get(t, hex(t)) for t in self.tag.type.params)
        shown = ", ".join("exnref" if isinstance(v, ExnInst) else repr(v) for v in self.values[:8])
        more = ", ..." if len(self.values) > 8 else ""
        return f"tag {self.tag.name or '(not exported)'} (param {params}) payload ({shown}{more})"


def new_exn(store, tag: TagInst, stack: list, n: int) -> ExnInst:
    """`throw` on the interpreter: the exception, with the tag's n arguments taken off the
    operand stack."""
    if n:
        values = tuple(stack[-n:])
        del stack[-n:]
    else:
        values = ()
    return ExnInst(store, tag, values)


def throw_tag(store, tag: TagInst, values: tuple):
    """`throw` from translated code (the payload already evaluated)."""
    raise UncaughtException(ExnInst(store, tag, values))


def throw_ref(exn) -> None:
    """`throw_ref` / legacy `rethrow`: raise an existing exception again."""
    if exn is None:
        from .errors import TRAP_NULL_EXN
        raise Trap(TRAP_NULL_EXN)
    raise UncaughtException(exn)


class Region:
    """One try_table or legacy try of a compiled function (see the module docstring).

    clauses: lists [tagidx or None (catch all), target pc, label height, PUSH_* mode, fuel
    cost, local index for the legacy rethrow or -1]; the target is patched when its label's
    block ends."""

    __slots__ = ("start", "end", "clauses", "parent")

    def __init__(self, start: int, parent: Region | None) -> None:
        self.start = start
        self.end = start
        self.clauses: list[list] = []
        self.parent = parent


class HandlerCode(list):
    """The compiled code of a function with handlers: the instruction list plus its regions."""

    __slots__ = ("regions",)
    regions: list[Region]


def find_clause(regions: list[Region], at: int, exn: ExnInst, tags: list):
    """The clause catching `exn` thrown (or propagated by a call) at pc `at`, or None."""
    for region in regions:
        if region.start <= at < region.end:
            break
    else:
        return None
    r: Region | None = region
    tag = exn.tag
    while r is not None:
        for clause in r.clauses:
            x = clause[0]
            if x is None or tags[x] is tag:
                return clause
        r = r.parent
    return None
