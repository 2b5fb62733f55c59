"""Compile a decoded function body (module.py's instruction tuples) into the executor's form.

The executable form is a flat list of 4-tuples `(op, a, b, k)`, run by lab.interp.machine:
  * structured control is gone: `block`, `loop`, `nop` and inner `end`s vanish, `if` becomes a
    conditional jump to its else-arm or end, `else` a jump to the end;
  * every branch has its target pc resolved and, because validation fixes the operand stack
    height at each instruction, its stack adjustment precomputed as a constant slice to delete;
    all frames share one operand stack list in the executor, so the slice is relative to the
    top (`del stack[-h:-arity]` keeps the label's arity values), and a call leaves its results
    exactly where the caller expects them;
  * branches back to a loop header are separate ops carrying a fuel cost (the size of the loop
    body), so fuel is charged per iteration without a per-instruction counter;
  * constants are already in the internal representation (see numeric.py), `ref.null` and all
    `*.const` are one CONST op;
  * hot numeric ops keep their Wasm opcode and are inlined by the executor (from numeric.py's
    expression templates); the rest become UNOP/BINOP with the numeric function as immediate;
  * SIMD instructions become UNOP/BINOP too, with simd.py's lane functions (lane and shuffle
    immediates bound in), and v128.const a CONST; v128.bitselect is TERNOP and SIMD memory
    accesses VLOAD/VSTORE/VLOAD_LANE (function and static offset as immediates);
  * memory instructions on a memory other than memory 0 or with 64-bit addresses, and
    table.grow on a 64-bit table, become GENERAL with a closure from memops.py (the hot ops
    above stay for memory 0 with 32-bit addresses);
  * threads atomics (atomics.py) become VLOAD/VSTORE/VLOAD_LANE with atomics.py's functions,
    three-operand ones a BINOP pairing two operands first; atomic.fence emits nothing;
  * a peephole pass (`_fuse`) then merges frequent sequences into superinstructions: operands
    straight from locals or constants, results straight into locals, compare-and-branch, loads
    and stores addressed by a local (see the V_* variants below).

Typed references and GC become a few ops of their own (negative numbers, see below): GCOP calls
a gcvalues.py function, br_on_null/br_on_non_null/br_on_cast push a condition for the BR_IF that
follows, return_call_ref replaces the current frame.
Exception handling: a function using try_table or the legacy try gets handler regions (eh.py),
its code is an eh.HandlerCode and stays unfused (the regions hold pcs); each region starts with
TRY_ENTER, which records the frame's operand base for the unwinder; legacy catch blocks keep
the caught exception in a hidden local for `rethrow`.

This module is independent of any instance: a compiled body is shared by all instances of a
module (function/global/table indices stay indices, resolved through the running instance).
A later tier that emits Python source can start from the same form (or from the decoded body)
and reuse numeric.py's templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import module as m
from .numeric import BINARY, COND_BINARY, EXPR_BINARY, EXPR_UNARY, M32, M64, UNARY, bits_to_f64
from .opcodes import OPCODES, WIDE_ARITHMETIC

# Internal opcodes that are not Wasm opcodes (Wasm opcodes reused as-is are listed below).
UNREACHABLE = 0x00
IF = 0x04           # a: target when the condition is zero
JMP = 0x0C          # a: target
BR_IF = 0x0D        # a: target
BR_TABLE = 0x0E     # a: tuple of (target, slice|None, cost|0) entries, default last; b: len-1
RETURN = 0x0F       # a: number of results (exactly the frame's operands)
RETURN_DROP = 0x0306  # a: number of results, b: slice of the frame's operands to delete first
CALL = 0x10         # a: function index
CALL_INDIRECT = 0x11  # a: canonical FuncType, b: table index
DROP = 0x1A
SELECT = 0x1B
LOCAL_GET = 0x20
LOCAL_SET = 0x21
LOCAL_TEE = 0x22
GLOBAL_GET = 0x23
GLOBAL_SET = 0x24
TABLE_GET = 0x25
TABLE_SET = 0x26
MEMORY_SIZE = 0x3F
MEMORY_GROW = 0x40
CONST = 0x41        # a: the value in the internal representation
REF_IS_NULL = 0xD1
REF_FUNC = 0xD2     # a: function index

BR_DROP = 0x300     # a: target, b: slice to delete
BR_IF_DROP = 0x301  # a: target, b: slice
JMP_B = 0x302       # a: target (a loop header), b: fuel cost
BR_DROP_B = 0x303   # a: target, b: (slice, cost)
BR_IF_B = 0x304     # a: target, b: cost
BR_IF_DROP_B = 0x305  # a: target, b: (slice, cost)
UNOP = 0x310        # a: function of one value
BINOP = 0x311       # a: function of two values
# SIMD ops beyond UNOP/BINOP (functions from simd.py; see simd.lower):
VLOAD = 0x340       # a: function (memory, address) -> v128, b: static offset
VSTORE = 0x341      # a: function (memory, address, value), b: static offset
VLOAD_LANE = 0x342  # a: function (memory, address, v128) -> v128, b: static offset
TERNOP = 0x343      # a: function of three values (v128.bitselect)
# Typed function references and GC (only in code of modules that use them). Negative, below
# every other op, and of weight 0 in the executor's dispatch tree: every 2.0 op but
# `unreachable` (which runs once, to trap) keeps its number of comparisons.
GCOP = -9        # a: function (stack, inst, b) from gcvalues.py, b: its immediate
CALL_REF = -8    # call the function reference on top (a: unused)
RETURN_CALL_REF = -7  # tail call of the reference on top (k: as RETURN_CALL's)
REF_AS_NON_NULL = -6
NULL_TEST = -5   # br_on_null: replace a null on top by 1, else push 0 (a BR_IF follows)
NON_NULL_TEST = -4  # br_on_non_null: replace a null on top by 0, else push 1 (BR_IF follows)
CAST_TEST = -3   # br_on_cast(_fail): push whether a(top) (a BR_IF follows)
REF_TEST = -2    # replace the top by whether a(top)
REF_EQ = -1
# Multi-memory, memory64, table64 (memops.py):
GENERAL = 0x344     # a: function (instance, operand stack) doing the whole instruction
# Wasm 3.0 tail calls: the callee replaces the frame (k: the slice of the frame's operands below
# the arguments to delete first, or None; see machine._TAIL_ENTER).
RETURN_CALL = 0x350           # a: function index
RETURN_CALL_INDIRECT = 0x351  # a: canonical FuncType, b: table index
# Exception handling (eh.py; only functions using try_table / try get a handler table):
TRY_ENTER = 0x360   # a: static operand height at the region's start (records the frame base)
THROW = 0x361       # a: tag index, b: number of payload values
THROW_REF = 0x362   # throw_ref: the exnref on the stack
RETHROW = 0x363     # a: the hidden local holding the caught exception (legacy rethrow)
# Fused ops (superinstructions) produced by the peephole pass below.
GET_GET = 0x320     # a, b: two local indices pushed in order
GET_CONST = 0x321   # a: local index, b: constant
SET_GET = 0x322     # local.set a; local.get b

# Numeric ops the executor implements inline, from numeric.py's expression templates
# (everything else in numeric.UNARY/BINARY goes through UNOP/BINOP).
FUSABLE_BINARY = frozenset(EXPR_BINARY) | frozenset(COND_BINARY)
INLINE_NUMERIC = FUSABLE_BINARY | frozenset(EXPR_UNARY)

# Fused variants (superinstructions) of an inline binary op `op`, numbered op | V_*. Immediates
# are (a, b, k): the executor's instructions are 4-tuples (op, a, b, k).
V_C = 1 << 16         # i.const c; op                   a: c   (x from the stack)
V_LL = 2 << 16        # local.get a; local.get b; op
V_LC = 3 << 16        # local.get a; i.const b; op
V_SL = 4 << 16        # local.get a; op                 (x from the stack, y = local a)
V_TEE = 5 << 16       # op; local.tee a
V_SET = 6 << 16       # op; local.set a
V_LL_SET = 7 << 16    # local.get a; local.get b; op; local.set k
V_LL_TEE = 8 << 16    # ... local.tee k
V_LC_SET = 9 << 16    # local.get a; i.const b; op; local.set k
V_LC_TEE = 10 << 16   # ... local.tee k
V_C_SET = 11 << 16    # i.const a; op; local.set b
V_C_TEE = 12 << 16    # i.const a; op; local.tee b
# ... of a comparison followed by a branch (forward ones need no stack adjustment; *_BRB go
# back to a loop header and charge fuel):
V_BR = 13 << 16       # cmp; br_if                      a: target
V_BRB = 14 << 16      # cmp; br_if                      a: target, b: fuel cost
V_IF = 15 << 16       # cmp; if                         a: else/end target
V_LL_BR = 16 << 16    # local.get a; local.get b; cmp; br_if     k: target
V_LL_BRB = 17 << 16   # ...                                      k: (target, cost)
V_LC_BR = 18 << 16    # local.get a; i.const b; cmp; br_if       k: target
V_LC_BRB = 19 << 16   # ...                                      k: (target, cost)
V_LL_IF = 20 << 16    # local.get a; local.get b; cmp; if        k: target
V_LC_IF = 21 << 16    # local.get a; i.const b; cmp; if          k: target
# ... of loads with the address in a local: load | V_L     a: local, b: offset
V_L = 22 << 16
# ... and of stores: store | V_LL (address local a, value local b, offset k) and store | V_LC
# (address local a, constant value b, offset k).
BINARY_VARIANTS = (V_C, V_LL, V_LC, V_SL, V_TEE, V_SET, V_LL_SET, V_LL_TEE, V_LC_SET, V_LC_TEE,
                   V_C_SET, V_C_TEE)
BRANCH_VARIANTS = (V_BR, V_BRB, V_IF, V_LL_BR, V_LL_BRB, V_LC_BR, V_LC_BRB, V_LL_IF, V_LC_IF)
BR_UNLESS = 0x330    # eqz; br_if          a: target
BR_UNLESS_B = 0x331  # eqz; br_if (loop)   a: target, b: cost
IF_NOT = 0x332       # eqz; if             a: target (jump when the value is non-zero)

LOADS = frozenset(range(0x28, 0x36))
STORES = frozenset(range(0x36, 0x3F))
# SIMD loads and stores (memops.py takes those off memory 0 or on a 64-bit memory).
_SIMD_ACCESS = frozenset(code for code, info in OPCODES.items()
                         if 0xFD000 <= code < 0xFE000 and info.align is not None)

_BLOCK, _LOOP, _IF, _FUNC = 0, 1, 2, 3


@dataclass
class CompiledCode:
    code: list          # list of (op, a, b, k) tuples
    nparams: int
    nresults: int
    zeros: list         # initial values of the declared (non-parameter) locals
    weight: int = 1     # call-depth units one activation counts for (1 per 64 local slots)


class _Ctrl:
    __slots__ = ("kind", "base", "nparams", "nresults", "start", "fixups", "if_fix", "dead_entry",
                 "has_else", "region", "outer_region", "exn_local", "handlers")

    def __init__(self, kind, base, nparams, nresults, start, dead_entry):
        self.kind = kind
        self.base = base          # operand height below the block's parameters
        self.nparams = nparams
        self.nresults = nresults
        self.start = start        # pc of a loop header
        self.fixups = []          # (container list, index) to patch with the end pc
        self.if_fix = None        # the IF instruction to patch with the else pc
        self.dead_entry = dead_entry
        self.has_else = False
        self.region = None        # exception handling: the eh.Region of a try_table / try
        self.outer_region = None  # the region active around this block
        self.exn_local = -1       # a legacy catch block's hidden local (the caught exception)
        self.handlers = None      # a legacy try's region once its catch blocks begin


_ZERO = {m.I32: 0, m.I64: 0, m.F32: 0, m.F64: 0.0, m.FUNCREF: None, m.EXTERNREF: None,
         m.V128: 0}
_ZERO.update(dict.fromkeys(m.EH_REF_TYPES))  # exception handling: null exnref


def zero_value(valtype: int):
    return _ZERO.get(valtype)  # every other type is a reference type (3.0): null


from .runtime import canonical_type  # noqa: E402,F401  (re-exported: one canonical table)


def _stack_effect(op: int) -> tuple[int, int] | None:
    if op in UNARY:
        return 1, 1
    if op in BINARY:
        return 2, 1
    return None


def compile_function(mod: m.Module, func_types: list[m.FuncType], defined_index: int,
                     fuse: bool = True) -> CompiledCode:
    """Compile the body of the module's `defined_index`-th defined function.

    func_types: the type of every function index of the module (imports first)."""
    func = mod.funcs[defined_index]
    ftype = mod.types[func.type_index]
    types = mod.types
    from .gctypes import canon_types
    canon = canon_types(mod)
    nparams = len(ftype.params)
    nres = len(ftype.results)

    def block_sig(bt):
        if bt is None:
            return 0, 0
        if isinstance(bt, m.TypeIdx):
            t = types[bt.index]
            return len(t.params), len(t.results)
        return 0, 1

    out: list[list] = []
    emit = out.append
    h = 0
    # Per memory: whether its addresses are i64; wide0: memory 0's are (memory64).
    mem64 = [mt.limits.is64 for mt in m.memory_types(mod)]
    wide0 = bool(mem64) and mem64[0]

    def general(ins) -> None:
        """Emit a memory instruction off the fast path (see memops.py)."""
        from . import memops
        emit([GENERAL, memops.general(ins, mem64), 0])
    ctrl = [_Ctrl(_FUNC, 0, 0, nres, 0, False)]
    dead = False
    eh = None  # exception handling: an _EHCompiler once the body uses it

    def drop_slice(lo, hi):
        """The slice deleting operand heights lo..hi, relative to the top at height h (the
        operand stack is shared by all frames, so only top-relative positions are stable)."""
        return slice(lo - h, (hi - h) or None)

    def tail_drop(nargs):
        """The slice deleting the frame's operands below a tail call's `nargs` arguments."""
        return drop_slice(0, h - nargs) if h > nargs else None

    def branch(depth, cond):
        """Emit br/br_if to the label `depth` levels out, at the current height h."""
        f = ctrl[-1 - depth]
        if f.kind == _FUNC and not cond:
            if h == nres:
                emit([RETURN, nres, 0])
            else:
                emit([RETURN_DROP, nres, drop_slice(0, h - nres)])
            return
        if f.kind == _LOOP:
            arity = f.nparams
            lo, hi = f.base, h - arity
            cost = len(out) - f.start + 1
            if lo == hi:
                emit([BR_IF_B if cond else JMP_B, f.start, cost])
            else:
                emit([BR_IF_DROP_B if cond else BR_DROP_B, f.start, (drop_slice(lo, hi), cost)])
            return
        arity = f.nresults
        lo, hi = f.base, h - arity
        if lo == hi:
            ins = [BR_IF if cond else JMP, None, 0]
        else:
            ins = [BR_IF_DROP if cond else BR_DROP, None, drop_slice(lo, hi)]
        f.fixups.append((ins, 1))
        emit(ins)

    for ins in func.code.body:
        op = ins[0]
        if dead:
            if op in (0x02, 0x03, 0x04):
                ctrl.append(_Ctrl(_BLOCK, h, 0, 0, 0, True))
                continue
            if op in _EH_DEAD:  # exception handling: try / try_table open blocks
                if op == 0x06 or op == 0x1F:
                    ctrl.append(_Ctrl(_BLOCK, h, 0, 0, 0, True))
                    continue
                if ctrl[-1].dead_entry:  # catch / catch_all / delegate of a dead try
                    if op == 0x18:
                        ctrl.pop()
                    continue
                # live handling of catch / catch_all / delegate below
            elif op == 0x05:
                f = ctrl[-1]
                if f.dead_entry:
                    continue
                # fall through to the live handling of else below
            elif op == 0x0B:
                f = ctrl[-1]
                if f.dead_entry:
                    ctrl.pop()
                    continue
                # live handling of end below
            else:
                continue

        if op == 0x20:
            emit([LOCAL_GET, ins[1], 0])
            h += 1
        elif op == 0x21:
            emit([LOCAL_SET, ins[1], 0])
            h -= 1
        elif op == 0x22:
            emit([LOCAL_TEE, ins[1], 0])
        elif op == 0x41:
            emit([CONST, ins[1] & M32, 0])
            h += 1
        elif op == 0x42:
            emit([CONST, ins[1] & M64, 0])
            h += 1
        elif op == 0x43:
            emit([CONST, ins[1], 0])
            h += 1
        elif op == 0x44:
            emit([CONST, bits_to_f64(ins[1]), 0])
            h += 1
        elif op == 0xAD:
            pass  # i64.extend_i32_u: the unsigned value is already the i64
        elif op in INLINE_NUMERIC:
            emit([op, 0, 0])
            h -= 1 if op in BINARY else 0
        elif op in BINARY:
            emit([BINOP, BINARY[op], 0])
            h -= 1
        elif op in UNARY:
            emit([UNOP, UNARY[op], 0])
        elif op in LOADS:
            if len(ins) == 5 or wide0:
                general(ins)
            else:
                emit([op, ins[2], 0])
        elif op in STORES:
            if len(ins) == 5 or wide0:
                general(ins)
            else:
                emit([op, ins[2], 0])
            h -= 2
        elif op == 0x02 or op == 0x03:
            np_, nr = block_sig(ins[1])
            c = _Ctrl(_LOOP if op == 0x03 else _BLOCK, h - np_, np_, nr, len(out), False)
            ctrl.append(c)
        elif op == 0x04:
            h -= 1
            np_, nr = block_sig(ins[1])
            c = _Ctrl(_IF, h - np_, np_, nr, 0, False)
            i = [IF, None, 0]
            c.if_fix = i
            emit(i)
            ctrl.append(c)
        elif op == 0x05:
            c = ctrl[-1]
            if not dead:
                j = [JMP, None, 0]
                c.fixups.append((j, 1))
                emit(j)
            c.if_fix[1] = len(out)
            c.if_fix = None
            c.has_else = True
            h = c.base + c.nparams
            dead = False
        elif op == 0x0B:
            c = ctrl.pop()
            if c.kind == _FUNC:
                ret = len(out)
                emit([RETURN, nres, 0])
                for cont, idx in c.fixups:
                    cont[idx] = ret
                break
            end = len(out)
            if c.region is not None:
                assert eh is not None  # only the EH compiler opens regions
                eh.end(c, out)
            if c.if_fix is not None:
                c.if_fix[1] = end
            for cont, idx in c.fixups:
                cont[idx] = end
            h = c.base + c.nresults
            dead = False
        elif op == 0x0C:
            branch(ins[1], False)
            dead = True
        elif op == 0x0D:
            h -= 1
            branch(ins[1], True)
        elif op == 0x0E:
            h -= 1
            labels = list(ins[1]) + [ins[2]]
            entries = []
            for depth in labels:
                f = ctrl[-1 - depth]
                if f.kind == _LOOP:
                    lo, hi = f.base, h - f.nparams
                    e = [f.start, drop_slice(lo, hi) if lo != hi else None,
                         len(out) - f.start + 1]
                else:  # a block, if, or the function body (whose end is the final RETURN)
                    lo, hi = f.base, h - f.nresults
                    e = [None, drop_slice(lo, hi) if lo != hi else None, 0]
                    f.fixups.append((e, 0))
                entries.append(e)
            emit([BR_TABLE, entries, len(labels) - 1])
            dead = True
        elif op == 0x0F:
            branch(len(ctrl) - 1, False)
            dead = True
        elif op == 0x00:
            emit([UNREACHABLE, 0, 0])
            dead = True
        elif op == 0x01:
            pass
        elif op == 0x10:
            t = func_types[ins[1]]
            emit([CALL, ins[1], 0])
            h += len(t.results) - len(t.params)
        elif op == 0x11:
            t = types[ins[1]]
            emit([CALL_INDIRECT, canon[ins[1]], ins[2]])
            h += len(t.results) - len(t.params) - 1
        elif op == 0x1A:
            emit([DROP, 0, 0])
            h -= 1
        elif op == 0x1B or op == 0x1C:
            emit([SELECT, 0, 0])
            h -= 2
        elif op == 0x23:
            emit([GLOBAL_GET, ins[1], 0])
            h += 1
        elif op == 0x24:
            emit([GLOBAL_SET, ins[1], 0])
            h -= 1
        elif op == 0x25:
            emit([TABLE_GET, ins[1], 0])
        elif op == 0x26:
            emit([TABLE_SET, ins[1], 0])
            h -= 2
        elif op == 0x3F:
            if len(ins) > 1:
                general(ins)
            else:
                emit([MEMORY_SIZE, 0, 0])
            h += 1
        elif op == 0x40:
            if len(ins) > 1 or wide0:
                general(ins)
            else:
                emit([MEMORY_GROW, 0, 0])
        elif op == 0xD0:
            emit([CONST, None, 0])
            h += 1
        elif op == 0xD1:
            emit([REF_IS_NULL, 0, 0])
        elif op == 0xD2:
            emit([REF_FUNC, ins[1], 0])
            h += 1
        elif op == 0xFC08:    # memory.init dataidx
            if len(ins) > 2:
                general(ins)
            else:
                emit([op, ins[1], 0])
            h -= 3
        elif op == 0xFC09:    # data.drop
            emit([op, ins[1], 0])
        elif op == 0xFC0A or op == 0xFC0B:  # memory.copy / memory.fill
            if len(ins) > 1:
                general(ins)
            else:
                emit([op, 0, 0])
            h -= 3
        elif op == 0xFC0C:    # table.init elemidx tableidx
            emit([op, ins[1], ins[2]])
            h -= 3
        elif op == 0xFC0D:    # elem.drop
            emit([op, ins[1], 0])
        elif op == 0xFC0E:    # table.copy dst src
            emit([op, ins[1], ins[2]])
            h -= 3
        elif op == 0xFC0F:    # table.grow
            if m.table_types(mod)[ins[1]].limits.is64:
                from .memops import table_grow64
                emit([GENERAL, table_grow64(ins[1]), 0])
            else:
                emit([op, ins[1], 0])
            h -= 1
        elif op == 0xFC10:    # table.size
            emit([op, ins[1], 0])
            h += 1
        elif op == 0xFC11:    # table.fill
            emit([op, ins[1], 0])
            h -= 3
        elif op == 0x12:      # return_call
            n = len(func_types[ins[1]].params)
            emit([RETURN_CALL, ins[1], 0, tail_drop(n)])
            dead = True
        elif op == 0x13:      # return_call_indirect
            h -= 1
            t = types[ins[1]]
            emit([RETURN_CALL_INDIRECT, canonical_type(t), ins[2], tail_drop(len(t.params))])
            dead = True
        elif op in WIDE_ARITHMETIC:  # (lo, hi) pairs: wide.py
            emit([op, 0, 0])
            h += 2 - len(OPCODES[op].params or ())
        elif op >= 0xFD000:   # SIMD (simd.py, imported only by code that uses it)
            if (len(ins) == 5 or wide0) and op in _SIMD_ACCESS:
                general(ins)
                h += _stack_change(op)
            else:
                h += _simd(ins, emit)
        # --- Wasm 3.0 typed function references and GC
        elif op == 0xD5 or op == 0xD6:  # br_on_null / br_on_non_null
            # the BR_IF that branch() emits pops the condition; h is the height it branches at
            emit([NULL_TEST if op == 0xD5 else NON_NULL_TEST, 0, 0])
            if op == 0xD5:
                h -= 1  # branching: the null is gone
                branch(ins[1], True)
                h += 1  # falling through: the (non-null) ref stays
            else:
                branch(ins[1], True)  # branching with the ref
                h -= 1  # falling through: the null is gone
        elif op == 0xFB18 or op == 0xFB19:  # br_on_cast / br_on_cast_fail
            from .gcvalues import cast_predicate
            pred = cast_predicate(canon, ins[3])
            if op == 0xFB19:
                pred = _negate(pred)
            emit([CAST_TEST, pred, 0])
            branch(ins[1], True)
        elif op == 0x14:  # call_ref
            t = types[ins[1]]
            emit([CALL_REF, 0, 0])
            h += len(t.results) - len(t.params) - 1
        elif op == 0x15:  # return_call_ref: the handler pops the reference, then as return_call
            h -= 1
            t = types[ins[1]]
            emit([RETURN_CALL_REF, 0, 0, tail_drop(len(t.params))])
            dead = True
        elif op == 0xD4:
            emit([REF_AS_NON_NULL, 0, 0])
        elif op == 0xD3:
            emit([REF_EQ, 0, 0])
            h -= 1
        elif op == 0xFB14 or op == 0xFB15:  # ref.test
            from .gcvalues import cast_predicate
            emit([REF_TEST, cast_predicate(canon, ins[1]), 0])
        elif 0xFB00 <= op < 0xFC00:
            from .gcvalues import lower
            fn, imm = lower(ins, mod, canon)
            emit([GCOP, fn, imm])
            h += _gc_effect(ins, types)
        elif op in _EH_OPS:
            if eh is None:
                eh = _EHCompiler(mod, nparams + len(func.code.locals))
            h, dead = eh.op(ins, h, ctrl, out, dead, block_sig)
        elif 0xFE00 <= op < 0xFF00:  # threads atomics (atomics.py, imported only when used)
            h += _atomic(mod, ins, emit)
        else:
            raise NotImplementedError(f"opcode {op:#x} is not supported by the executor")

    if fuse and (eh is None or not eh.regions):  # handler tables hold unfused pcs
        out = _fuse(out)
    code = []
    for item in out:  # lists while compiling, frozen into padded tuples for the executor
        if item[0] == BR_TABLE:
            item[1] = tuple(tuple(e) for e in item[1])
        if isinstance(item[-1], list):
            item[-1] = tuple(item[-1])
        code.append(tuple(item) + (0,) * (4 - len(item)))
    zeros = [zero_value(t) for t in func.code.locals]
    if eh is not None and eh.regions:
        code, zeros = eh.finish(code, zeros)
    return CompiledCode(code, nparams, nres, zeros, 1 + (nparams + len(zeros)) // 64)


_EH_OPS = frozenset((0x06, 0x07, 0x08, 0x09, 0x0A, 0x18, 0x19, 0x1F))
_EH_DEAD = frozenset((0x06, 0x07, 0x18, 0x19, 0x1F))  # block structure in unreachable code


class _EHCompiler:
    """Exception handling in the compiler: handler regions (eh.Region) for try_table and the
    legacy try, hidden locals for caught exceptions (legacy rethrow), throw ops. Only
    functions using these instructions get one (and their code stays unfused)."""

    def __init__(self, mod: m.Module, nlocals: int) -> None:
        from . import eh as eh_rt
        self.rt = eh_rt
        self.tag_arity = [len(mod.types[imp.type_index].params)
                          for imp in mod.imports if imp.kind == m.KIND_TAG]
        self.tag_arity += [len(mod.types[t].params) for t in mod.tags]
        self.regions: list = []      # closed regions, innermost first
        self.current = None          # the innermost open region (structurally)
        self.first_hidden = nlocals  # hidden locals go after the declared ones
        self.hidden = 0

    def _close(self, c: _Ctrl, out: list) -> None:
        region = c.region
        region.end = len(out)
        self.regions.append(region)
        c.handlers = region
        c.region = None
        self.current = c.outer_region

    def _clause(self, tag, depth: int, mode: int, ctrl: list, out: list) -> list:
        """A try_table clause branching to label `depth` (counted outside the try_table)."""
        f = ctrl[-1 - depth]
        if f.kind == _LOOP:
            return [tag, f.start, f.base, mode, len(out) - f.start + 1, -1]
        clause = [tag, None, f.base, mode, 1, -1]
        f.fixups.append((clause, 1))
        return clause

    def op(self, ins: tuple, h: int, ctrl: list, out: list, dead: bool,
           block_sig) -> tuple[int, bool]:
        """Compile one instruction; the new operand height and whether code after it is dead."""
        rt = self.rt
        op = ins[0]
        if op == 0x08:  # throw
            n = self.tag_arity[ins[1]]
            out.append([THROW, ins[1], n])
            return h - n, True
        if op == 0x0A:  # throw_ref
            out.append([THROW_REF, 0, 0])
            return h - 1, True
        if op == 0x09:  # rethrow (legacy)
            out.append([RETHROW, ctrl[-1 - ins[1]].exn_local, 0])
            return h, True
        if op == 0x1F or op == 0x06:  # try_table / try
            np_, nr = block_sig(ins[1])
            clauses = []
            if op == 0x1F:
                modes = (rt.PUSH_VALUES, rt.PUSH_VALUES_REF, rt.PUSH_NOTHING, rt.PUSH_REF)
                clauses = [self._clause(x, depth, modes[kind], ctrl, out)
                           for kind, x, depth in ins[2]]
            c = _Ctrl(_BLOCK, h - np_, np_, nr, 0, False)
            c.outer_region = self.current
            c.region = rt.Region(len(out), self.current)
            c.region.clauses = clauses
            self.current = c.region
            out.append([TRY_ENTER, h, 0])
            ctrl.append(c)
            return h, False
        c = ctrl[-1]
        if op == 0x18:  # delegate: the body's exceptions go to the handlers around label l
            ctrl.pop()
            region = c.region
            self._close(c, out)
            region.parent = None
            for t in reversed(ctrl[:len(ctrl) - ins[1]]):
                if t.region is not None:
                    region.parent = t.region
                    break
            end = len(out)
            for cont, idx in c.fixups:
                cont[idx] = end
            return c.base + c.nresults, False
        # catch / catch_all (legacy): end the try body (or the previous catch block)
        if not dead:
            j = [JMP, None, 0]
            c.fixups.append((j, 1))
            out.append(j)
        if c.region is not None:
            self._close(c, out)
            c.exn_local = self.first_hidden + self.hidden
            self.hidden += 1
        n = self.tag_arity[ins[1]] if op == 0x07 else 0
        mode = rt.PUSH_VALUES if op == 0x07 else rt.PUSH_NOTHING
        c.handlers.clauses.append([ins[1] if op == 0x07 else None, len(out), c.base, mode, 1,
                                   c.exn_local])
        return c.base + n, False

    def end(self, c: _Ctrl, out: list) -> None:
        """The `end` of a try_table or of a legacy try without catch blocks."""
        self._close(c, out)

    def finish(self, code: list, zeros: list) -> tuple[list, list]:
        handler_code = self.rt.HandlerCode(code)
        handler_code.regions = self.regions
        return handler_code, zeros + [None] * self.hidden


def _simd(ins: tuple, emit) -> int:
    """Emit one SIMD instruction; return its operand-stack height change."""
    from . import simd
    from .opcodes import V128_CONST

    if ins[0] == V128_CONST:
        emit([CONST, ins[1], 0])
        return 1
    kind, fn, offset = simd.lower(ins)
    ex_op = (UNOP, BINOP, TERNOP, VLOAD, VSTORE, VLOAD_LANE)[kind]
    emit([ex_op, fn, offset])
    return _stack_change(ins[0])


def _stack_change(op: int) -> int:
    """The operand-stack height change of an instruction with a fixed signature."""
    info = OPCODES[op]
    assert info.params is not None and info.results is not None
    return len(info.results) - len(info.params)


def _negate(pred):
    return lambda v: not pred(v)


def _gc_effect(ins: tuple, types: list) -> int:
    """Operand-stack height change of a GC instruction lowered to GCOP."""
    op = ins[0]
    if op == 0xFB00:  # struct.new
        return 1 - len(types[ins[1]].fields)
    if op == 0xFB08:  # array.new_fixed
        return 1 - ins[2]
    return _GC_EFFECT[op]


_GC_EFFECT = {0xFB01: 1, 0xFB02: 0, 0xFB03: 0, 0xFB04: 0, 0xFB05: -2, 0xFB06: -1, 0xFB07: 0,
              0xFB09: -1, 0xFB0A: -1, 0xFB0B: -1, 0xFB0C: -1, 0xFB0D: -1, 0xFB0E: -3, 0xFB0F: 0,
              0xFB10: -4, 0xFB11: -5, 0xFB12: -4, 0xFB13: -4, 0xFB16: 0, 0xFB17: 0, 0xFB1A: 0,
              0xFB1B: 0, 0xFB1C: 0, 0xFB1D: 0, 0xFB1E: 0}
def _atomic(mod: m.Module, ins: tuple, emit) -> int:
    """Emit one atomic instruction as generic executor ops; return its stack height change."""
    from . import atomics
    from .opcodes import OPCODES

    ex_ops = {atomics.LOAD: VLOAD, atomics.STORE: VSTORE, atomics.RMW: VLOAD_LANE,
              atomics.PAIR: BINOP}
    for kind, fn, offset in atomics.lower(ins, atomics.memory0_shared(mod)):
        emit([ex_ops[kind], fn, offset])
    info = OPCODES[ins[0]]
    assert info.params is not None and info.results is not None
    return len(info.results) - len(info.params)


_TARGETED = frozenset((IF, JMP, BR_IF, BR_DROP, BR_IF_DROP, JMP_B, BR_DROP_B, BR_IF_B,
                       BR_IF_DROP_B, BR_UNLESS, BR_UNLESS_B, IF_NOT))
_TARGET_IN_A = frozenset(v >> 16 for v in (V_BR, V_BRB, V_IF))
_TARGET_IN_K = frozenset(v >> 16 for v in (V_LL_BR, V_LC_BR, V_LL_IF, V_LC_IF))
_TARGET_COST_IN_K = frozenset(v >> 16 for v in (V_LL_BRB, V_LC_BRB))


def _targets_of(ins: list):
    """(container, index) of every branch-target pc in an instruction under construction."""
    op = ins[0]
    if op in _TARGETED or (op >> 16) in _TARGET_IN_A:
        return [(ins, 1)]
    if (op >> 16) in _TARGET_IN_K:
        return [(ins, 3)]
    if (op >> 16) in _TARGET_COST_IN_K:
        return [(ins[3], 0)]
    if op == BR_TABLE:
        return [(e, 0) for e in ins[1]]
    return []


_SET_TEE = (LOCAL_SET, LOCAL_TEE)


def _fuse(out: list[list]) -> list[list]:
    """Peephole pass: fuse common instruction sequences into superinstructions. A sequence is
    fused only when none of its instructions but the first is a branch target; pcs are
    remapped afterwards. Longer patterns are tried first."""
    targets = {cont[i] for ins in out for cont, i in _targets_of(ins)}
    n = len(out)
    new: list[list] = []
    remap = {}

    def free(j: int) -> bool:
        return j < n and j not in targets

    def opat(j: int) -> int:
        return out[j][0] if j < n else -1

    i = 0
    while i < n:
        ins = out[i]
        remap[i] = len(new)
        op = ins[0]
        fused = None
        used = 1
        if op == LOCAL_GET and free(i + 1) and free(i + 2) and opat(i + 2) in FUSABLE_BINARY \
                and opat(i + 1) in (LOCAL_GET, CONST) and out[i + 1][1] is not None:
            # local.get a; (local.get b | const b); op [; local.set/tee k | br_if | if]
            ll = opat(i + 1) == LOCAL_GET
            bop = opat(i + 2)
            a, b = ins[1], out[i + 1][1]
            nxt = opat(i + 3) if free(i + 3) else -1
            if nxt in _SET_TEE:
                var = (V_LL_SET if nxt == LOCAL_SET else V_LL_TEE) if ll else \
                    (V_LC_SET if nxt == LOCAL_SET else V_LC_TEE)
                fused, used = [bop | var, a, b, out[i + 3][1]], 4
            elif bop in COND_BINARY and nxt == BR_IF:
                fused, used = [bop | (V_LL_BR if ll else V_LC_BR), a, b, out[i + 3][1]], 4
            elif bop in COND_BINARY and nxt == BR_IF_B:
                fused, used = [bop | (V_LL_BRB if ll else V_LC_BRB), a, b,
                               [out[i + 3][1], out[i + 3][2]]], 4
            elif bop in COND_BINARY and nxt == IF:
                fused, used = [bop | (V_LL_IF if ll else V_LC_IF), a, b, out[i + 3][1]], 4
            elif ll and opat(i + 3) == CONST and free(i + 3) and free(i + 4) \
                    and opat(i + 4) in FUSABLE_BINARY:
                pass  # leave `local.get b; const; op` to fuse as one (e.g. base + (i << 2))
            else:
                fused, used = [bop | (V_LL if ll else V_LC), a, b], 3
        elif op == LOCAL_GET and free(i + 1) and free(i + 2) and opat(i + 2) in STORES \
                and opat(i + 1) in (LOCAL_GET, CONST) and out[i + 1][1] is not None:
            # local.get a; (local.get b | const b); store offset=k
            var = V_LL if opat(i + 1) == LOCAL_GET else V_LC
            fused, used = [opat(i + 2) | var, ins[1], out[i + 1][1], out[i + 2][1]], 3
        elif free(i + 1):
            nx = out[i + 1]
            nop = nx[0]
            if op == CONST and nop in FUSABLE_BINARY and ins[1] is not None:
                if free(i + 2) and opat(i + 2) in _SET_TEE:
                    var = V_C_SET if opat(i + 2) == LOCAL_SET else V_C_TEE
                    fused, used = [nop | var, ins[1], out[i + 2][1]], 3
                else:
                    fused = [nop | V_C, ins[1], 0]
            elif op == LOCAL_GET and nop in FUSABLE_BINARY:
                fused = [nop | V_SL, ins[1], 0]
            elif op == LOCAL_GET and nop in LOADS:
                fused = [nop | V_L, ins[1], nx[1]]
            elif op in FUSABLE_BINARY and nop in _SET_TEE:
                fused = [op | (V_TEE if nop == LOCAL_TEE else V_SET), nx[1], 0]
            elif op in COND_BINARY and nop == BR_IF:
                fused = [op | V_BR, nx[1], 0]
            elif op in COND_BINARY and nop == BR_IF_B:
                fused = [op | V_BRB, nx[1], nx[2]]
            elif op in COND_BINARY and nop == IF:
                fused = [op | V_IF, nx[1], 0]
            elif (op == 0x45 or op == 0x50) and nop == BR_IF:
                fused = [BR_UNLESS, nx[1], 0]
            elif (op == 0x45 or op == 0x50) and nop == BR_IF_B:
                fused = [BR_UNLESS_B, nx[1], nx[2]]
            elif (op == 0x45 or op == 0x50) and nop == IF:
                fused = [IF_NOT, nx[1], 0]
            elif op == LOCAL_GET and nop == LOCAL_GET:
                fused = [GET_GET, ins[1], nx[1]]
            elif op == LOCAL_GET and nop == CONST:
                fused = [GET_CONST, ins[1], nx[1]]
            elif op == LOCAL_SET and nop == LOCAL_GET:
                fused = [SET_GET, ins[1], nx[1]]
            if fused is not None and used == 1:
                used = 2
        if fused is None:
            new.append(ins)
        else:
            for j in range(1, used):
                remap[i + j] = len(new)
            new.append(fused)
        i += used
    remap[n] = len(new)
    for ins in new:
        for cont, j in _targets_of(ins):
            cont[j] = remap[cont[j]]
    return new
