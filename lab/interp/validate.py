"""The validator: WebAssembly validation of a decoded `Module` (3.0, with 2.0's rules on request:
typed function references and GC through gctypes.py and validate_gc.py, several and 64-bit
memories and tables).

`validate_module(module)` returns None or raises InvalidError, whose message starts with the
spec's wording ("type mismatch", "unknown local 3", "global is immutable", ...) followed by where
it was found. No other exception escapes.

Function bodies are checked with the algorithm of the spec's validation appendix: an operand
stack whose entries may be UNKNOWN in unreachable code, and a stack of control frames (label
types, end types, stack height, unreachable flag), over the flat instruction list the decoder
produces. Checks are made in the order of the reference interpreter (imports, function types,
globals, tables, memories, element and data segments, functions, start, exports, then the
single-memory rule), so a module with several faults reports the same one.

Constant expressions: t.const, ref.null, ref.func, global.get of an immutable global (imported
ones; since 3.0 a global's initialiser also sees the earlier globals, which version "2.0" turns
off for the spec-2.0 tests: version "2.0"), and 3.0's extended-const arithmetic and GC allocations.
Non-defaultable locals (3.0) must be set before they are read; a block's end forgets what it set.

`version` "3.0" (the default) allows several memories (multi-memory) and memories and tables
with 64-bit indices (memory64, table64: their limits have is64, addresses, sizes and offsets
are then i64); "2.0" keeps the single-memory rule.

Tail calls (return_call, return_call_indirect) check that the callee's results are subtypes
of the function's own; wide arithmetic is typed by its fixed signature (opcodes.py).

Exception handling (Wasm 3.0): tag types (function types without results), throw / throw_ref,
try_table (each clause checked against its label, outside the block), and the legacy try,
catch / catch_all (frames of their own, so `rethrow` can check its label names one), delegate.
exnref and nullexnref are the exn hierarchy of the general subtyping (gctypes.py).

Threads (atomics.py): an atomic access's alignment immediate must equal its natural alignment
("atomic alignment must be natural"), and a shared memory must have a maximum.
"""

from __future__ import annotations

from . import gctypes as gt
from . import opcodes as ops
from .errors import InvalidError
from .module import (
    EXNREF,
    F32,
    F64,
    FUNCREF,
    HT_INDEX,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    KIND_TAG,
    MAX_PAGES,
    MAX_PAGES_64,
    MODE_ACTIVE,
    NON_NULL,
    V128,
    WASM_2_0,
    WASM_3_0,
    ArrayType,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    Module,
    StructType,
    TableType,
    TypeIdx,
    is_ref,
)
from .validate_gc import GC_OPS, gc_op

UNKNOWN = gt.UNKNOWN
"""An operand type not known in unreachable code (never a real value type)."""

_SELECTABLE = frozenset({I32, I64, F32, F64, V128, UNKNOWN})

# Instructions whose typing is their fixed signature alone: (params as list, results as list).
_PLAIN: dict[int, tuple[list[int], list[int]]] = {}
# Memory accesses: (params, results, natural alignment log2, lane limit or 0).
_MEMACCESS: dict[int, tuple[list[int], list[int], int, int]] = {}
for _info in ops.OPCODES.values():
    if _info.params is None or _info.results is None:
        continue
    if _info.align is not None:
        _MEMACCESS[_info.code] = (list(_info.params), list(_info.results), _info.align,
                                  ops.lane_limit(_info) if _info.imm == ops.IMM_MEMARG_LANE
                                  else 0)
    elif (_info.imm in (ops.IMM_NONE, ops.IMM_I32, ops.IMM_I64, ops.IMM_F32, ops.IMM_F64,
                        ops.IMM_V128) and not _info.memory):
        _PLAIN[_info.code] = (list(_info.params), list(_info.results))
del _info

for _code in ops.ATOMIC_ALIGN:  # threads: their alignment rule is exact, see run()
    del _MEMACCESS[_code]
del _code

_LANE_OPS: dict[int, tuple[list[int], list[int], int]] = {
    info.code: (list(info.params or ()), list(info.results or ()), ops.lane_limit(info))
    for info in ops.OPCODES.values() if info.imm == ops.IMM_LANE
}


type_name = gt.type_name


_types_str = gt.types_str


def validate_module(module: Module, version: str = WASM_3_0) -> None:
    """Validate a decoded module; InvalidError (and nothing else) when it is not valid.
    version WASM_2_0: where Wasm 3.0 made a 2.0-invalid module valid, keep 2.0's rule (for the
    spec-2.0 tests): global initialisers read only imported globals, one memory, 32-bit limits."""
    try:
        _ModuleValidator(module, version == WASM_2_0).run()
    except InvalidError:
        raise
    except RecursionError:
        raise InvalidError("module too deeply nested to validate") from None
    except MemoryError:
        raise InvalidError("module too large to validate (out of memory)") from None
    except Exception as exc:  # defensive: a malformed hand-built Module, or a bug
        raise InvalidError(f"invalid module ({type(exc).__name__}: {exc})") from None


def _check_limits(lim: Limits, bound: int, msg: str, where: str) -> None:
    if lim.min > bound:
        raise InvalidError(f"{msg} ({where})")
    if lim.max is not None:
        if lim.max > bound:
            raise InvalidError(f"{msg} ({where})")
        if lim.min > lim.max:
            raise InvalidError(f"size minimum must not be greater than maximum ({where})")


