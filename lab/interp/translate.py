"""The translating tier's code generator: one Wasm function body -> the source of one Python
function.

Shape of the generated function (`def f<index>(l0, l1, ...)`):
  * Wasm locals are Python locals `l<k>`; operand-stack slots are Python locals `s<height>`;
    the generator keeps a compile-time stack of pending *expressions* and writes a slot only
    when it must (a side effect, a control-flow merge, or a write to a variable an expression
    reads), so `local.get 0; i32.const 1; i32.add; local.set 0` becomes `l0 = (l0 + 1) & M`.
  * Wasm loops become `while True:` (a branch to the loop is `continue`, falling off its end is
    `break`). Blocks and ifs do not nest Python loops, because CPython allows only 20 nested
    loops: a branch forward to the end of a block sets the local `br` to the block's label id,
    leaves any Python loops in between with `break`, and the code up to that block's end runs
    under sibling `if not br:` guards (flat, so deep Wasm nesting stays shallow in Python).
    Wasm `if`/`else` becomes a Python `if`/`else`. Where it can, a branch needs no flag: a
    `br_if` to its own block's end nests what follows under `if not (cond):` (nest_exit), a
    `br` from there to the block around it puts the rest of that block in the `else:`
    (else_exit), and a flag whose landing leaves at once becomes a copy of it (jumps.py).
  * Calls are direct Python calls of `f<index>` from the instance's namespace, so deep Wasm
    recursion is deep Python recursion: tier.py bounds it with the recursion limit and turns
    RecursionError into a call-stack-exhausted trap. A Python call cannot replace its caller,
    so a function with a tail call (return_call*) is Untranslatable: it runs on the interpreter
    tier, which runs tail-call chains in constant depth (and its callees with them).
  * Wide arithmetic (i64.add128 ...) is two statements into the two result slots (wide.py).
  * Fuel, only when generated with `fuel=True`: one unit per call and, per loop iteration, the
    number of Wasm instructions in the loop, kept in the store (`S.fuel`).
  * A call of a small straight-line function is translated as the callee's body in place,
    and constant operands that decide an op's result fold (inline.py).
  * Exception handling: `throw` and `throw_ref` raise errors.UncaughtException (eh.py), which
    passes through translated frames as any Python exception does. Functions with handlers
    (try_table, the legacy try) are Untranslatable: they stay on the interpreter, whose
    handler tables catch what translated callees throw.
Atomics (threads) become calls of atomics.py's functions, bound by name (tier.py); SIMD,
relaxed SIMD included, stays Untranslatable (the interpreter tier runs those functions).
Numbers use pyops' templates (bit-exact, from numeric.py); loads and stores go through
struct's unpack_from/pack_into and bytearray indexing, whose struct.error/IndexError past the
end of memory tier.py turns into an out-of-bounds trap.

Multi-memory, memory64, table64: a load or store on a memory other than memory 0 (`M<x>` in
the namespace), or on a 64-bit memory 0, checks its effective address against the memory's
size first (general_address): past the end, an i64 address raises OverflowError rather than
struct.error, and address + offset must not wrap. Memory 0 with 32-bit addresses keeps the code
above unchanged. memory.size/grow/fill/copy/init on any memory and table64's instructions call
runtime helpers; SIMD accesses stay Untranslatable like all SIMD.

The source depends only on the module, so its code object is shared by every instance (it is
executed in an instance's namespace: see tier.py) and can be cached on disk.
"""

from __future__ import annotations

import re

from . import jumps
from . import module as m
from .inline import CALLER_BUDGET, fold, inlinable
from .numeric import bits_to_f64, f64_to_bits
from .opcodes import I64_MUL_WIDE_S, OPCODES, RETURN_CALL, RETURN_CALL_INDIRECT, WIDE_ARITHMETIC
from .pyops import (
    BINARY_OPS,
    BY_CONSTANT,
    LOAD_TOPS,
    LOADS,
    M64,
    NARROW_STORES,
    SIGNED_COMPARISONS,
    STORES,
    UNARY_OPS,
    Op,
    shift_by_constant,
    signed_comparison,
)
from .runtime import global_is_mutable
from .wide import TEMPLATES as WIDE_TEMPLATES
from .wide import statements as wide_statements

# Python limits the generated code must respect.
MAX_PY_LOOPS = 18        # CPython: at most 20 statically nested blocks (loops, try, with)
MAX_INDENT = 90          # tokenizer: at most 100 indentation levels
MAX_EXPR_DEPTH = 12      # keep nested expressions far from the parser's limits
SMALL_INT = (1 << 30) - 1  # CPython's one-digit ints: their comparisons are specialized
ADDRESS_LIMIT = m.ENGINE_MAX_PAGES * m.PAGE_SIZE  # no memory is larger (see local_tops)
MAX_NEST_INDENT = 60     # deeper than this, exits from blocks set `br` instead of nesting
FILENAME = "<wasm>"      # co_filename of every generated function: tier.py counts these frames


# Loads stay pending expressions (see settle), marked in their deps by a name no Python
# variable can have.
_MEMORY = "<memory>"
_READS_MEMORY = frozenset((_MEMORY,))
# Instructions that neither trap (except loads, and the trapping number ops, which settle
# themselves) nor have a side effect nor discard an operand unevaluated.
_LEAVES_LOADS_PENDING = (frozenset({0x20, 0x21, 0x22, 0x23, 0x41, 0x42, 0x43, 0x44, 0xD0, 0xD1})
                         | frozenset(LOADS) | frozenset(BINARY_OPS) | frozenset(UNARY_OPS))
# if, br_if and global.set evaluate their one operand first; select may skip x or y, so
# only its condition stays pending.
_EVALUATE_THEIR_TOP_OPERAND = frozenset({0x04, 0x0D, 0x24, 0x1B, 0x1C})
_TAIL_CALLS = frozenset((RETURN_CALL, RETURN_CALL_INDIRECT))


# The initial value of a local of each type (others: "0").
_ZEROS = {m.F64: "0.0", m.FUNCREF: "None", m.EXTERNREF: "None"}
_ZEROS.update(dict.fromkeys(m.EH_REF_TYPES, "None"))  # exception handling: null exnref


def _zero_source(t: int, zeros: dict[int, str]) -> str:
    """A local's initial value; every Wasm 3.0 reference type starts as null."""
    z = zeros.get(t)
    return z if z is not None else "None" if m.is_ref(t) else "0"


class Untranslatable(Exception):
    """The function cannot be expressed within Python's limits, or uses instructions this tier
    does not translate (SIMD; Wasm 3.0's call_ref, return_call_ref, ref.as_non_null, ref.eq,
    br_on_*, ref.test/cast and struct/array/i31 ops): it stays on the interpreter. Typed
    references alone (locals, params, ref.null/ref.func, call_indirect to subtypes) translate."""


_BLOCK, _LOOP, _IF, _FUNC = "block", "loop", "if", "func"


class _Entry:
    """One compile-time operand: a Python expression and the variables it reads."""

    __slots__ = ("expr", "deps", "cond", "atom", "depth", "wide", "top", "wrap", "bounds")

    def __init__(self, expr: str, deps: frozenset = frozenset(), cond: bool = False,
                 atom: bool = False, depth: int = 0, wide: str = "",
                 top: int | None = None) -> None:
        self.expr = expr
        self.deps = deps      # names of locals/slots it reads; "G" if it reads a global
        self.cond = cond      # a Python condition rather than a value
        self.atom = atom      # a name or a literal: usable anywhere without parentheses
        self.depth = depth
        self.wide = wide      # the mask that makes it canonical, if it lacks one (pyops.Op)
        self.top = top        # if known: the expression's value is in range(top + 1)
        self.wrap = ""        # wide and in range(-2**N, 2**N) ("under") or (0, 2**(N+1))
                              # ("over"): assign() can wrap it with a cheap test
        self.bounds: tuple[tuple[str, int], ...] = ()  # (local, top) its loads prove once evaluated

    def value(self) -> str:
        if self.cond:
            return f"(1 if {self.expr} else 0)"
        if self.wrap == "over":     # see assign(); `ea` is free for a moment in any statement
            if self.wide == M64:
                return f"ea if (ea := {self.expr}) <= {M64} else ea - {1 << 64}"
            return f"ea if (ea := {self.expr}) <= {SMALL_INT} else ea & {self.wide}"
        if self.wrap == "under":
            return f"ea if (ea := {self.expr}) >= 0 else ea + {int(self.wide, 16) + 1}"
        if self.wide:
            return f"({self.expr}) & {self.wide}"
        return self.expr

    def operand(self) -> str:
        if self.atom:
            return self.expr
        return f"({self.value()})"

    def loose_operand(self) -> str:
        """As an operand of a template that only depends on its low bits."""
        return f"({self.expr})" if self.wide else self.operand()

    def test(self) -> str:
        return self.value() if self.wide else self.expr


def _var(name: str, top: int | None = None) -> _Entry:
    return _Entry(name, frozenset((name,)), atom=True, top=top)


def _const(text: str) -> _Entry:
    return _Entry(text, atom=not text.startswith("-"), top=int(text) if text.isdigit() else None)


class _Ctrl:
    __slots__ = ("kind", "base", "nparams", "nresults", "label", "loop", "ctx", "escapes",
                 "if_indent", "then_pending", "then_reached", "cost_start", "body_ctx", "nests",
                 "jumped", "nest_if", "else_for")

    def __init__(self, kind, base, nparams, nresults, label, loop, ctx):
        self.kind = kind
        self.base = base
        self.nparams = nparams
        self.nresults = nresults
        self.label = label      # id stored in `br` by branches to it
        self.loop = loop        # the innermost Python loop (a _Ctrl of kind loop) around it
        self.ctx = ctx          # the Python context its end is emitted in
        self.escapes: set[int] = set()    # loop: labels outside it that a `break` from it may carry
        self.if_indent = 0      # if: indentation of its `if` line (for `else:`)
        self.then_pending = None
        self.then_reached = False
        self.cost_start = 0
        self.body_ctx = ctx     # block: the context its remaining code goes to (see nest_exit)
        self.nests = 0          # block: contexts opened by nest_exit, closed at its end
        self.jumped = False     # block: a branch reaches its end without setting `br`
        self.nest_if: int | None = None   # block: indentation of its one `if not (...):` nest
        self.else_for: _Ctrl | None = None  # block: its end opens an `else:` holding the rest
        #                                     of this block (see else_exit)


class _Context:
    """A Python statement list: the function body, a loop body or an if arm."""

    __slots__ = ("indent", "guard", "reguard", "pending", "has_stmt", "chain")

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.guard = False      # inside an `if not br:` guard of this context
        self.reguard = False    # `br` may have been set since the guard was opened
        self.pending: set[int] = set()    # labels `br` may hold here
        self.has_stmt = False
        # While the last statement at this level is an if/elif chain of block ends that
        # nothing falls through to: the labels its bodies may leave in `br` (see resolve).
        self.chain: set[int] | None = None