def _check_table_type(tt: TableType, where: str) -> None:
    if not is_ref(tt.elem_type):
        raise InvalidError(f"malformed reference type ({where})")
    if tt.limits.is64:
        _check_limits(tt.limits, 0xFFFF_FFFF_FFFF_FFFF, "table size must be at most 2^64-1",
                      where)
    else:
        _check_limits(tt.limits, 0xFFFF_FFFF, "table size must be at most 2^32-1", where)


def _check_memory_type(mt: MemoryType, where: str) -> None:
    if mt.limits.is64:
        _check_limits(mt.limits, MAX_PAGES_64, "memory size must be at most 2^48 pages "
                      "(256 TiB) for i64", where)
    else:
        _check_limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)",
                      where)
    if mt.shared and mt.limits.max is None:  # threads
        raise InvalidError(f"shared memory must have maximum ({where})")


def _index_type(limits: Limits) -> int:
    """The type of addresses into a memory, or of indices into a table, with these limits."""
    return I64 if limits.is64 else I32


class _ModuleValidator:
    def __init__(self, module: Module, wasm_2_0: bool = False) -> None:
        self.m = module
        self.wasm_2_0 = wasm_2_0
        self.types: list = list(module.types)  # FuncType, StructType, ArrayType
        self.canon: list = []  # canonical types (gctypes.canon_types), after check_types
        self.func_type_idx: list[int] = []  # the type index of every function
        self.funcs: list[FuncType] = []
        self.tables: list[TableType] = []
        self.memories: list[MemoryType] = []
        self.globals: list[GlobalType] = []
        self.n_imported_globals = 0
        self.n_imported_funcs = 0
        self.elem_types: list[int] = [e.elem_type for e in module.elems]
        self.n_datas = len(module.datas)
        self.refs: set[int] = set()
        self.tags: list[FuncType] = []  # exception handling: every tag's type, imports first

    # --- lookups ------------------------------------------------------------------------------

    def type_(self, x: int, where: str) -> FuncType:
        if not 0 <= x < len(self.types):
            raise InvalidError(f"unknown type {x} ({where})")
        t = self.types[x]
        if not isinstance(t, FuncType):
            raise InvalidError(f"type mismatch: type {x} is not a function type ({where})")
        return t

    def sub(self, a: int, b: int) -> bool:
        """a <: b (value types of this module)."""
        return a == b or gt.val_sub(self.canon, a, b)

    def check_valtype(self, t: int, where: str) -> None:
        """Concrete heap types must name a type of the module."""
        if (t & ~NON_NULL) >= HT_INDEX and (t & ~NON_NULL) - HT_INDEX >= len(self.types):
            raise InvalidError(f"unknown type {(t & ~NON_NULL) - HT_INDEX} ({where})")

    def check_types(self) -> None:
        """The type section: indices in range (within a recursion group, forward references
        stay inside the group), at most one supertype, earlier and not final, and each
        declared subtype matches its supertype; then the canonical types."""
        types = self.types
        subtypes = self.m.subtypes
        n = len(types)
        i = 0
        while i < n:
            size = subtypes[i].group_size if subtypes else 1
            end = i + size
            for j in range(i, end):
                where = f"type {j}"
                for t in gt._comp_types(types[j]):
                    h = t & ~NON_NULL
                    if h >= HT_INDEX and h - HT_INDEX >= end:
                        raise InvalidError(f"unknown type {h - HT_INDEX} ({where})")
                if subtypes:
                    supers = subtypes[j].supers
                    if len(supers) > 1:
                        raise InvalidError(f"multiple supertypes ({where})")
                    for x in supers:
                        if x >= j:
                            raise InvalidError(f"unknown type {x} ({where})")
            i = end
        self.canon = gt.canon_types(self.m)
        if subtypes:
            for j, st in enumerate(subtypes):
                for x in st.supers:
                    if subtypes[x].final:
                        raise InvalidError(f"sub type {j} does not match super type {x}: "
                                           f"the super type is final")
                    if not self.comp_sub(types[j], types[x]):
                        raise InvalidError(f"sub type {j} does not match super type {x}")

    def comp_sub(self, a, b) -> bool:
        """Structural subtyping of composite types (declared subtypes)."""
        sub = self.sub
        if isinstance(a, FuncType) and isinstance(b, FuncType):
            return (len(a.params) == len(b.params) and len(a.results) == len(b.results)
                    and all(sub(y, x) for x, y in zip(a.params, b.params, strict=True))
                    and all(sub(x, y) for x, y in zip(a.results, b.results, strict=True)))
        if isinstance(a, StructType) and isinstance(b, StructType):
            return len(a.fields) >= len(b.fields) and all(
                self.field_sub(x, y) for x, y in zip(a.fields, b.fields, strict=False))
        if isinstance(a, ArrayType) and isinstance(b, ArrayType):
            return self.field_sub(a.field, b.field)
        return False

    def field_sub(self, a, b) -> bool:
        if a.mutable != b.mutable:
            return False
        if a.mutable:
            return a.storage == b.storage or (self.sub(a.storage, b.storage)
                                              and self.sub(b.storage, a.storage))
        return self.sub(a.storage, b.storage)

    def func(self, x: int, where: str) -> FuncType:
        if not 0 <= x < len(self.funcs):
            raise InvalidError(f"unknown function {x} ({where})")
        return self.funcs[x]

    def table(self, x: int, where: str) -> TableType:
        if not 0 <= x < len(self.tables):
            raise InvalidError(f"unknown table {x} ({where})")
        return self.tables[x]

    def memory(self, x: int, where: str) -> MemoryType:
        if not 0 <= x < len(self.memories):
            raise InvalidError(f"unknown memory {x} ({where})")
        return self.memories[x]

    def global_(self, x: int, where: str, visible: int | None = None) -> GlobalType:
        n = len(self.globals) if visible is None else visible
        if not 0 <= x < n:
            raise InvalidError(f"unknown global {x} ({where})")
        return self.globals[x]

    def elem(self, x: int, where: str) -> int:
        if not 0 <= x < len(self.elem_types):
            raise InvalidError(f"unknown elem segment {x} ({where})")
        return self.elem_types[x]

    def data(self, x: int, where: str) -> None:
        if not 0 <= x < self.n_datas:
            raise InvalidError(f"unknown data segment {x} ({where})")

    # exception handling
    def tag_type(self, x: int, where: str) -> FuncType:
        ft = self.type_(x, where)
        if ft.results:
            raise InvalidError(f"non-empty tag result type ({where})")
        return ft

    def tag(self, x: int, where: str) -> FuncType:
        if not 0 <= x < len(self.tags):
            raise InvalidError(f"unknown tag {x} ({where})")
        return self.tags[x]

    # --- module -------------------------------------------------------------------------------

    def run(self) -> None:
        m = self.m
        self.check_types()
        for i, imp in enumerate(m.imports):
            where = f"import {i} {imp.module!r}.{imp.name!r}"
            if imp.kind == KIND_FUNC:
                assert isinstance(imp.desc, int)
                self.funcs.append(self.type_(imp.desc, where))
                self.func_type_idx.append(imp.desc)
            elif imp.kind == KIND_TABLE:
                assert isinstance(imp.desc, TableType)
                _check_table_type(imp.desc, where)
                self.check_valtype(imp.desc.elem_type, where)
                self.tables.append(imp.desc)
            elif imp.kind == KIND_MEMORY:
                assert isinstance(imp.desc, MemoryType)
                _check_memory_type(imp.desc, where)
                self.memories.append(imp.desc)
            elif imp.kind == KIND_GLOBAL:
                assert isinstance(imp.desc, GlobalType)
                self.check_valtype(imp.desc.val_type, where)
                self.globals.append(imp.desc)
            elif imp.kind == KIND_TAG:
                self.tags.append(self.tag_type(imp.type_index, where))
            else:
                raise InvalidError(f"unknown import kind {imp.kind} ({where})")
        self.n_imported_funcs = len(self.funcs)
        self.n_imported_globals = len(self.globals)
        for i, f in enumerate(m.funcs):
            self.funcs.append(self.type_(f.type_index, f"function {self.n_imported_funcs + i}"))
            self.func_type_idx.append(f.type_index)
        n_imp_tags = len(self.tags)
        self.tags.extend(self.tag_type(t, f"tag {n_imp_tags + i}") for i, t in enumerate(m.tags))
        self.tables.extend(m.tables)
        self.memories.extend(m.memories)
        self.globals.extend(g.type for g in m.globals)
        self.refs = self._declared_refs()

        n_imp = self.n_imported_globals
        for i, g in enumerate(m.globals):
            where = f"global {n_imp + i}"
            self.check_valtype(g.type.val_type, where)
            # 3.0: an initialiser may read every earlier global
            self.const_expr(g.init, g.type.val_type, where, n_imp if self.wasm_2_0 else n_imp + i)
        # 3.0: element and data segments see every global (2.0: the imported ones)
        seen = n_imp if self.wasm_2_0 else len(self.globals)
        n_imp_tables = len(self.tables) - len(m.tables)
        for i, t in enumerate(m.tables):
            where = f"table {n_imp_tables + i}"
            _check_table_type(t, where)
            self.check_valtype(t.elem_type, where)
            init = m.table_inits.get(i)
            if init is not None:
                self.const_expr(init, t.elem_type, where, self.n_imported_globals)  # tables precede globals
            elif t.elem_type & NON_NULL:
                raise InvalidError(f"type mismatch: a table of non-nullable "
                                   f"{type_name(t.elem_type)} needs an initialiser ({where})")
        n_imp_mems = len(self.memories) - len(m.memories)
        for i, mt in enumerate(m.memories):
            _check_memory_type(mt, f"memory {n_imp_mems + i}")
        for i, e in enumerate(m.elems):
            where = f"elem segment {i}"
            if not is_ref(e.elem_type):
                raise InvalidError(f"malformed reference type ({where})")
            self.check_valtype(e.elem_type, where)
            for expr in e.init:
                self.const_expr(expr, e.elem_type, where, seen)
            if e.mode == MODE_ACTIVE:
                tt = self.table(e.table_index, where)
                if not self.sub(e.elem_type, tt.elem_type):
                    raise InvalidError(
                        f"type mismatch: element segment's type {type_name(e.elem_type)} does "
                        f"not match table's element type {type_name(tt.elem_type)} ({where})")
                if e.offset is None:
                    raise InvalidError(f"active element segment without offset ({where})")
                self.const_expr(e.offset, _index_type(tt.limits), where)
        for i, d in enumerate(m.datas):
            where = f"data segment {i}"
            if d.mode == MODE_ACTIVE:
                mt = self.memory(d.memory_index, where)
                if d.offset is None:
                    raise InvalidError(f"active data segment without offset ({where})")
                self.const_expr(d.offset, _index_type(mt.limits), where)
        for i, f in enumerate(m.funcs):
            index = self.n_imported_funcs + i
            _FunctionValidator(self, index, self.funcs[index], f.code.locals,
                               f.code.body).run()
        if m.start is not None:
            ft = self.func(m.start, "start function")
            if ft.params or ft.results:
                raise InvalidError(
                    f"start function must not have parameters or results (function {m.start} "
                    f"has type {_types_str(ft.params)} -> {_types_str(ft.results)})")
        names: set[str] = set()
        for ex in m.exports:
            where = f"export {ex.name!r}"
            if ex.kind == KIND_FUNC:
                self.func(ex.index, where)
            elif ex.kind == KIND_TABLE:
                self.table(ex.index, where)
            elif ex.kind == KIND_MEMORY:
                self.memory(ex.index, where)
            elif ex.kind == KIND_GLOBAL:
                self.global_(ex.index, where)
            elif ex.kind == KIND_TAG:
                self.tag(ex.index, where)
            else:
                raise InvalidError(f"unknown export kind {ex.kind} ({where})")
            if ex.name in names:
                raise InvalidError(f"duplicate export name {ex.name!r}")
            names.add(ex.name)
        if self.wasm_2_0 and len(self.memories) > 1:
            raise InvalidError(f"multiple memories are not allowed (yet): {len(self.memories)}")

    def _declared_refs(self) -> set[int]:
        """C.refs: the function indices that occur in the module outside functions and the
        start function (global initialisers, element and data segments, exports)."""
        m = self.m
        refs: set[int] = set()
        exprs: list[list[tuple]] = [g.init for g in m.globals]
        exprs.extend(m.table_inits.values())
        for e in m.elems:
            exprs.extend(e.init)
            if e.offset is not None:
                exprs.append(e.offset)
        exprs.extend(d.offset for d in m.datas if d.offset is not None)
        for expr in exprs:
            for ins in expr:
                if ins[0] == ops.REF_FUNC:
                    refs.add(ins[1])
        refs.update(ex.index for ex in m.exports if ex.kind == KIND_FUNC)
        return refs

    def const_expr(self, expr: list[tuple], expected: int, where: str,
                   visible_globals: int | None = None) -> None:
        """A constant expression (ending with `end`) producing one value of type `expected`;
        it reads only the first `visible_globals` globals (default: every global in Wasm 3.0,
        the imported ones in 2.0)."""
        if not expr or expr[-1][0] != ops.END:
            raise InvalidError(f"constant expression must end with end ({where})")
        visible = visible_globals
        if visible is None:
            visible = self.n_imported_globals if self.wasm_2_0 else len(self.globals)
        beyond_2_0 = [ins[0] for ins in expr if ins[0] not in _CONST_2_0]
        if beyond_2_0 and self.wasm_2_0:  # extended-const arithmetic and GC allocations are 3.0
            raise InvalidError(f"constant expression required ({where}: "
                               f"{ops.op_name(beyond_2_0[0])} is not constant)")
        if beyond_2_0:
            self.gc_const_expr(expr, expected, where, visible)
            return
        stack: list[int] = []
        body = expr[:-1]
        for ins in body:
            op = ins[0]
            if op == ops.I32_CONST:
                stack.append(I32)
            elif op == ops.I64_CONST:
                stack.append(I64)
            elif op == ops.F32_CONST:
                stack.append(F32)
            elif op == ops.F64_CONST:
                stack.append(F64)
            elif op == ops.V128_CONST:
                stack.append(V128)
            elif op == ops.REF_NULL:
                self.check_valtype(ins[1], where)
                stack.append(ins[1])
            elif op == ops.REF_FUNC:
                self.func(ins[1], where)
                stack.append((HT_INDEX + self.func_type_idx[ins[1]]) | NON_NULL)
            elif op == ops.GLOBAL_GET:
                g = self.global_(ins[1], where, visible)
                if g.mutable:
                    raise InvalidError(f"constant expression required ({where}: global.get "
                                       f"{ins[1]} reads a mutable global)")
                stack.append(g.val_type)
            else:
                raise InvalidError(
                    f"constant expression required ({where}: {ops.op_name(op)} is not constant)")
        for ins in body:
            if ins[0] == ops.REF_FUNC:
                self.func(ins[1], where)
        if len(stack) != 1 or not self.sub(stack[0], expected):
            raise InvalidError(f"type mismatch: constant expression requires "
                               f"[{type_name(expected)}] but produces {_types_str(stack)} "
                               f"({where})")

    def gc_const_expr(self, expr: list[tuple], expected: int, where: str, visible: int) -> None:
        """A constant expression with Wasm 3.0 instructions: each must be constant; it is then
        typed like a function body without locals."""
        for ins in expr[:-1]:
            op = ins[0]
            if op == ops.GLOBAL_GET:
                g = self.global_(ins[1], where, visible)
                if g.mutable:
                    raise InvalidError(f"constant expression required ({where}: global.get "
                                       f"{ins[1]} reads a mutable global)")
            elif op not in _CONST_OPS:
                raise InvalidError(
                    f"constant expression required ({where}: {ops.op_name(op)} is not constant)")
        fv = _FunctionValidator(self, -1, FuncType((), (expected,)), [], expr)
        fv.const_where = where
        fv.run()