class FunctionTranslator:
    def __init__(self, mod: m.Module, func_types: list[m.FuncType], defined_index: int,
                 fuel: bool = False) -> None:
        self.mod = mod
        self.func_types = func_types
        self.index = len(func_types) - len(mod.funcs) + defined_index
        self.func = mod.funcs[defined_index]
        self.ftype = mod.types[self.func.type_index]
        self.fuel = fuel
        self.lines: list[str] = []
        self.stack: list[_Entry] = []
        self.ctrls: list[_Ctrl] = []
        self.ctxs: list[_Context] = []
        self.next_label = 1
        self.py_loops = 0
        self.special_consts: dict[int, str] = {}   # f64 bits -> keyword default name
        self.uses_br = False
        self.ninstr = 0
        self.last_result = (-1, "")
        self.last_wrap = (-1, "")    # (line count, variable) after assign()'s "under" wrap
        # While an inlined callee's body is translated: its local index -> the caller's
        # variable holding it, or the entry (a constant or a caller's local) it is bound to
        # until its first write (see inline.py).
        self.inlined_locals: dict[int, str | _Entry] | None = None
        self.next_local = len(self.ftype.params) + len(self.func.code.locals)
        self.inlined = 0             # instructions inlined so far (inline.CALLER_BUDGET)
        # Locals known to be at most a bound here: each was the address of a load or store that
        # did not trap, so it is below the memory's size (at most ADDRESS_LIMIT), and a small
        # constant added to it needs no wrap. Kept for straight-line code only: cleared where
        # another path joins (loop heads, else, end) and for a local when it is assigned.
        self.local_tops: dict[str, int] = {}
        # Where each block end that a flag reaches is resolved: (index of the line after its
        # `br = 0`, indentation), for jump threading (see jumps.py).
        self.landings: dict[int, tuple[int, int]] = {}
        self.mem64 = [mt.limits.is64 for mt in m.memory_types(mod)]  # per memory: i64 addresses
        self.wide0 = bool(self.mem64) and self.mem64[0]

    # -- emission ---------------------------------------------------------------------------

    @property
    def ctx(self) -> _Context:
        return self.ctxs[-1]

    def _put(self, indent: int, text: str) -> None:
        if indent > MAX_INDENT:
            raise Untranslatable("nesting too deep for Python")
        if self.ctxs and indent == self.ctxs[-1].indent:
            self.ctxs[-1].chain = None
        self.lines.append("    " * indent + text)

    def emit(self, text: str) -> int:
        """Emit a statement in the current context (inside a guard if a branch may be in
        flight); return its indentation."""
        c = self.ctx
        if c.pending and (not c.guard or c.reguard):
            self._put(c.indent, "if not br:")
            c.guard, c.reguard = True, False
        elif not c.pending:
            c.guard = False
        ind = c.indent + (1 if c.guard else 0)
        self._put(ind, text)
        c.has_stmt = True
        return ind

    def emit_plain(self, text: str) -> None:
        """Emit at the context's own level, closing any open guard."""
        c = self.ctx
        c.guard = False
        self._put(c.indent, text)
        c.has_stmt = True

    def in_flight(self, labels) -> None:
        if labels:
            self.uses_br = True
            c = self.ctx
            c.pending |= set(labels)
            c.reguard = True
            if c.chain is not None:
                c.chain |= set(labels)

    # -- the operand stack -----------------------------------------------------------------

    def push(self, e: _Entry) -> None:
        if e.depth > MAX_EXPR_DEPTH or len(e.expr) > 400:
            self.stack.append(e)
            self.materialize(len(self.stack) - 1)
            return
        self.stack.append(e)

    def pop(self) -> _Entry:
        return self.stack.pop()

    def slot(self, h: int) -> str:
        return f"s{h}"

    def materialize(self, h: int) -> None:
        e = self.stack[h]
        name = self.slot(h)
        if e.expr == name:
            return
        self.before_write(name, keep=h)
        self.assign(name, e)
        self.stack[h] = _var(name)

    def assign(self, name: str, e: _Entry) -> None:
        """`name = e`; a sum or difference of two canonical values is stored as is and wrapped
        only when out of range, by a test cheaper than the mask for the usual small values
        (CPython compares ints below 2**30 fast, `&` allocates). A sum of i64 values is tested
        against 2**64 itself: they are often large (hashes, crypto), and a large sum below
        2**64 then needs no second operation at all, where `> 2**30` would mask it."""
        if not e.wrap:
            self.emit(f"{name} = {e.value()}")
            return
        self.emit(f"{name} = {e.expr}")
        if e.wrap == "under":
            self.emit(f"if {name} < 0: {name} += {int(e.wide, 16) + 1}")
            self.last_wrap = (len(self.lines), name)
        elif e.wide == M64:     # "over": in range(2**65), so one subtraction wraps it
            self.emit(f"if {name} > {M64}: {name} -= {1 << 64}")
        else:
            self.emit(f"if {name} > {SMALL_INT}: {name} &= {e.wide}")

    def before_write(self, name: str, keep: int = -1) -> None:
        """Write out every pending expression that reads `name` (about to change)."""
        for h, e in enumerate(self.stack):
            if h != keep and name in e.deps:
                self.materialize(h)

    def settle(self, keep: int = 0) -> None:
        """Evaluate now every pending load below the top `keep` operands. A load may trap, so
        it must run before the next side effect or trap and must not be dropped or skipped
        with its value; the top `keep` operands are evaluated by the instruction's own
        statement before its effect. Among themselves loads may run in any order: they all
        trap alike and change nothing."""
        for h in range(len(self.stack) - keep):
            if _MEMORY in self.stack[h].deps:
                self.materialize(h)

    def taken_by_statement(self, ins: tuple) -> int:
        """How many top operands the statement of `ins` evaluates before its effect."""
        op = ins[0]
        if op in STORES:
            return 2
        if op == 0x10:
            return len(self.func_types[ins[1]].params)
        return 1 if op in _EVALUATE_THEIR_TOP_OPERAND else 0

    def flush_globals(self) -> None:
        for h, e in enumerate(self.stack):
            if "G" in e.deps:
                self.materialize(h)

    def flush_all(self) -> None:
        """Before control flow: every operand becomes its slot variable (or a literal)."""
        for h, e in enumerate(self.stack):
            if e.deps and e.expr != self.slot(h):
                self.materialize(h)

    def result_into(self, h: int, e: _Entry) -> None:
        """Push `e` (a side effect or trapping expression) evaluated now into slot h."""
        name = self.slot(h)
        self.before_write(name)
        self.emit(f"{name} = {e.value()}")
        self.stack.append(_var(name, e.top))
        self.last_result = (len(self.lines), name)

    def retarget_last_result(self, e: _Entry, local: str) -> bool:
        """`s = <load/call...>; local.set x`: assign the local directly when the slot's value
        was computed by the very last line."""
        if self.last_result != (len(self.lines), e.expr):
            return False
        line = self.lines[-1]
        pad = len(line) - len(line.lstrip())
        prefix = f"{e.expr} = "
        if not line[pad:].startswith(prefix):
            return False
        self.lines[-1] = line[:pad] + f"{local} = " + line[pad + len(prefix):]
        return True

    def atomize(self, n: int) -> None:
        """Turn the top n operands into plain names (a template repeats them)."""
        top = len(self.stack)
        for h in range(top - n, top):
            if not self.stack[h].atom:
                self.materialize(h)

    @staticmethod
    def combine(op: int, spec: Op, operands: list[_Entry]) -> _Entry:
        """The entry of `spec`'s template applied to `operands`."""
        subs = {}
        deps: frozenset = frozenset()
        depth = 0
        for key, e in zip("xy", operands, strict=False):  # one operand for unary ops
            subs[key] = e.loose_operand() if key in spec.loose else e.operand()
            deps |= e.deps
            depth = max(depth, e.depth)
        template, wrap = _sum_shape(op, spec, operands, subs)
        wide = spec.wide
        if spec.wide_if == "all" and not all(e.wide for e in operands) or (
                spec.wide_if == "any" and not any(e.wide for e in operands)):
            wide = ""
        top = _TOPS[op](*operands) if op in _TOPS and template is spec.template else None
        if wide and top is not None and top <= int(wide, 16):
            wide = ""     # provably in range already
        e = _Entry(template.format(**subs), deps, cond=spec.cond, depth=depth + 1, wide=wide,
                   top=top)
        e.wrap = wrap if wide else ""
        e.bounds = tuple(b for operand in operands for b in operand.bounds)
        return e

    # -- constants --------------------------------------------------------------------------

    def f64_literal(self, bits: int) -> str:
        x = bits_to_f64(bits)
        if x != x:
            name = self.special_consts.get(bits)
            if name is None:
                name = self.special_consts[bits] = f"k{len(self.special_consts)}"
            return name
        if x in (float("inf"), float("-inf")):
            return "1e999" if x > 0 else "-1e999"
        text = repr(x)
        assert f64_to_bits(float(text)) == bits
        return text

    # -- control ----------------------------------------------------------------------------

    def block_sig(self, bt) -> tuple[int, int]:
        if bt is None:
            return 0, 0
        if isinstance(bt, m.TypeIdx):
            t = self.mod.types[bt.index]
            return len(t.params), len(t.results)
        return 0, 1

    def new_label(self) -> int:
        self.next_label += 1
        return self.next_label

    def assign_values(self, base: int, values: list[_Entry]) -> str | None:
        targets, sources = [], []
        for i, e in enumerate(values):
            name = self.slot(base + i)
            if e.expr != name:
                targets.append(name)
                sources.append(e.value())
        if not targets:
            return None
        return f"{', '.join(targets)} = {', '.join(sources)}"

    def fuel_lines(self, cost: int) -> list[str]:
        if not self.fuel:
            return []
        return [f"S.fuel -= {cost}", "if S.fuel < 0: out_of_fuel()"]

    def branch_lines(self, depth: int) -> tuple[list[str], set]:
        """Statements that take the branch to label `depth` from here (values included), and
        the labels this leaves in flight in the current context."""
        t = self.ctrls[-1 - depth]
        cur_loop = self.ctrls[-1].loop if self.ctrls[-1].kind != _LOOP else self.ctrls[-1]
        arity = t.nparams if t.kind == _LOOP else t.nresults
        values = self.stack[len(self.stack) - arity:] if arity else []
        if t.kind == _FUNC:
            return [self.return_line(values)], set()
        lines = []
        assign = self.assign_values(t.base, values)
        if assign:
            lines.append(assign)
        if t.kind == _LOOP and t is cur_loop:
            lines += self.fuel_lines(self.ninstr - t.cost_start + 1)
            lines.append("continue")
            return lines, set()
        lines.append(f"br = {t.label}")
        self.uses_br = True
        target_loop = t if t.kind == _LOOP else t.loop
        if target_loop is not cur_loop:
            # leave every Python loop between here and the target
            lp = cur_loop
            while lp is not None and lp is not target_loop:
                lp.escapes.add(t.label)
                lp = lp.loop
            lines.append("break")
            return lines, set()
        return lines, {t.label}

    def return_line(self, values: list[_Entry]) -> str:
        if not values:
            return "return"
        return "return " + ", ".join(e.value() for e in values)

    def enter(self, kind: str, nparams: int, nresults: int) -> _Ctrl:
        self.last_result = (-1, "")
        self.flush_all()
        base = len(self.stack) - nparams
        for h in range(base, len(self.stack)):   # parameters live in their slots, constants too
            if self.stack[h].expr != self.slot(h):
                self.materialize(h)
        outer = self.ctrls[-1]
        loop = outer if outer.kind == _LOOP else outer.loop
        c = _Ctrl(kind, base, nparams, nresults, self.new_label(), loop, self.ctx)
        c.body_ctx = self.ctx
        c.cost_start = self.ninstr
        self.ctrls.append(c)
        return c

    def fallthrough_results(self, c: _Ctrl) -> None:
        values = self.stack[len(self.stack) - c.nresults:] if c.nresults else []
        assign = self.assign_values(c.base, values)
        if assign:
            self.emit(assign)

    def reset_stack(self, c: _Ctrl, n: int) -> None:
        self.last_result = (-1, "")    # a control-flow merge: never retarget across it
        del self.stack[c.base:]
        self.stack.extend(_var(self.slot(c.base + i)) for i in range(n))

    def resolve(self, label: int, only_flagged: bool = False) -> None:
        """The end of the block `label` in the current context: a branch to it lands here.
        `only_flagged`: nothing falls through to it, so `br` is set on every arrival."""
        c = self.ctx
        if label not in c.pending:
            return
        if c.pending == {label}:
            self.emit_plain("br = 0")
            self.landings[label] = (len(self.lines), c.indent)
            reguard = False
        elif only_flagged:      # what follows runs under this test: it is the guard
            # The bodies of the if/elif chain before this test end by setting `br` to one of
            # c.chain (or by leaving): if that is not `label`, this test would fail after any
            # of them, so it can be an `elif`, skipped once a body ran. A br_table's cases
            # become one if/elif chain instead of a test of every later case.
            chain = c.chain if c.chain is not None and label not in c.chain else None
            self.emit_plain(f"{'if' if chain is None else 'elif'} br == {label}:")
            self._put(c.indent + 1, "br = 0")
            self.landings[label] = (len(self.lines), c.indent + 1)
            c.guard = True
            c.chain = set() if chain is None else chain
            reguard = False
        else:
            self.emit_plain(f"if br == {label}: br = 0")
            self.landings[label] = (len(self.lines), c.indent)
            reguard = True
        c.pending.discard(label)
        c.reguard = reguard and bool(c.pending)

    def close_context(self) -> _Context:
        c = self.ctxs.pop()
        if not c.has_stmt:
            self._put(c.indent, "pass")
        return c

    # -- the body ---------------------------------------------------------------------------

    def translate(self) -> str:
        ft = self.ftype
        params = [f"l{i}" for i in range(len(ft.params))]
        nparams = len(params)
        body_ctx = _Context(1)
        self.ctxs.append(body_ctx)
        func_ctrl = _Ctrl(_FUNC, 0, 0, len(ft.results), 0, None, body_ctx)
        self.ctrls.append(func_ctrl)
        zeros = _ZEROS
        needs_zero = _needs_zero(self.func.code.body)
        for i, t in enumerate(self.func.code.locals):
            if t == m.V128:
                raise Untranslatable("SIMD")
            if nparams + i in needs_zero:
                self.emit(f"l{nparams + i} = {_zero_source(t, zeros)}")
        self.emit("br = 0")
        if self.fuel:
            self.emit("S.fuel -= 1")
            self.emit("if S.fuel < 0: out_of_fuel()")
        self.body(self.func.code.body)
        lines = jumps.thread_jumps(self.lines, self.landings)
        kw = [f"{name}=bits_to_f64({bits:#x})" for bits, name in self.special_consts.items()]
        header = f"def f{self.index}({', '.join(params + (['*'] + kw if kw else []))}):"
        if not self.uses_br:
            lines = [ln for ln in lines if ln.strip() != "br = 0"]
        return header + "\n" + "\n".join(lines) + "\n"

    def body(self, code: list[tuple]) -> None:
        dead = False
        dead_depth = 0
        for ins in code:
            op = ins[0]
            if dead:
                if op in (0x02, 0x03, 0x04):
                    dead_depth += 1
                    continue
                if op == 0x0B:
                    if dead_depth:
                        dead_depth -= 1
                        continue
                elif op == 0x05:
                    if dead_depth:
                        continue
                else:
                    continue
            self.ninstr += 1
            dead = self.instruction(ins, dead)

    def instruction(self, ins: tuple, dead: bool) -> bool:
        """Translate one instruction; return whether the code after it is unreachable."""
        op = ins[0]
        st = self.stack
        if dead and op not in (0x05, 0x0B):
            return True
        if op not in _LEAVES_LOADS_PENDING:
            self.settle(self.taken_by_statement(ins))
        if op == 0x20:
            name = self.local_name(ins[1])
            if isinstance(name, _Entry):
                self.push(_Entry(name.expr, name.deps, atom=True, top=name.top))
            else:
                self.push(_var(name, self.local_tops.get(name)))
        elif op == 0x21 or op == 0x22:
            e = self.pop()
            name = self.written_local(ins[1])
            self.before_write(name)
            if e.expr != name and not self.retarget_last_result(e, name):
                self.assign(name, e)
            self.proven(e.bounds)  # its loads ran in the statement just emitted
            self.local_tops.pop(name, None)
            if e.top is not None:
                self.local_tops[name] = e.top
            if op == 0x22:
                self.push(_var(name, e.top))
        elif op == 0x41:
            self.push(_const(str(ins[1] & 0xFFFFFFFF)))
        elif op == 0x42:
            self.push(_const(str(ins[1] & 0xFFFFFFFFFFFFFFFF)))
        elif op == 0x43:
            self.push(_const(str(ins[1])))
        elif op == 0x44:
            self.push(_const(self.f64_literal(ins[1])))
        elif op in BINARY_OPS:
            self.binary(op)
        elif op in UNARY_OPS:
            self.unary(op)
        elif op in LOADS:
            addr = self.pop()
            if len(ins) == 5 or self.wide0:  # multi-memory, memory64: see general_address
                expr = (f"{_on_memory(LOADS[op].format(a='gea'), ins)} if "
                        f"{self.general_address(ins, addr)} else oob()")
            else:
                expr = LOADS[op].format(a=self.address(addr, ins[2]))
            load = _Entry(expr, addr.deps | _READS_MEMORY,
                          depth=addr.depth + 1, top=LOAD_TOPS.get(op))
            load.bounds = addr.bounds + self.accessed(addr, ins[2])
            self.push(load)
        elif op in STORES:
            general = len(ins) == 5 or self.wide0
            if general and _MEMORY in st[-1].deps:
                self.materialize(len(st) - 1)  # its loads would reuse `gea` (general_address)
            v = self.pop()
            addr = self.pop()
            a = "gea" if general else self.address(addr, ins[2])
            if op not in NARROW_STORES:
                store = STORES[op].format(a=a, v=v.operand())
            elif v.top is not None and v.top <= NARROW_STORES[op][0]:
                store = NARROW_STORES[op][1].format(a=a, v=v.operand())
            else:
                store = STORES[op].format(a=a, v=v.loose_operand())
            if general:
                self.emit(f"if not {self.general_address(ins, addr)}: oob()")
                store = _on_memory(store, ins)
            self.emit(store)
            self.proven(v.bounds + addr.bounds + self.accessed(addr, ins[2]))
        elif op == 0x1A:
            self.pop()
        elif op == 0x1B or op == 0x1C:
            c = self.pop()
            y = self.pop()
            x = self.pop()
            self.push(_Entry(f"{x.operand()} if {c.operand() if not c.cond else c.expr} "
                             f"else {y.operand()}", x.deps | y.deps | c.deps,
                             depth=max(x.depth, y.depth, c.depth) + 1))
        elif op == 0x23:
            g = ins[1]
            if global_is_mutable(self.mod, g):
                self.push(_Entry(f"g{g}.value", frozenset(("G",)), atom=True))
            else:
                self.push(_Entry(f"gv{g}", atom=True))
        elif op == 0x24:
            e = self.pop()
            self.flush_globals()
            self.emit(f"g{ins[1]}.value = {e.value()}")
        elif op == 0x02 or op == 0x03:
            np_, nr = self.block_sig(ins[1])
            if op == 0x02:
                self.enter(_BLOCK, np_, nr)
            else:
                self.loop_start(np_, nr)
        elif op == 0x04:
            self.if_start(ins[1])
        elif op == 0x05:
            self.else_arm(dead)
        elif op == 0x0B:
            return self.end(dead)
        elif op == 0x0C:
            if self.nest_exit(ins[1], None):
                return True
            lines, flight = self.branch_lines(ins[1])
            for ln in lines:
                self.emit(ln)
            self.in_flight(flight)
            return True
        elif op == 0x0D:
            cond = self.pop()
            if self.nest_exit(ins[1], cond):
                return False
            wrap = self.take_back_wrap(cond)
            lines, flight = self.branch_lines(ins[1])
            self.conditional(cond.test(), wrap + lines)
            self.in_flight(flight)
        elif op == 0x0E:
            self.br_table(ins[1], ins[2])
            return True
        elif op == 0x0F:
            self.emit(self.return_line(self.stack[len(st) - len(self.ftype.results):]
                                       if self.ftype.results else []))
            return True
        elif op == 0x00:
            self.emit("unreachable()")
            return True
        elif op == 0x01:
            pass
        elif op == 0x10:
            if not self.inline_call(ins[1]):
                self.call(f"f{ins[1]}", self.func_types[ins[1]])
        elif op == 0x11:
            t = self.mod.types[ins[1]]
            idx = self.pop()
            self.flush_globals()
            name = self.slot(len(st))
            self.before_write(name)
            self.emit(f"{name} = call_target(T{ins[2]}.elems, {idx.value()}, TY{ins[1]})")
            self.call(name, t)
        elif op == 0x3F:
            if len(ins) > 1:  # memory x (multi-memory)
                self.result_into(len(st), _Entry(f"len(INST.mems[{ins[1]}].data) >> 16"))
            else:
                self.result_into(len(st), _Entry("len(M) >> 16"))
        elif op == 0x40:
            n = self.pop()
            if len(ins) > 1 or self.wide0:  # memory x, or a 64-bit memory (an i64 -1)
                mem = ins[1] if len(ins) > 1 else 0
                mask = M64 if self.mem64[mem] else "0xFFFFFFFF"
                self.result_into(len(st), _Entry(f"INST.mems[{mem}].grow({n.value()}) & {mask}"))
            else:
                self.result_into(len(st), _Entry(f"MEM.grow({n.value()}) & 0xFFFFFFFF"))
        elif op == 0xD0:
            self.push(_const("None"))
        elif op == 0xD1:
            x = self.pop()
            self.push(_Entry(f"{x.operand()} is None", x.deps, cond=True, depth=x.depth + 1))
        elif op == 0xD2:
            self.result_into(len(st), _Entry(f"FUNCS[{ins[1]}]"))
        elif op == 0x08 or op == 0x0A:  # exception handling: throw / throw_ref
            self.throw(ins)
            return True
        else:
            self.other(ins)
        return False

    def throw(self, ins: tuple) -> None:
        """throw / throw_ref: raise the exception (eh.throw_tag, eh.throw_ref)."""
        if ins[0] == 0x0A:
            self.emit(f"throw_ref({self.pop().value()})")
            return
        n = self.tag_arity(ins[1])
        values = [self.pop() for _ in range(n)]
        values.reverse()
        payload = "".join(v.value() + ", " for v in values)
        self.emit(f"throw_tag(S, INST.tags[{ins[1]}], ({payload}))")

    def tag_arity(self, x: int) -> int:
        imported = [imp.type_index for imp in self.mod.imports if imp.kind == m.KIND_TAG]
        types = imported + self.mod.tags
        return len(self.mod.types[types[x]].params)

    @staticmethod
    def accessed(addr: _Entry, offset: int) -> tuple[tuple[str, int], ...]:
        """What an access at local + offset proves once it has not trapped: the local is at most
        ADDRESS_LIMIT - 1 - offset (the access raises IndexError or struct.error past the end)."""
        if addr.atom and addr.expr[:1] == "l" and addr.expr[1:].isdigit() and offset < ADDRESS_LIMIT:
            return ((addr.expr, ADDRESS_LIMIT - 1 - offset),)
        return ()

    def proven(self, bounds: tuple[tuple[str, int], ...]) -> None:
        """Record the bounds of accesses that the statement just emitted has evaluated."""
        for name, top in bounds:
            known = self.local_tops.get(name)
            self.local_tops[name] = top if known is None else min(known, top)

    def general_address(self, ins: tuple, addr: _Entry) -> str:
        """The bounds test of an access off the fast path (a memory other than memory 0, or
        i64 addresses, whose end-of-memory errors are not struct.error): it sets `gea`, the
        effective address, in Python ints (no wrap), and holds when the access is in bounds.
        Only loads of the address itself may run inside it, and those finish before `gea` is
        set."""
        info = OPCODES[ins[0]]
        assert info.align is not None
        memory = _memory_name(ins)
        return (f"(gea := {self.address(addr, ins[2])}) + {1 << info.align} <= "
                f"len({memory})")

    def address(self, addr: _Entry, offset: int) -> str:
        if offset == 0:
            return addr.value()
        if addr.atom and addr.expr.isdigit():
            return str(int(addr.expr) + offset)
        return f"{addr.operand()} + {offset}"

    def binary(self, op: int) -> None:
        spec = BINARY_OPS[op]
        x, y = self.stack[-2], self.stack[-1]
        k = _const_value(y)
        if self.folded(op, x, y):
            return
        if op in BY_CONSTANT and k:
            spec = BY_CONSTANT[op]
        elif op in SIGNED_COMPARISONS:
            spec = signed_comparison(op, x.top, y.top, _const_value(x), k) or spec
        elif k is not None:
            spec = shift_by_constant(op, k) or spec
        if spec.trapping:
            self.settle()
        if spec.atomic:
            self.atomize(2)
        y = self.pop()
        x = self.pop()
        e = self.combine(op, spec, [x, y])
        if spec.trapping:
            self.result_into(len(self.stack), e)
        else:
            self.push(e)

    def folded(self, op: int, x: _Entry, y: _Entry) -> bool:
        """Replace the top two operands with their result if constants decide it (see
        inline.fold); an operand is only dropped if evaluating it cannot trap."""
        how = fold(op, _const_value(x), _const_value(y))
        if how is None:
            return False
        kind, value = how
        if kind == "zero" and _MEMORY in (x.deps | y.deps):
            return False
        self.pop()
        self.pop()
        self.push({"x": x, "y": y}.get(kind) or _const(str(value)))
        return True

    # -- inlining (see inline.py) -----------------------------------------------------------

    def local_name(self, k: int) -> str | _Entry:
        if self.inlined_locals is None:
            return f"l{k}"
        return self.inlined_locals[k]

    def written_local(self, k: int) -> str:
        """The variable a write to local k goes to: an inlined callee's local bound to an
        entry gets a fresh variable of its own from here on."""
        bound = self.inlined_locals
        if bound is None:
            return f"l{k}"
        name = bound[k]
        if isinstance(name, _Entry):
            name = bound[k] = self.fresh_local()
        return name

    def fresh_local(self) -> str:
        self.next_local += 1
        return f"l{self.next_local - 1}"

    def inline_call(self, index: int) -> bool:
        """Translate a call of a small straight-line function as its body, in place."""
        imported = len(self.func_types) - len(self.mod.funcs)
        if index < imported or self.inlined_locals is not None:
            return False
        func = self.mod.funcs[index - imported]
        if (not inlinable(func, self.func_types[index])
                or self.inlined + len(func.code.body) > CALLER_BUDGET):
            return False
        self.inlined += len(func.code.body)
        n = len(self.func_types[index].params)
        args = self.stack[len(self.stack) - n:] if n else []
        del self.stack[len(self.stack) - n:]
        bound: dict[int, str | _Entry] = {}
        for k, a in enumerate(args):     # evaluated in order, as the call would
            if a.atom and (not a.deps or a.deps == {a.expr} and a.expr[:1] == "l"):
                bound[k] = a             # a constant or a caller's local: unchanged here
            else:
                bound[k] = name = self.fresh_local()
                self.assign(name, a)
        for k, t in enumerate(func.code.locals, start=n):
            bound[k] = _const(_zero_source(t, _ZEROS))
        for line in self.fuel_lines(1):  # what the callee's entry charges; its body has no loop
            self.emit(line)
        self.inlined_locals = bound
        try:
            for ins in func.code.body[:-1]:   # not counted in self.ninstr: a loop around the
                self.instruction(ins, False)  # call is charged for the call alone, as before
        finally:
            self.inlined_locals = None
        return True

    def unary(self, op: int) -> None:
        spec = UNARY_OPS[op]
        if spec.trapping:
            self.settle()
        if spec.atomic:
            self.atomize(1)
        x = self.pop()
        if spec.cond and x.cond:      # eqz of a comparison: negate it
            self.push(_Entry(f"not ({x.expr})", x.deps, cond=True, depth=x.depth + 1))
            return
        if spec.template == "{x}":    # same bits: keep the operand, made canonical
            if x.wide:
                x = _Entry(x.value(), x.deps, depth=x.depth, top=x.top)
            if op in _TOPS and not x.cond:
                x = _Entry(x.expr, x.deps, atom=x.atom, depth=x.depth, top=_TOPS[op](x))
            self.push(x)
            return
        e = self.combine(op, spec, [x])
        if spec.trapping:
            self.result_into(len(self.stack), e)
        else:
            self.push(e)

    def nest_exit(self, depth: int, cond: _Entry | None) -> bool:
        """A branch (`br`, or `br_if` on `cond`) from a block's own statement list to the end of
        that block or of blocks around it in the same list: what follows up to the target's
        end becomes the body of `if not cond:` (nothing for `br`, whose remaining code is dead:
        innermost block only), so it needs no `br` flag. False if not applicable."""
        chain = self.ctrls[len(self.ctrls) - 1 - depth:]
        t = chain[0]
        if self.ctx.indent > MAX_NEST_INDENT:
            return False
        if cond is None and depth:
            return depth == 1 and self.else_exit(chain[0], chain[1])
        if any(c.kind != _BLOCK or c.body_ctx is not self.ctx for c in chain):
            return False
        if any(c.label in self.ctx.pending for c in chain[1:]):
            return False      # their flags must be resolved in this context, at their ends
        values = self.stack[len(self.stack) - t.nresults:] if t.nresults else []
        assign = self.assign_values(t.base, values)
        t.jumped = True
        if cond is None:
            if assign:
                self.emit(assign)
            return True
        if assign:
            ind = self.emit(f"if {cond.test()}:")
            self._put(ind + 1, assign)
            self._put(ind, "else:")
        else:
            ind = self.emit(f"if not ({cond.test()}):")
        self.last_result = (-1, "")
        self.ctxs.append(_Context(ind + 1))
        for c in chain:
            c.body_ctx = self.ctx
        t.nests += 1
        t.nest_if = ind if t.nests == 1 and not assign and depth == 0 else None
        return True

    def else_exit(self, outer: _Ctrl, inner: _Ctrl) -> bool:
        """`br` to the end of `outer` as the last statement of the `if not (...):` that
        nest_exit opened for `inner`, the block directly in it: the code from the end of
        `inner` to the end of `outer` runs only when that `if` is not taken, so it becomes the
        `if`'s `else:` arm (opened at the end of `inner`, see close_nests), needing no flag."""
        if (inner.kind != _BLOCK or outer.kind != _BLOCK or inner.nest_if is None
                or inner.body_ctx is not self.ctx or outer.body_ctx is not inner.ctx):
            return False
        if inner.nests != 1:  # an `else:` already opened for a branch to `inner`'s end: that
            return False      # path must not skip this one
        labels = (inner.label, outer.label)
        if any(label in ctx.pending for label in labels for ctx in (self.ctx, inner.ctx)):
            return False      # a flagged path to either end must not skip the `else:` arm
        values = self.stack[len(self.stack) - outer.nresults:] if outer.nresults else []
        assign = self.assign_values(outer.base, values)
        if assign:
            self.emit(assign)
        outer.jumped = True
        inner.else_for = outer
        return True

    def close_nests(self, c: _Ctrl) -> None:
        """Close the contexts nest_exit opened for block `c`; flags set in them stay in flight."""
        for _ in range(c.nests):
            arm = self.close_context()
            self.in_flight(arm.pending)
        if c.else_for is not None and c.nest_if is not None:   # (else_exit checked nest_if)
            self._put(c.nest_if, "else:")
            self.ctxs.append(_Context(c.nest_if + 1))
            c.else_for.body_ctx = self.ctx
            c.else_for.nests += 1

    def take_back_wrap(self, cond: _Entry) -> list[str]:
        """`x = a - b; if x < 0: x += 2**32` then a test of x: the difference is zero exactly
        when its wrap is, so the wrap can move into the arm the test takes (on the other, x
        is 0). Removes the wrap line just emitted and returns it, or returns []. With no flag
        in flight the wrap and the test are at the context's own level, unguarded."""
        if self.last_wrap != (len(self.lines), cond.expr) or self.ctx.pending:
            return []
        self.last_result = (-1, "")
        return [self.lines.pop().lstrip()]

    def conditional(self, test: str, lines: list[str]) -> None:
        if len(lines) == 1 and len(lines[0]) < 60:
            self.emit(f"if {test}: {lines[0]}")
            return
        ind = self.emit(f"if {test}:")
        for ln in lines:
            self._put(ind + 1, ln)

    def call(self, target: str, t: m.FuncType) -> None:
        n = len(t.params)
        args = self.stack[len(self.stack) - n:] if n else []
        del self.stack[len(self.stack) - n:]
        self.flush_globals()
        h = len(self.stack)
        results = [self.slot(h + i) for i in range(len(t.results))]
        for name in results:
            self.before_write(name)
        text = f"{target}({', '.join(a.value() for a in args)})"
        if len(results) == 1:
            text = f"{results[0]} = {text}"
        elif results:
            text = f"{', '.join(results)} = {text}"
        self.emit(text)
        self.stack.extend(_var(r) for r in results)
        if len(results) == 1:
            self.last_result = (len(self.lines), results[0])

    def loop_start(self, nparams: int, nresults: int) -> None:
        if self.py_loops >= MAX_PY_LOOPS:
            raise Untranslatable("too many nested loops for Python")
        self.py_loops += 1
        c = self.enter(_LOOP, nparams, nresults)
        self.local_tops.clear()  # the back edge joins here; after enter(), whose statements precede it
        ind = self.emit("while True:")
        self.ctxs.append(_Context(ind + 1))
        c.ctx = self.ctx

    def if_start(self, bt) -> None:
        cond = self.pop()
        np_, nr = self.block_sig(bt)
        c = self.enter(_IF, np_, nr)
        c.ctx = self.ctx
        wrap = self.take_back_wrap(cond)
        c.if_indent = self.emit(f"if {cond.test()}:")
        self.ctxs.append(_Context(c.if_indent + 1))
        for line in wrap:
            self.emit(line)

    def else_arm(self, dead: bool) -> None:
        self.local_tops.clear()  # what the then arm proved does not hold here
        c = self.ctrls[-1]
        if not dead:
            self.fallthrough_results(c)
        arm = self.close_context()
        c.then_pending = arm.pending
        c.then_reached = not dead
        self._put(c.if_indent, "else:")
        self.ctxs.append(_Context(c.if_indent + 1))
        self.reset_stack(c, c.nparams)

    def end(self, dead: bool) -> bool:
        """The end of the innermost construct; returns whether the code after it is dead."""
        self.local_tops.clear()  # branches to this label join here
        c = self.ctrls.pop()
        if c.kind == _FUNC:
            if not dead:
                self.emit(self.return_line(self.stack[len(self.stack) - c.nresults:]
                                           if c.nresults else []))
            return True
        if not dead:
            self.fallthrough_results(c)
        reached = not dead
        if c.kind == _BLOCK:
            self.close_nests(c)
            flagged = c.label in self.ctx.pending
            self.resolve(c.label, only_flagged=not (reached or c.jumped))
            reached = reached or c.jumped or flagged
        elif c.kind == _IF:
            arm = self.close_context()
            flight = set(arm.pending)
            if c.then_pending is not None:
                flight |= c.then_pending
                reached = reached or c.then_reached
            else:
                reached = True        # no else arm: a false condition falls through
            reached = reached or c.label in flight
            self.in_flight(flight)
            self.resolve(c.label)
        else:  # loop
            body = self.ctx
            if c.label in body.pending:
                self.emit_plain(f"if br == {c.label}:")
                self._put(body.indent + 1, "br = 0")
                for ln in self.fuel_lines(self.ninstr - c.cost_start):
                    self._put(body.indent + 1, ln)
                self._put(body.indent + 1, "continue")
                body.pending.discard(c.label)
            escapes = c.escapes | body.pending
            if reached or escapes:
                self.emit_plain("break")
            self.close_context()
            self.py_loops -= 1
            self.in_flight(escapes)
        self.reset_stack(c, c.nresults)
        return not reached

    def br_table(self, labels: tuple, default: int) -> None:
        idx = self.pop()
        targets = list(labels) + [default]
        # one statement list per distinct target depth
        actions: dict[int, tuple[list[str], set]] = {}
        for d in dict.fromkeys(targets):
            actions[d] = self.branch_lines(d)
        distinct = list(actions)
        if len(distinct) == 1:
            lines, flight = actions[distinct[0]]
            for ln in lines:
                self.emit(ln)
            self.in_flight(flight)
            return
        i = idx.expr
        if not idx.atom:
            self.emit(f"t = {idx.value()}")
            i = "t"
        if self.br_table_flags(labels, default, i, actions):
            return
        # `t = (depth...)[i]` picks the target; each target's statements run under `if t == d`
        ind = self.emit(f"t = {_tuple(labels)}[{i}] if {i} < {len(labels)} else {default}")
        flight_all = set()
        for k, d in enumerate(distinct):
            lines, flight = actions[d]
            head = "else:" if k == len(distinct) - 1 else f"{'if' if k == 0 else 'elif'} t == {d}:"
            self._put(ind, head)
            for ln in lines:
                self._put(ind + 1, ln)
            flight_all |= flight
        self.in_flight(flight_all)

    def br_table_flags(self, labels: tuple, default: int, i: str,
                       actions: dict[int, tuple[list[str], set]]) -> bool:
        """When every target is taken by setting `br` (then leaving the current Python loop or
        not), pick the flag itself from a table: `br = (label...)[i]`, no test per target."""
        flag, leaving = {}, set()
        for d, (lines, _) in actions.items():
            if len(lines) > 2 or not lines[0].startswith("br = ") or lines[1:] not in ([], ["break"]):
                return False
            flag[d] = lines[0][5:]
            if lines[1:]:
                leaving.add(flag[d])
        self.emit(f"br = {_tuple([flag[d] for d in labels])}[{i}] if {i} < {len(labels)} "
                  f"else {flag[default]}")
        if len(leaving) == len(set(flag.values())):
            self.emit("break")
        elif leaving:
            self.emit(f"if br in {_tuple(sorted(leaving))}: break")
        self.in_flight(set().union(*(flight for _, flight in actions.values())))
        return True

    def other(self, ins: tuple) -> None:
        op = ins[0]
        st = self.stack
        if op == 0x25:      # table.get
            i = self.pop()
            self.result_into(len(st), _Entry(f"table_get(T{ins[1]}, {i.value()})"))
        elif op == 0x26:    # table.set
            v = self.pop()
            i = self.pop()
            self.emit(f"table_set(T{ins[1]}, {i.value()}, {v.value()})")
        elif op == 0xFC08:  # memory.init (ins[2]: memory x > 0)
            n, s, d = self.pop(), self.pop(), self.pop()
            x = f", {ins[2]}" if len(ins) > 2 else ""
            self.emit(f"memory_init(INST, {ins[1]}, {d.value()}, {s.value()}, {n.value()}{x})")
        elif op == 0xFC09:
            self.emit(f"INST.datas[{ins[1]}] = b''")
        elif op == 0xFC0A:
            n, s, d = self.pop(), self.pop(), self.pop()
            if len(ins) == 1:
                self.emit(f"memory_copy(INST, {d.value()}, {s.value()}, {n.value()})")
            elif ins[1] == ins[2]:
                self.emit(f"memory_copy(INST, {d.value()}, {s.value()}, {n.value()}, {ins[1]})")
            else:
                self.emit(f"memory_copy_across(INST, {d.value()}, {s.value()}, {n.value()}, "
                          f"{ins[1]}, {ins[2]})")
        elif op == 0xFC0B:
            n, v, d = self.pop(), self.pop(), self.pop()
            x = f", {ins[1]}" if len(ins) > 1 else ""
            self.emit(f"memory_fill(INST, {d.value()}, {v.value()}, {n.value()}{x})")
        elif op == 0xFC0C:
            n, s, d = self.pop(), self.pop(), self.pop()
            self.emit(f"table_init(INST, {ins[1]}, {ins[2]}, {d.value()}, {s.value()}, "
                      f"{n.value()})")
        elif op == 0xFC0D:
            self.emit(f"INST.elems[{ins[1]}] = ()")
        elif op == 0xFC0E:
            n, s, d = self.pop(), self.pop(), self.pop()
            self.emit(f"table_copy(INST, {ins[1]}, {ins[2]}, {d.value()}, {s.value()}, "
                      f"{n.value()})")
        elif op == 0xFC0F:  # table.grow
            n = self.pop()
            v = self.pop()
            mask = M64 if m.table_types(self.mod)[ins[1]].limits.is64 else "0xFFFFFFFF"
            self.result_into(len(st), _Entry(f"T{ins[1]}.grow({n.value()}, {v.value()}) "
                                             f"& {mask}"))
        elif op == 0xFC10:
            self.result_into(len(st), _Entry(f"len(T{ins[1]}.elems)"))
        elif op == 0xFC11:
            n, v, d = self.pop(), self.pop(), self.pop()
            self.emit(f"table_fill(INST, {ins[1]}, {d.value()}, {v.value()}, {n.value()})")
        # --- Wasm 3.0 ----------------------------------------------------------------------
        elif op in WIDE_ARITHMETIC:
            self.wide(op)
        elif op in _TAIL_CALLS:
            # A Python call cannot replace its caller's frame: the function runs on the
            # interpreter tier, whose tail calls run in constant depth (machine._TAIL_ENTER).
            raise Untranslatable("tail call")
        elif 0xFE00 <= op < 0xFF00:  # threads atomics
            self.atomic(ins)
        else:
            raise Untranslatable(f"opcode {op:#x}")

    def atomic(self, ins: tuple) -> None:
        """An atomic instruction (memory 0): a call of atomics.py's function for it, with the
        effective address (alignment and bounds are checked there; nothing is proven)."""
        from . import atomics
        from .opcodes import ATOMIC_FENCE, OPCODES

        op = ins[0]
        if op == ATOMIC_FENCE:
            return  # one thread: nothing to order
        info = OPCODES[op]
        assert info.params is not None
        operands = [self.pop() for _ in info.params][::-1]
        args = [x.value() for x in operands[1:]]
        if len(args) == 2:  # cmpxchg (expected, replacement), wait (expected, timeout)
            args = [f"({args[0]}, {args[1]})"]
        name = atomics.helper_name(op, atomics.memory0_shared(self.mod))
        call = f"{name}(M, {', '.join([self.address(operands[0], ins[2])] + args)})"
        if info.results:
            self.result_into(len(self.stack), _Entry(call))
        else:
            self.emit(call)

    def wide(self, op: int) -> None:
        """Wide arithmetic (wide.py): two statements into the result slots."""
        n = WIDE_TEMPLATES[op][0]
        if op == I64_MUL_WIDE_S:
            self.atomize(2)      # its template repeats the operands
        args = self.stack[len(self.stack) - n:]
        del self.stack[len(self.stack) - n:]
        h = len(self.stack)
        lo, hi = self.slot(h), self.slot(h + 1)
        for name in (lo, hi):
            self.before_write(name)
        for line in wide_statements(op, [a.operand() for a in args], "wt", lo, hi):
            self.emit(line)
        self.stack += [_var(lo), _var(hi)]
        self.last_result = (-1, "")