# Instructions of constant expressions: Wasm 2.0's, extended-const arithmetic, and GC's.
_CONST_2_0 = frozenset({ops.I32_CONST, ops.I64_CONST, ops.F32_CONST, ops.F64_CONST,
                        ops.V128_CONST, ops.REF_NULL, ops.REF_FUNC, ops.GLOBAL_GET, ops.END})
_CONST_OPS = _CONST_2_0 | ops.GC_CONST_OPS | {ops.I32_ADD, ops.I32_SUB, ops.I32_MUL,
                                              ops.I64_ADD, ops.I64_SUB, ops.I64_MUL}


class _Frame:
    __slots__ = ("op", "start", "end", "height", "unreachable", "init_height")

    def __init__(self, op: int, start: tuple[int, ...], end: tuple[int, ...],
                 height: int, init_height: int = 0) -> None:
        self.op = op
        self.start = start
        self.end = end
        self.height = height
        self.unreachable = False
        self.init_height = init_height  # locals initialised before the block (local_init)

    @property
    def labels(self) -> tuple[int, ...]:
        return self.start if self.op == ops.LOOP else self.end


class _FunctionValidator:
    def __init__(self, mv: _ModuleValidator, index: int, ftype: FuncType, locals_: list[int],
                 body: list[tuple]) -> None:
        self.mv = mv
        self.index = index
        self.ftype = ftype
        self.locals = list(ftype.params) + list(locals_)
        self.body = body
        self.vals: list[int] = []
        self.ctrls: list[_Frame] = []
        self.pc = 0
        self.const_where = ""  # set when validating a constant expression
        # Non-defaultable locals (3.0) not yet set, and the log of those set since, which the
        # end of each block undoes back to its init_height.
        self.uninit: set[int] = set()  # filled by run()
        self.init_log: list[int] = []

    # --- errors -------------------------------------------------------------------------------

    def where(self) -> str:
        if self.const_where:
            return self.const_where
        if 0 <= self.pc < len(self.body):
            return (f"function {self.index}, instruction {self.pc} "
                    f"({ops.op_name(self.body[self.pc][0])})")
        return f"function {self.index}"

    def fail(self, msg: str) -> InvalidError:
        return InvalidError(f"{msg} ({self.where()})")

    def mismatch(self, expected: int, actual: int | None) -> InvalidError:
        got = "nothing" if actual is None else type_name(actual)
        return self.fail(f"type mismatch: expected {type_name(expected)}, got {got}")

    # --- index lookups (the location is only formatted on failure) ---------------------------

    def func(self, x: int) -> FuncType:
        funcs = self.mv.funcs
        if x < len(funcs):
            return funcs[x]
        raise self.fail(f"unknown function {x}")

    def table(self, x: int) -> TableType:
        tables = self.mv.tables
        if x < len(tables):
            return tables[x]
        raise self.fail(f"unknown table {x}")

    def memory(self, x: int) -> MemoryType:
        memories = self.mv.memories
        if x < len(memories):
            return memories[x]
        raise self.fail(f"unknown memory {x}")

    def type_(self, x: int) -> FuncType:
        types = self.mv.types
        if x < len(types):
            t = types[x]
            if isinstance(t, FuncType):
                return t
            raise self.fail(f"type mismatch: type {x} is not a function type")
        raise self.fail(f"unknown type {x}")

    def elem(self, x: int) -> int:
        elem_types = self.mv.elem_types
        if x < len(elem_types):
            return elem_types[x]
        raise self.fail(f"unknown elem segment {x}")

    def data(self, x: int) -> None:
        if x >= self.mv.n_datas:
            raise self.fail(f"unknown data segment {x}")

    # --- operand stack ----------------------------------------------------------------------

    def pop(self) -> int:
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return UNKNOWN
            raise self.fail("type mismatch: operand stack is empty")
        return vals.pop()

    def pop_expect(self, expected: int) -> int:
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return UNKNOWN
            raise self.mismatch(expected, None)
        actual = vals.pop()
        if actual != expected and actual != UNKNOWN and expected != UNKNOWN and \
                not gt.val_sub(self.mv.canon, actual, expected):
            raise self.mismatch(expected, actual)
        return actual

    def pop_vals(self, types) -> list[int]:
        vals = self.vals
        n = len(types)
        h = len(vals)
        if n == 0:
            return []
        if h - self.ctrls[-1].height >= n:
            top = vals[h - n:]
            if top == list(types):
                del vals[h - n:]
                return top
        popped = [self.pop_expect(t) for t in reversed(types)]
        popped.reverse()
        return popped

    def push_ctrl(self, op: int, start: tuple[int, ...], end: tuple[int, ...]) -> None:
        self.ctrls.append(_Frame(op, start, end, len(self.vals), len(self.init_log)
                                 if self.init_log else 0))
        self.vals.extend(start)

    def pop_ctrl(self) -> _Frame:
        if not self.ctrls:
            raise self.fail("unexpected end")
        frame = self.ctrls[-1]
        self.pop_vals(frame.end)
        if len(self.vals) != frame.height:
            raise self.fail(f"type mismatch: block requires {_types_str(frame.end)} but stack "
                            f"has {_types_str(self.vals[frame.height:] + list(frame.end))}")
        self.ctrls.pop()
        if self.init_log and len(self.init_log) > frame.init_height:  # set inside: unset again
            self.uninit.update(self.init_log[frame.init_height:])
            del self.init_log[frame.init_height:]
        return frame

    def set_unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame.height:]
        frame.unreachable = True

    def label(self, depth: int) -> tuple[int, ...]:
        if not 0 <= depth < len(self.ctrls):
            raise self.fail(f"unknown label {depth}")
        return self.ctrls[-1 - depth].labels

    def block_type(self, bt) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if bt is None:
            return (), ()
        if isinstance(bt, TypeIdx):
            ft = self.type_(bt.index)
            return ft.params, ft.results
        if bt >= HT_INDEX:
            self.mv.check_valtype(bt, self.where())
        return (), (bt,)

    def indirect_callee(self, typeidx: int, tableidx: int) -> FuncType:
        """The type of a call_indirect-like callee; pops the element index (i64 on a table64)."""
        tt = self.table(tableidx)
        if not self.mv.sub(tt.elem_type, FUNCREF):
            raise self.fail(f"type mismatch: {ops.op_name(self.body[self.pc][0])} requires a "
                            f"table of functions but table {tableidx} has "
                            f"{type_name(tt.elem_type)}")
        ft = self.type_(typeidx)
        self.pop_expect(_index_type(tt.limits))
        return ft

    def tail_call(self, ft: FuncType) -> None:
        """A tail call of a callee of type `ft` (its operands but the arguments already popped):
        the callee's results become the function's, so they must be the same types."""
        results, own = ft.results, self.ftype.results
        if len(results) != len(own) or not all(self.mv.sub(r, o) for r, o in zip(results, own, strict=True)):
            raise self.fail(f"type mismatch: tail call returns {_types_str(ft.results)} but the "
                            f"function returns {_types_str(self.ftype.results)}")
        self.pop_vals(ft.params)
        self.set_unreachable()
    # --- exception handling ---------------------------------------------------------------------

    def tag(self, x: int) -> FuncType:
        tags = self.mv.tags
        if x < len(tags):
            return tags[x]
        raise self.fail(f"unknown tag {x}")

    def exception_op(self, ins: tuple) -> None:
        """throw, throw_ref, try_table and the legacy try / catch / catch_all / delegate /
        rethrow."""
        op = ins[0]
        ctrls = self.ctrls
        if op == ops.THROW:
            self.pop_vals(self.tag(ins[1]).params)
            self.set_unreachable()
        elif op == ops.THROW_REF:
            self.pop_expect(EXNREF)
            self.set_unreachable()
        elif op == ops.TRY_TABLE:
            start, end = self.block_type(ins[1])
            for kind, x, depth in ins[2]:
                labels = self.label(depth)  # clause labels are outside the try_table
                delivered = self.tag(x).params if x is not None else ()
                if kind in (ops.CATCH_REF, ops.CATCH_ALL_REF):
                    delivered = delivered + (EXNREF | NON_NULL,)  # a caught exception: (ref exn)
                if len(delivered) != len(labels) or not all(
                        self.mv.sub(d, t) for d, t in zip(delivered, labels, strict=True)):
                    raise self.fail(f"type mismatch: catch delivers {_types_str(delivered)} "
                                    f"but label {depth} takes {_types_str(labels)}")
            self.pop_vals(start)
            self.push_ctrl(ops.TRY_TABLE, start, end)
        elif op == ops.TRY:
            start, end = self.block_type(ins[1])
            self.pop_vals(start)
            self.push_ctrl(ops.TRY, start, end)
        elif op == ops.CATCH or op == ops.CATCH_ALL:
            frame = ctrls[-1]
            if frame.op != ops.TRY and frame.op != ops.CATCH:
                raise self.fail(f"{ops.op_name(op)} without try")
            params = self.tag(ins[1]).params if op == ops.CATCH else ()
            self.pop_ctrl()
            self.push_ctrl(op, params, frame.end)
        elif op == ops.DELEGATE:
            frame = ctrls[-1]
            if frame.op != ops.TRY:
                raise self.fail("delegate without try")
            self.pop_ctrl()
            self.label(ins[1])  # relative to the try's enclosing blocks
            self.vals.extend(frame.end)
        else:  # RETHROW
            depth = ins[1]
            if not 0 <= depth < len(ctrls):
                raise self.fail(f"unknown label {depth}")
            if ctrls[-1 - depth].op not in (ops.CATCH, ops.CATCH_ALL):
                raise self.fail(f"invalid rethrow label {depth}")
            self.set_unreachable()

    # --- the body -----------------------------------------------------------------------------

    def run(self) -> None:
        mv = self.mv
        vals = self.vals
        ctrls = self.ctrls
        locals_ = self.locals
        globals_ = mv.globals
        plain = _PLAIN
        body = self.body
        uninit = self.uninit  # non-defaultable locals not set yet (mostly empty)
        if locals_ and max(locals_) >= HT_INDEX:  # concrete or non-null reference types
            nparams = len(self.ftype.params)
            for i, t in enumerate(locals_):
                if t >= HT_INDEX:
                    mv.check_valtype(t, self.where())
                    if t & NON_NULL and i >= nparams:
                        uninit.add(i)
        self.ctrls.append(_Frame(ops.BLOCK, (), self.ftype.results, 0))
        pc = 0
        n = len(body)
        while pc < n:
            if not ctrls:
                self.pc = pc
                raise self.fail("instructions after the function's final end")
            ins = body[pc]
            op = ins[0]
            sig = plain.get(op)
            if sig is not None:
                params, results = sig
                k = len(params)
                if k:
                    h = len(vals)
                    if h - ctrls[-1].height >= k and vals[h - k:] == params:
                        del vals[h - k:]
                    else:
                        self.pc = pc
                        self.pop_vals(params)
                if results:
                    vals.extend(results)
                pc += 1
                continue
            self.pc = pc
            if op == ops.LOCAL_GET:
                x = ins[1]
                if x >= len(locals_):
                    raise self.fail(f"unknown local {x}")
                if uninit and x in uninit:
                    raise self.fail(f"uninitialized local {x}")
                vals.append(locals_[x])
            elif op == ops.LOCAL_SET:
                x = ins[1]
                if x >= len(locals_):
                    raise self.fail(f"unknown local {x}")
                if uninit and x in uninit:
                    uninit.discard(x)
                    self.init_log.append(x)
                t = locals_[x]
                if vals and len(vals) > ctrls[-1].height and vals[-1] == t:
                    vals.pop()
                else:
                    self.pop_expect(t)
            elif op == ops.LOCAL_TEE:
                x = ins[1]
                if x >= len(locals_):
                    raise self.fail(f"unknown local {x}")
                if uninit and x in uninit:
                    uninit.discard(x)
                    self.init_log.append(x)
                t = locals_[x]
                self.pop_expect(t)
                vals.append(t)
            elif op == ops.GLOBAL_GET:
                x = ins[1]
                if x >= len(globals_):
                    raise self.fail(f"unknown global {x}")
                vals.append(globals_[x].val_type)
            elif op == ops.GLOBAL_SET:
                x = ins[1]
                if x >= len(globals_):
                    raise self.fail(f"unknown global {x}")
                gt = globals_[x]
                if not gt.mutable:
                    raise self.fail(f"global is immutable: global {x}")
                self.pop_expect(gt.val_type)
            elif op in _MEMACCESS:
                params, results, natural, lanes = _MEMACCESS[op]
                mt = self.memory(ins[4] if len(ins) == 5 else 0)
                if ins[1] > natural:
                    raise self.fail(f"alignment must not be larger than natural "
                                    f"(2**{ins[1]} > {1 << natural})")
                if lanes and ins[3] >= lanes:
                    raise self.fail(f"invalid lane index {ins[3]}")
                if mt.limits.is64:
                    params = [I64, *params[1:]]
                elif ins[2] > 0xFFFF_FFFF:
                    raise self.fail(f"offset out of range ({ins[2]} for a 32-bit memory)")
                self.pop_vals(params)
                vals.extend(results)
            elif op == ops.BLOCK or op == ops.LOOP or op == ops.IF:
                start, end = self.block_type(ins[1])
                if op == ops.IF:
                    self.pop_expect(I32)
                self.pop_vals(start)
                self.push_ctrl(op, start, end)
            elif op == ops.END:
                frame = self.pop_ctrl()
                if frame.op == ops.IF and frame.start != frame.end:
                    raise self.fail(f"type mismatch: if without else must leave its parameters "
                                    f"{_types_str(frame.start)} as its results "
                                    f"{_types_str(frame.end)}")
                vals.extend(frame.end)
            elif op == ops.ELSE:
                frame = ctrls[-1]
                if frame.op != ops.IF:
                    raise self.fail("else without matching if")
                self.pop_ctrl()
                self.push_ctrl(ops.ELSE, frame.start, frame.end)
            elif op == ops.BR:
                self.pop_vals(self.label(ins[1]))
                self.set_unreachable()
            elif op == ops.BR_IF:
                labels = self.label(ins[1])
                self.pop_expect(I32)
                self.pop_vals(labels)
                vals.extend(labels)
            elif op == ops.BR_TABLE:
                self.pop_expect(I32)
                default = self.label(ins[2])
                arity = len(default)
                for depth in ins[1]:
                    labels = self.label(depth)
                    if len(labels) != arity:
                        raise self.fail(f"type mismatch: br_table targets label {depth} of "
                                        f"arity {len(labels)} and default of arity {arity}")
                    vals.extend(self.pop_vals(labels))
                self.pop_vals(default)
                self.set_unreachable()
            elif op == ops.RETURN:
                self.pop_vals(self.ftype.results)
                self.set_unreachable()
            elif op == ops.UNREACHABLE:
                self.set_unreachable()
            elif op == ops.CALL:
                ft = self.func(ins[1])
                self.pop_vals(ft.params)
                vals.extend(ft.results)
            elif op == ops.CALL_INDIRECT:
                ft = self.indirect_callee(ins[1], ins[2])
                self.pop_vals(ft.params)
                vals.extend(ft.results)
            elif op == ops.DROP:
                self.pop()
            elif op == ops.SELECT:
                self.pop_expect(I32)
                t1 = self.pop()
                t2 = self.pop()
                if t1 not in _SELECTABLE or t2 not in _SELECTABLE:
                    raise self.fail(f"type mismatch: select requires numeric or vector "
                                    f"operands, got {type_name(t2)} and {type_name(t1)}")
                if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
                    raise self.fail(f"type mismatch: select operands {type_name(t2)} and "
                                    f"{type_name(t1)} differ")
                vals.append(t2 if t1 == UNKNOWN else t1)
            elif op == ops.SELECT_T:
                types = ins[1]
                if len(types) != 1:
                    raise self.fail(f"invalid result arity {len(types)} for select")
                t = types[0]
                mv.check_valtype(t, self.where())
                self.pop_expect(I32)
                self.pop_expect(t)
                self.pop_expect(t)
                vals.append(t)
            elif op == ops.REF_NULL:
                if ins[1] >= HT_INDEX:
                    mv.check_valtype(ins[1], self.where())
                vals.append(ins[1])
            elif op == ops.REF_IS_NULL:
                t = self.pop()
                if t != UNKNOWN and not is_ref(t):
                    raise self.fail(f"type mismatch: ref.is_null requires a reference, got "
                                    f"{type_name(t)}")
                vals.append(I32)
            elif op == ops.REF_FUNC:
                x = ins[1]
                self.func(x)
                if x not in mv.refs and not self.const_where:
                    raise self.fail(f"undeclared function reference {x}")
                vals.append((HT_INDEX + mv.func_type_idx[x]) | NON_NULL)
            elif op == ops.MEMORY_SIZE or op == ops.MEMORY_GROW or op == ops.MEMORY_FILL:
                at = _index_type(self.memory(ins[1] if len(ins) > 1 else 0).limits)
                if op == ops.MEMORY_SIZE:
                    vals.append(at)
                elif op == ops.MEMORY_GROW:
                    self.pop_expect(at)
                    vals.append(at)
                else:
                    self.pop_vals((at, I32, at))
            elif op == ops.MEMORY_COPY:
                d_at = _index_type(self.memory(ins[1] if len(ins) > 1 else 0).limits)
                s_at = _index_type(self.memory(ins[2] if len(ins) > 1 else 0).limits)
                self.pop_vals((d_at, s_at, I32 if I32 in (d_at, s_at) else I64))
            elif op == ops.MEMORY_INIT:
                at = _index_type(self.memory(ins[2] if len(ins) > 2 else 0).limits)
                self.data(ins[1])
                self.pop_vals((at, I32, I32))
            elif op == ops.DATA_DROP:
                self.data(ins[1])
            elif op == ops.TABLE_GET:
                tt = self.table(ins[1])
                self.pop_expect(_index_type(tt.limits))
                vals.append(tt.elem_type)
            elif op == ops.TABLE_SET:
                tt = self.table(ins[1])
                self.pop_expect(tt.elem_type)
                self.pop_expect(_index_type(tt.limits))
            elif op == ops.TABLE_SIZE:
                tt = self.table(ins[1])
                vals.append(_index_type(tt.limits))
            elif op == ops.TABLE_GROW:
                tt = self.table(ins[1])
                at = _index_type(tt.limits)
                self.pop_expect(at)
                self.pop_expect(tt.elem_type)
                vals.append(at)
            elif op == ops.TABLE_FILL:
                tt = self.table(ins[1])
                at = _index_type(tt.limits)
                self.pop_expect(at)
                self.pop_expect(tt.elem_type)
                self.pop_expect(at)
            elif op == ops.TABLE_COPY:
                dst = self.table(ins[1])
                src = self.table(ins[2])
                if not mv.sub(src.elem_type, dst.elem_type):
                    raise self.fail(f"type mismatch: source element type "
                                    f"{type_name(src.elem_type)} does not match destination "
                                    f"element type {type_name(dst.elem_type)}")
                d_at, s_at = _index_type(dst.limits), _index_type(src.limits)
                self.pop_vals((d_at, s_at, I32 if I32 in (d_at, s_at) else I64))
            elif op == ops.TABLE_INIT:
                tt = self.table(ins[2])
                et = self.elem(ins[1])
                if not mv.sub(et, tt.elem_type):
                    raise self.fail(f"type mismatch: element segment's type {type_name(et)} "
                                    f"does not match table's element type "
                                    f"{type_name(tt.elem_type)}")
                self.pop_vals((_index_type(tt.limits), I32, I32))
            elif op == ops.ELEM_DROP:
                self.elem(ins[1])
            elif op in _LANE_OPS:
                params, results, lanes = _LANE_OPS[op]
                if ins[1] >= lanes:
                    raise self.fail(f"invalid lane index {ins[1]}")
                self.pop_vals(params)
                vals.extend(results)
            elif op == ops.I8X16_SHUFFLE:
                if any(lane >= 32 for lane in ins[1]):
                    raise self.fail("invalid lane index")
                self.pop_vals((V128, V128))
                vals.append(V128)
            elif op in GC_OPS:
                gc_op(self, ins)
            # --- Wasm 3.0 tail calls ---------------------------------------------------------
            elif op == ops.RETURN_CALL:
                self.tail_call(self.func(ins[1]))
            elif op == ops.RETURN_CALL_INDIRECT:
                self.tail_call(self.indirect_callee(ins[1], ins[2]))
            elif op in ops.EH_OPS:
                self.exception_op(ins)
            elif op in ops.ATOMIC_ALIGN:  # threads: the alignment must be exactly the width
                if not mv.memories:
                    raise self.fail("unknown memory 0")
                natural = ops.ATOMIC_ALIGN[op]
                if ins[1] != natural:
                    raise self.fail(f"atomic alignment must be natural "
                                    f"(2**{ins[1]} != {1 << natural})")
                info = ops.OPCODES[op]
                self.pop_vals(info.params)
                vals.extend(info.results or ())
            elif op == ops.ATOMIC_FENCE:
                pass
            else:
                raise self.fail(f"unknown instruction {ops.op_name(op)}")
            pc += 1
        if ctrls:
            self.pc = n
            raise self.fail("function body does not end with end")