def _memory_name(ins: tuple) -> str:
    """The namespace name of a load's or store's memory: M for memory 0, M<x> for memory x."""
    x = m.memarg_memory(ins)
    return f"M{x}" if x else "M"


def _on_memory(template: str, ins: tuple) -> str:
    """A pyops load/store template (written for memory 0, `M`) on the instruction's memory."""
    return re.sub(r"\bM\b", _memory_name(ins), template)


def _needs_zero(code: list[tuple]) -> set[int]:
    """The locals that must be zeroed at entry: those read, unless first set outside any
    block (such a set runs before every later instruction of the body)."""
    first_set_on_top: dict[int, bool] = {}
    read = set()
    depth = 0
    for ins in code:
        op = ins[0]
        if op in (0x02, 0x03, 0x04):
            depth += 1
        elif op == 0x0B:
            depth -= 1
        elif op in (0x20, 0x21, 0x22):
            first_set_on_top.setdefault(ins[1], op != 0x20 and depth == 0)
            if op == 0x20:
                read.add(ins[1])
    return {k for k in read if not first_set_on_top[k]}


# Upper bounds of results from those of the operands (_Entry.top), for ops that keep values
# non-negative: they let the translator leave out masks.

def _const_value(e: _Entry) -> int | None:
    return int(e.expr) if e.atom and e.expr.isdigit() else None


def _top_and(x: _Entry, y: _Entry) -> int | None:
    tops = [t for t in (x.top, y.top) if t is not None]
    return min(tops) if tops else None


def _top_or(x: _Entry, y: _Entry) -> int | None:
    if x.top is None or y.top is None:
        return None
    return (1 << max(x.top.bit_length(), y.top.bit_length())) - 1


def _top_add(x: _Entry, y: _Entry) -> int | None:
    return None if x.top is None or y.top is None else x.top + y.top


def _top_mul(x: _Entry, y: _Entry) -> int | None:
    return None if x.top is None or y.top is None else x.top * y.top


def _top_shl(bits: int):
    def top(x: _Entry, y: _Entry) -> int | None:
        k = _const_value(y)
        return None if x.top is None or k is None else x.top << (k & (bits - 1))
    return top


def _top_shr_u(bits: int):
    def top(x: _Entry, y: _Entry) -> int | None:
        k = _const_value(y)
        x_top = (1 << bits) - 1 if x.top is None else x.top
        return x.top if k is None else x_top >> (k & (bits - 1))
    return top


def _top_rem_u(x: _Entry, y: _Entry) -> int | None:
    return None if y.top is None else max(y.top - 1, 0)


def _top_div_u(x: _Entry, y: _Entry) -> int | None:
    return x.top


def _top_wrap(x: _Entry) -> int | None:
    return x.top if x.top is not None and x.top <= 0xFFFFFFFF else None


_ADDS, _SUBS = (0x6A, 0x7C), (0x6B, 0x7D)


def _sum_shape(op: int, spec: Op, operands: list[_Entry], subs: dict) -> tuple[str, str]:
    """(template, _Entry.wrap) of an op: adding a "negative" constant becomes a subtraction
    (the numbers stay small); a sum or difference of canonical values gets a wrap."""
    template = spec.template
    if op in _ADDS:
        k = _const_value(operands[1])
        modulus = int(spec.wide, 16) + 1
        if k is not None and k >= modulus >> 1:
            subs["y"] = str(modulus - k)
            template = "{x} - {y}"
    if any(e.wide for e in operands) or op not in _ADDS + _SUBS:
        return template, ""
    return template, "over" if template == "{x} + {y}" else "under"


_TOPS = {
    0x71: _top_and, 0x83: _top_and, 0x72: _top_or, 0x73: _top_or, 0x84: _top_or, 0x85: _top_or,
    0x6A: _top_add, 0x7C: _top_add, 0x6C: _top_mul, 0x7E: _top_mul,
    0x6E: _top_div_u, 0x80: _top_div_u, 0x70: _top_rem_u, 0x82: _top_rem_u,
    0x74: _top_shl(32), 0x86: _top_shl(64), 0x76: _top_shr_u(32), 0x88: _top_shr_u(64),
    0x67: lambda x: 32, 0x68: lambda x: 32, 0x69: lambda x: 32,
    0x79: lambda x: 64, 0x7A: lambda x: 64, 0x7B: lambda x: 64,
    0xA7: _top_wrap, 0xAD: lambda x: 0xFFFFFFFF if x.top is None else x.top,
}


def _tuple(items) -> str:
    return "(" + ", ".join(str(x) for x in items) + ("," if len(items) == 1 else "") + ")"


def translate_function(mod: m.Module, func_types: list[m.FuncType], defined_index: int,
                       fuel: bool = False) -> str:
    """The Python source of one function (raises Untranslatable)."""
    # Exception handling: a try_table needs no tag (catch_all), so every body is looked at.
    if any(ins[0] in _HANDLER_OPS for ins in mod.funcs[defined_index].code.body):
        raise Untranslatable("exception handlers (try_table / try) stay on the interpreter")
    return FunctionTranslator(mod, func_types, defined_index, fuel).translate()


_HANDLER_OPS = frozenset((0x06, 0x1F))  # try, try_table


def compile_function_source(source: str):
    """The code object of a generated function's module-level definition."""
    try:
        return compile(source, FILENAME, "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise Untranslatable(f"CPython refused the generated code: {exc}") from None
