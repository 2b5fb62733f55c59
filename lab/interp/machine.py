"""The executor: runs compiled function bodies (see compile.py) with an explicit frame stack.

Wasm-to-Wasm calls never recurse in Python: a call pushes the caller's (code, pc, locals,
instance) on a list and switches to the callee (all frames share one operand stack: arguments
are taken off its top, results are left there), so call depth is bounded only by the
store's max_call_depth (exceeding it is a TRAP_STACK_EXHAUSTED trap, never a RecursionError).
Depth is counted in frame units: a function with many locals counts one unit per 64 local slots
(CompiledCode.weight), so the memory held by a runaway recursion stays bounded too.
Host functions are called directly; if they call back into Wasm, a nested executor runs, and the
store's depth counter carries the depth across so the limit holds over the whole chain.
A tail call (return_call, return_call_indirect) replaces the current frame instead of pushing
one (_TAIL_ENTER): chains of them run in constant depth and memory, and each counts one unit
of fuel like a call.

The loop body is generated once from the per-op snippets below (HANDLERS; the numeric ones and
their fused variants come from numeric.py's expression templates): the op int is found by a
decision tree of `<` comparisons, weighted by measured op frequencies (WEIGHTS) so frequent ops
take fewer tests. All state lives in local variables of one function (no attribute lookups or
allocations per instruction beyond the values themselves). The generated code object is cached
in __pycache__ to keep cold starts short.

Exceptions (eh.py): a throw leaves the dispatch loop with `break` to the unwinding code after
it, and so does an errors.UncaughtException raised by a callee (a host function, a nested
executor, translated code) through the loop's `try` (CPython 3.11's try costs nothing until
something is raised). The unwinding goes frame by frame to the first handler region that
catches the exception, or raises UncaughtException when the executor's frames are exhausted.

Out-of-bounds memory accesses are not pre-checked: struct.unpack_from/pack_into raise
struct.error past the end of the memory's buffer, which becomes TRAP_OOB_MEMORY. That holds for
memory 0 with 32-bit addresses; accesses to other memories or with i64 addresses are GENERAL
ops, closures that check the address themselves (memops.py).
"""

from __future__ import annotations

import struct

from . import compile as C
from . import eh
from .errors import (
    TRAP_INDIRECT_MISMATCH,
    TRAP_NULL_EXN,
    TRAP_NULL_FUNCTION,
    TRAP_NULL_REFERENCE,
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    TRAP_OUT_OF_FUEL,
    TRAP_STACK_EXHAUSTED,
    TRAP_UNDEFINED_ELEMENT,
    TRAP_UNINITIALIZED_ELEMENT,
    TRAP_UNREACHABLE,
    Trap,
    UncaughtException,
    WasmError,
)

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def is_subtype(actual, expected) -> bool:
    """Canonical function types: a call_indirect whose callee's type is a declared subtype."""
    from .gctypes import heap_sub_canon
    return heap_sub_canon(actual, expected)

_SWITCH = """\
funcs = inst.funcs; G = inst.globals; T = inst.tables; mem = inst.mem0; M = inst.M
"""

# A call of the host function `f` (operands: its arguments), inside the executor's
# `if f.host is not None:` of _ENTER and _TAIL_ENTER (hence indented).
_HOST_CALL = """\
        n = f.nparams
        if n:
            hargs = stack[-n:]
            del stack[-n:]
        else:
            hargs = []
        store.depth = base_depth + depth + 1
        if limited:
            store.fuel = fuel
        try:
            res = f.host(inst, hargs)
        finally:
            store.depth = base_depth
            if limited:
                fuel = store.fuel
        if res:
            stack.extend(res)
"""

# The Wasm callee's entry (code, nparams, zeros, weight) `e`: its locals from its arguments.
_CALLEE_LOCALS = """\
c, n, zeros, w = e
if n == 1:
    L2 = [pop()]
    L2 += zeros
elif n:
    L2 = stack[-n:]
    del stack[-n:]
    L2 += zeros
else:
    L2 = zeros[:]
"""

_ENTER = """\
e = f.entry
if e is None:
    if f.host is not None:
""" + _HOST_CALL + """\
        continue
    e = f.compile()
""" + _CALLEE_LOCALS + """\
depth += w
if depth > maxdepth:
    raise Trap(TRAP_STACK_EXHAUSTED)
fuel -= 1
if fuel < 0:
    raise Trap(TRAP_OUT_OF_FUEL)
frames.append((code, pc, L, inst, w))
code = c
pc = 0
L = L2
if f.inst is not inst:
    inst = f.inst
""" + "    " + _SWITCH

_RETURN = """\
if not frames:
    return stack
code, pc, L, i2, w = frames.pop()
depth -= w
if i2 is not inst:
    inst = i2
""" + "    " + _SWITCH

_FUEL = """\
if fuel < 0:
    raise Trap(TRAP_OUT_OF_FUEL)
"""

# The callee of call_indirect a=type b=table (the operand on top is the element index).
_INDIRECT_CALLEE = """\
i = pop()
tab = T[b].elems
if i >= len(tab):
    raise Trap(TRAP_UNDEFINED_ELEMENT)
f = tab[i]
if f is None:
    raise Trap(TRAP_UNINITIALIZED_ELEMENT)
if f.type is not a and not is_subtype(f.type, a):
    raise Trap(TRAP_INDIRECT_MISMATCH)
"""

# A tail call (return_call and friends; `f` is the callee, `k` the slice of the frame's operands
# below the arguments, or None): the callee replaces the current frame instead of going on top
# of it, so a chain of tail calls runs in constant depth and memory. The frame record of the
# caller's caller keeps its place; only its callee's weight changes. A host callee is called
# and the current frame returns its results.
_TAIL_ENTER = """\
if k is not None:
    del stack[k]
e = f.entry
if e is None:
    if f.host is not None:
""" + _HOST_CALL + "".join(" " * 8 + line + "\n" for line in _RETURN.splitlines()) + """\
        continue
    e = f.compile()
""" + _CALLEE_LOCALS + """\
fuel -= 1
if fuel < 0:
    raise Trap(TRAP_OUT_OF_FUEL)
if frames:
    fr = frames[-1]
    if fr[4] != w:
        depth += w - fr[4]
        if depth > maxdepth:
            raise Trap(TRAP_STACK_EXHAUSTED)
        frames[-1] = (fr[0], fr[1], fr[2], fr[3], w)
code = c
pc = 0
L = L2
if f.inst is not inst:
    inst = f.inst
""" + "    " + _SWITCH

HANDLERS: dict[int, str] = {
    C.LOCAL_GET: "push(L[a])",
    C.LOCAL_SET: "L[a] = pop()",
    C.LOCAL_TEE: "L[a] = stack[-1]",
    C.GET_GET: "push(L[a])\npush(L[b])",
    C.GET_CONST: "push(L[a])\npush(b)",
    C.SET_GET: "L[a] = pop()\npush(L[b])",
    C.CONST: "push(a)",
    C.GLOBAL_GET: "push(G[a].value)",
    C.GLOBAL_SET: "G[a].value = pop()",
    C.DROP: "del stack[-1]",
    C.SELECT: "c = pop()\nv = pop()\nif not c:\n    stack[-1] = v",
    C.JMP: "pc = a",
    C.BR_DROP: "del stack[b]\npc = a",
    C.BR_IF: "if pop():\n    pc = a",
    C.BR_IF_DROP: "if pop():\n    del stack[b]\n    pc = a",
    C.JMP_B: "fuel -= b\n" + _FUEL + "pc = a",
    C.BR_DROP_B: "del stack[b[0]]\nfuel -= b[1]\n" + _FUEL + "pc = a",
    C.BR_IF_B: "if pop():\n    fuel -= b\n    if fuel < 0:\n        raise Trap(TRAP_OUT_OF_FUEL)\n"
               "    pc = a",
    C.BR_IF_DROP_B: "if pop():\n    del stack[b[0]]\n    fuel -= b[1]\n"
                    "    if fuel < 0:\n        raise Trap(TRAP_OUT_OF_FUEL)\n    pc = a",
    C.IF: "if not pop():\n    pc = a",
    C.BR_TABLE: """\
i = pop()
e = a[i] if i < b else a[b]
if e[1] is not None:
    del stack[e[1]]
if e[2]:
    fuel -= e[2]
    if fuel < 0:
        raise Trap(TRAP_OUT_OF_FUEL)
pc = e[0]""",
    C.RETURN: _RETURN,
    C.RETURN_DROP: "del stack[b]\n" + _RETURN,
    C.CALL: "f = funcs[a]\n" + _ENTER,
    C.CALL_INDIRECT: _INDIRECT_CALLEE + _ENTER,
    C.UNREACHABLE: "raise Trap(TRAP_UNREACHABLE)",
    C.UNOP: "stack[-1] = a(stack[-1])",
    C.BINOP: "v = pop()\nstack[-1] = a(stack[-1], v)",
    C.TERNOP: "c = pop()\nv = pop()\nstack[-1] = a(stack[-1], v, c)",
    # SIMD memory access (simd.py's functions; b = static offset)
    C.VLOAD: "stack[-1] = a(M, stack[-1] + b)",
    C.VSTORE: "v = pop()\na(M, pop() + b, v)",
    C.VLOAD_LANE: "v = pop()\nstack[-1] = a(M, stack[-1] + b, v)",
    C.REF_IS_NULL: "stack[-1] = 1 if stack[-1] is None else 0",
    C.REF_FUNC: "push(funcs[a])",
    C.TABLE_GET: """\
i = stack[-1]
el = T[a].elems
if i >= len(el):
    raise Trap(TRAP_OOB_TABLE)
stack[-1] = el[i]""",
    C.TABLE_SET: """\
v = pop()
i = pop()
el = T[a].elems
if i >= len(el):
    raise Trap(TRAP_OOB_TABLE)
el[i] = v""",
    C.MEMORY_SIZE: "push(len(M) >> 16)",
    C.MEMORY_GROW: "stack[-1] = mem.grow(stack[-1]) & 0xFFFFFFFF",
    # loads: a = static offset
    0x28: "stack[-1] = ld_I(M, stack[-1] + a)[0]",
    0x29: "stack[-1] = ld_Q(M, stack[-1] + a)[0]",
    0x2A: "stack[-1] = ld_I(M, stack[-1] + a)[0]",
    0x2B: "stack[-1] = ld_d(M, stack[-1] + a)[0]",
    0x2C: "stack[-1] = ld_b(M, stack[-1] + a)[0] & 0xFFFFFFFF",
    0x2D: "stack[-1] = ld_B(M, stack[-1] + a)[0]",
    0x2E: "stack[-1] = ld_h(M, stack[-1] + a)[0] & 0xFFFFFFFF",
    0x2F: "stack[-1] = ld_H(M, stack[-1] + a)[0]",
    0x30: "stack[-1] = ld_b(M, stack[-1] + a)[0] & 0xFFFFFFFFFFFFFFFF",
    0x31: "stack[-1] = ld_B(M, stack[-1] + a)[0]",
    0x32: "stack[-1] = ld_h(M, stack[-1] + a)[0] & 0xFFFFFFFFFFFFFFFF",
    0x33: "stack[-1] = ld_H(M, stack[-1] + a)[0]",
    0x34: "stack[-1] = ld_i(M, stack[-1] + a)[0] & 0xFFFFFFFFFFFFFFFF",
    0x35: "stack[-1] = ld_I(M, stack[-1] + a)[0]",
    # stores
    0x36: "v = pop()\nst_I(M, pop() + a, v)",
    0x37: "v = pop()\nst_Q(M, pop() + a, v)",
    0x38: "v = pop()\nst_I(M, pop() + a, v)",
    0x39: "v = pop()\nst_d(M, pop() + a, v)",
    0x3A: "v = pop()\nst_B(M, pop() + a, v & 0xFF)",
    0x3B: "v = pop()\nst_H(M, pop() + a, v & 0xFFFF)",
    0x3C: "v = pop()\nst_B(M, pop() + a, v & 0xFF)",
    0x3D: "v = pop()\nst_H(M, pop() + a, v & 0xFFFF)",
    0x3E: "v = pop()\nst_I(M, pop() + a, v & 0xFFFFFFFF)",
    # bulk memory and tables: helpers in runtime.py
    0xFC08: "n = pop(); s = pop(); d = pop()\nmemory_init(inst, a, d, s, n)",
    0xFC09: "inst.datas[a] = b''",
    0xFC0A: "n = pop(); s = pop(); d = pop()\nmemory_copy(inst, d, s, n)",
    0xFC0B: "n = pop(); v = pop(); d = pop()\nmemory_fill(inst, d, v, n)",
    0xFC0C: "n = pop(); s = pop(); d = pop()\ntable_init(inst, a, b, d, s, n)",
    0xFC0D: "inst.elems[a] = ()",
    0xFC0E: "n = pop(); s = pop(); d = pop()\ntable_copy(inst, a, b, d, s, n)",
    0xFC0F: "n = pop()\nstack[-1] = T[a].grow(n, stack[-1]) & 0xFFFFFFFF",
    0xFC10: "push(len(T[a].elems))",
    0xFC11: "n = pop(); v = pop(); d = pop()\ntable_fill(inst, a, d, v, n)",
}

# Multi-memory, memory64, table64: the closure does the whole instruction (memops.py).
HANDLERS[C.GENERAL] = "a(inst, stack)"


# --- Wasm 3.0 typed function references and GC (ops only code of modules using them has) ---
_GC_HANDLERS = {
    C.GCOP: "a(stack, inst, b)",
    C.CALL_REF: "f = pop()\nif f is None:\n    raise Trap(TRAP_NULL_FUNCTION)\n" + _ENTER,
    # the reference is popped first; then a tail call like return_call's (k: see _TAIL_ENTER)
    C.RETURN_CALL_REF: "f = pop()\nif f is None:\n    raise Trap(TRAP_NULL_FUNCTION)\n" + _TAIL_ENTER,
    C.REF_AS_NON_NULL: "if stack[-1] is None:\n    raise Trap(TRAP_NULL_REFERENCE)",
    C.NULL_TEST: "if stack[-1] is None:\n    stack[-1] = 1\nelse:\n    push(0)",
    C.NON_NULL_TEST: "if stack[-1] is None:\n    stack[-1] = 0\nelse:\n    push(1)",
    C.CAST_TEST: "push(1 if a(stack[-1]) else 0)",
    C.REF_TEST: "stack[-1] = 1 if a(stack[-1]) else 0",
    C.REF_EQ: "v = pop()\nx = stack[-1]\nstack[-1] = 1 if v is x or (v.__class__ is int and v == x) else 0",
}
HANDLERS.update(_GC_HANDLERS)

# --- Wasm 3.0 tail calls: k = the slice of the frame's operands to drop (see _TAIL_ENTER) -----
HANDLERS[C.RETURN_CALL] = "f = funcs[a]\n" + _TAIL_ENTER
HANDLERS[C.RETURN_CALL_INDIRECT] = _INDIRECT_CALLEE + _TAIL_ENTER


def _add_wide_handlers() -> None:
    """Wide arithmetic (wide.py's templates): the low half replaces the deepest operand."""
    from .wide import TEMPLATES, statements

    for op, (n, _, _) in TEMPLATES.items():
        names = [f"x{i}" for i in range(n)]
        pops = "".join(f"{name} = pop()\n" for name in reversed(names[1:]))
        HANDLERS[op] = pops + "x0 = stack[-1]\n" + \
            "\n".join(statements(op, names, "wt", "stack[-1]", "v")) + "\npush(v)"


_add_wide_handlers()
# Exception handling (eh.py): the frame base of a handler region, and the throws. A throw in
# this executor does not raise: it leaves the dispatch loop with `break` (its handlers contain
# no loops) to the unwinding code after it (_CATCH), where an UncaughtException raised by a
# host function or a nested executor lands too. Raising inside the 80 KB executor would cost
# tens of microseconds: CPython 3.11 finds the traceback's line by scanning the code's line
# table up to the raising instruction.
HANDLERS.update({
    C.TRY_ENTER: "fb[len(frames)] = len(stack) - a",
    C.THROW: "exn = new_exn(store, inst.tags[a], stack, b)\nbreak",
    C.THROW_REF: "exn = pop()\nif exn is None:\n    raise Trap(TRAP_NULL_EXN)\nbreak",
    C.RETHROW: "exn = L[a]\nbreak",
})

_CATCH = """\
while True:
    if type(code) is HandlerCode:
        cl = find_clause(code.regions, pc - 1, exn, inst.tags)
        if cl is not None:
            break
    if not frames:
        raise UncaughtException(exn)
    code, pc, L, i2, w = frames.pop()
    depth -= w
    if i2 is not inst:
        inst = i2
""" + "        " + _SWITCH + """\
x, pc, height, mode, cost, xl = cl
del stack[fb[len(frames)] + height:]
if mode <= 1:
    stack.extend(exn.values)
if mode & 1:
    push(exn)
if xl >= 0:
    L[xl] = exn
fuel -= cost
if fuel < 0:
    raise Trap(TRAP_OUT_OF_FUEL)
"""



def _add_numeric_handlers() -> None:
    """Handlers for the inline numeric ops and their fused variants, from numeric.py's
    expression templates."""
    from .numeric import COND_BINARY, EXPR_BINARY, EXPR_UNARY

    fuel_check = "    fuel -= b\n    if fuel < 0:\n        raise Trap(TRAP_OUT_OF_FUEL)\n"
    for op, expr in EXPR_UNARY.items():
        HANDLERS[op] = "x = pop()\npush(" + expr.format(x="x") + ")"
    binaries = {op: e for op, e in EXPR_BINARY.items()}
    binaries.update({op: "(1 if " + c + " else 0)" for op, c in COND_BINARY.items()})
    for op, e in binaries.items():
        HANDLERS[op] = "y = pop()\nx = pop()\npush(" + e.format(x="x", y="y") + ")"
        HANDLERS[op | C.V_C] = "x = pop()\npush(" + e.format(x="x", y="a") + ")"
        HANDLERS[op | C.V_LL] = "push(" + e.format(x="L[a]", y="L[b]") + ")"
        HANDLERS[op | C.V_LC] = "push(" + e.format(x="L[a]", y="b") + ")"
        HANDLERS[op | C.V_SL] = "x = pop()\npush(" + e.format(x="x", y="L[a]") + ")"
        HANDLERS[op | C.V_TEE] = "y = pop()\nx = pop()\nL[a] = v = " + e.format(x="x", y="y") \
            + "\npush(v)"
        HANDLERS[op | C.V_SET] = "y = pop()\nx = pop()\nL[a] = " + e.format(x="x", y="y")
        HANDLERS[op | C.V_LL_SET] = "L[k] = " + e.format(x="L[a]", y="L[b]")
        HANDLERS[op | C.V_LL_TEE] = "L[k] = v = " + e.format(x="L[a]", y="L[b]") + "\npush(v)"
        HANDLERS[op | C.V_LC_SET] = "L[k] = " + e.format(x="L[a]", y="b")
        HANDLERS[op | C.V_LC_TEE] = "L[k] = v = " + e.format(x="L[a]", y="b") + "\npush(v)"
        HANDLERS[op | C.V_C_SET] = "x = pop()\nL[b] = " + e.format(x="x", y="a")
        HANDLERS[op | C.V_C_TEE] = "x = pop()\nL[b] = v = " + e.format(x="x", y="a") + \
            "\npush(v)"
    for op, c in COND_BINARY.items():
        cs = c.format(x="x", y="y")
        ll = c.format(x="L[a]", y="L[b]")
        lc = c.format(x="L[a]", y="b")
        HANDLERS[op | C.V_BR] = "y = pop()\nx = pop()\nif " + cs + ":\n    pc = a"
        HANDLERS[op | C.V_BRB] = "y = pop()\nx = pop()\nif " + cs + ":\n" + fuel_check + \
            "    pc = a"
        HANDLERS[op | C.V_IF] = "y = pop()\nx = pop()\nif not (" + cs + "):\n    pc = a"
        HANDLERS[op | C.V_LL_BR] = "if " + ll + ":\n    pc = k"
        HANDLERS[op | C.V_LC_BR] = "if " + lc + ":\n    pc = k"
        HANDLERS[op | C.V_LL_IF] = "if not (" + ll + "):\n    pc = k"
        HANDLERS[op | C.V_LC_IF] = "if not (" + lc + "):\n    pc = k"
        back = ":\n    pc, n = k\n    fuel -= n\n    if fuel < 0:\n" \
            "        raise Trap(TRAP_OUT_OF_FUEL)"
        HANDLERS[op | C.V_LL_BRB] = "if " + ll + back
        HANDLERS[op | C.V_LC_BRB] = "if " + lc + back
    HANDLERS[C.BR_UNLESS] = "if not pop():\n    pc = a"
    HANDLERS[C.BR_UNLESS_B] = "if not pop():\n" + fuel_check + "    pc = a"
    HANDLERS[C.IF_NOT] = "if pop():\n    pc = a"
    for op in C.STORES:
        call = HANDLERS[op].split("\n")[1]  # e.g. st_I(M, pop() + a, v & 0xFF)
        HANDLERS[op | C.V_LL] = call.replace("pop() + a", "L[a] + k").replace("v", "L[b]")
        HANDLERS[op | C.V_LC] = call.replace("pop() + a", "L[a] + k").replace("v", "b")
    for op in C.LOADS:
        HANDLERS[op | C.V_L] = "push(" + HANDLERS[op].split(" = ", 1)[1] \
            .replace("stack[-1] + a", "L[a] + b") + ")"


_add_numeric_handlers()

# Measured frequencies in % (profiles of the C workloads in suites/workloads built for
# wasm32-wasi, after fusion); they shape
# the dispatch tree so frequent ops are found with fewer comparisons. Unlisted ops weigh 1.
WEIGHTS: dict[int, float] = {
    C.GET_GET: 5.72, C.LOCAL_TEE: 5.08, C.LOCAL_GET: 4.50, 0x6A | C.V_LC_SET: 3.93,
    0x6A | C.V_LC: 3.66, C.CONST: 2.99, C.SET_GET: 2.92, 0x6A | C.V_LC_TEE: 2.92,
    C.BR_IF_B: 2.85, 0x6A | C.V_C: 2.50, 0x28: 2.42, C.BR_IF: 2.36, 0x6A: 2.13, 0x2B: 1.88,
    0x6A | C.V_C_TEE: 1.81, C.LOCAL_SET: 1.77, C.BR_UNLESS: 1.59, 0xA2 | C.V_SL: 1.56,
    0x2D: 1.53, 0x74 | C.V_C: 1.48, 0x6A | C.V_LL_TEE: 1.43, 0x2D | C.V_L: 1.29, C.BINOP: 1.24,
    0xA2: 1.17, 0xA0: 1.16, 0x3A: 1.14, 0x39: 1.13, C.RETURN: 1.07, C.CALL: 1.06,
    0x6A | C.V_LL: 1.04, 0x71 | C.V_C: 1.02, 0x73: 0.95, 0x47 | C.V_BRB: 0.94,
    0x74 | C.V_LC: 0.93, 0x76 | C.V_LC: 0.91, C.SELECT: 0.90, 0xA0 | C.V_TEE: 0.87,
    0x85 | C.V_SL: 0.86, 0x6A | C.V_SL: 0.81, C.UNOP: 0.69, 0x6A | C.V_LL_SET: 0.67, 0x36: 0.66,
    0x28 | C.V_L: 0.66, C.GET_CONST: 0.61, 0x2B | C.V_L: 0.60, 0x88 | C.V_C: 0.58,
    0x7E | C.V_C: 0.57, 0x36 | C.V_LL: 0.52, 0x4D | C.V_SL: 0.52, C.JMP_B: 0.52,
    0x49 | C.V_SL: 0.49, 0xA2 | C.V_LL: 0.46, 0x76 | C.V_C: 0.44, 0xA0 | C.V_SET: 0.42,
    0x88 | C.V_LC: 0.41, 0x6A | C.V_TEE: 0.40, 0x4B | C.V_LC_BR: 0.38, 0x85: 0.38,
    C.BR_TABLE: 0.37, 0xA7: 0.37, 0x37: 0.36, 0x73 | C.V_SL: 0.36, 0x86 | C.V_C: 0.35,
    C.JMP: 0.34, 0xA0 | C.V_LL_SET: 0.34, 0xA1 | C.V_LL: 0.34, 0x65 | C.V_C: 0.34, 0x29: 0.32,
    0x6B | C.V_TEE: 0.30, 0x31: 0.29, 0x73 | C.V_TEE: 0.25, 0x73 | C.V_SET: 0.25, 0x7E: 0.25,
    0xAC: 0.25, 0x74 | C.V_C_TEE: 0.24, 0x2C: 0.24, 0x47 | C.V_C: 0.23, 0xA1 | C.V_TEE: 0.23,
    0xA1: 0.23, 0x3C: 0.22, 0x47 | C.V_LL_BRB: 0.22, 0x6C | C.V_SL: 0.22,
    0x7C | C.V_LC_SET: 0.22, 0x47 | C.V_LC_BR: 0.21, 0x48 | C.V_C: 0.21, 0x4B | C.V_C: 0.19,
    0x6C | C.V_C: 0.18, 0x49 | C.V_C: 0.17, 0x71 | C.V_LC_TEE: 0.16, 0x83 | C.V_C: 0.16,
    C.GLOBAL_GET: 0.3, C.GLOBAL_SET: 0.2, C.CALL_INDIRECT: 0.2, C.DROP: 0.2, C.IF: 0.3,
    C.IF_NOT: 0.2, C.BR_DROP: 0.1, C.BR_IF_DROP: 0.1, C.RETURN_DROP: 0.1,
}
RARE = 0.02  # weight of ops not listed (most fused variants of rare ops)
# Typed-reference/GC ops weigh nothing, so every 2.0 op keeps its place in the dispatch tree
# (code without them pays no extra comparison).
WEIGHTS.update(dict.fromkeys(_GC_HANDLERS, 0.0))
# Wasm 3.0 ops no 2.0 workload runs: weightless, so the 2.0 ops keep their place in the tree.
WEIGHTS.update({op: 0.0 for op in (C.RETURN_CALL, C.RETURN_CALL_INDIRECT, *C.WIDE_ARITHMETIC)})

# Tested first, in this order, before the weighted search over the rest.
HOT: list[int] = []  # (a linear prefix measured slower than the weighted tree alone)


def _indent(src: str, n: int) -> str:
    pad = " " * n
    return "".join(pad + line + "\n" for line in src.splitlines())


def _tree(ops: list[int], ind: int) -> str:
    """A weight-balanced decision tree over the sorted op list (equality tests at the leaves,
    heaviest first)."""
    if len(ops) <= 3:
        chain = sorted(ops, key=lambda op: -WEIGHTS.get(op, RARE))
        out = ""
        for k, op in enumerate(chain):
            if k == len(chain) - 1:
                if k:
                    out += " " * ind + "else:\n"
                out += _indent(HANDLERS[op], ind + (4 if k else 0))
            else:
                out += " " * ind + ("if" if k == 0 else "elif") + f" op == {op}:\n"
                out += _indent(HANDLERS[op], ind + 4)
        return out
    weights = [WEIGHTS.get(op, RARE) for op in ops]
    total = sum(weights)
    best, acc, split = None, 0.0, 1
    for k in range(1, len(ops)):
        acc += weights[k - 1]
        d = abs(total / 2 - acc)
        if best is None or d < best:
            best, split = d, k
    return (" " * ind + f"if op < {ops[split]}:\n" + _tree(ops[:split], ind + 4)
            + " " * ind + "else:\n" + _tree(ops[split:], ind + 4))


def _generate() -> str:
    rest = sorted(op for op in HANDLERS if op not in HOT)
    body = ""
    for k, op in enumerate(HOT):
        body += ("if" if k == 0 else "elif") + f" op == {op}:\n" + _indent(HANDLERS[op], 4)
    if HOT:
        body += "else:\n" + _tree(rest, 4)
    else:
        body = _tree(rest, 0)
    src = f'''\
def execute(store, func, args):
    inst = func.inst
    e = func.entry
    if e is None:
        e = func.compile()
    code = e[0]
    L = list(args)
    L += e[2]
    stack = []
    push = stack.append
    pop = stack.pop
    frames = []
{_indent(_SWITCH, 4)}\
    base_depth = store.depth
    maxdepth = store.max_call_depth - base_depth - 1
    if maxdepth < 0:
        raise Trap(TRAP_STACK_EXHAUSTED)
    depth = 0
    fuel = store.fuel
    limited = fuel is not None
    if not limited:
        fuel = 1 << 62
    pc = 0
    fb = {{}}
    try:
        while True:
            try:
                while True:
                    op, a, b, k = code[pc]
                    pc += 1
{_indent(body, 20)}\
            except UncaughtException as thrown:
                exn = thrown.exn
{_indent(_CATCH, 12)}\
    except struct_error as exc:
        raise Trap(TRAP_OOB_MEMORY) from None
    except RecursionError:
        raise Trap(TRAP_STACK_EXHAUSTED) from None
    finally:
        if limited:
            store.fuel = fuel
'''
    return src


SOURCE = _generate()


def _namespace() -> dict:
    from . import runtime as R
    ns = {
        "Trap": Trap, "WasmError": WasmError, "struct_error": struct.error,
        "UncaughtException": UncaughtException, "HandlerCode": eh.HandlerCode,
        "find_clause": eh.find_clause, "new_exn": eh.new_exn, "TRAP_NULL_EXN": TRAP_NULL_EXN,
        "TRAP_INDIRECT_MISMATCH": TRAP_INDIRECT_MISMATCH, "TRAP_OOB_MEMORY": TRAP_OOB_MEMORY,
        "TRAP_OOB_TABLE": TRAP_OOB_TABLE, "TRAP_OUT_OF_FUEL": TRAP_OUT_OF_FUEL,
        "TRAP_STACK_EXHAUSTED": TRAP_STACK_EXHAUSTED,
        "TRAP_UNDEFINED_ELEMENT": TRAP_UNDEFINED_ELEMENT,
        "TRAP_UNINITIALIZED_ELEMENT": TRAP_UNINITIALIZED_ELEMENT,
        "TRAP_UNREACHABLE": TRAP_UNREACHABLE,
        "TRAP_NULL_FUNCTION": TRAP_NULL_FUNCTION, "TRAP_NULL_REFERENCE": TRAP_NULL_REFERENCE,
        "is_subtype": is_subtype,
        "S64": 0x8000000000000000,
        "memory_init": R.memory_init, "memory_copy": R.memory_copy, "memory_fill": R.memory_fill,
        "table_init": R.table_init, "table_copy": R.table_copy, "table_fill": R.table_fill,
    }
    for name, fmt in (("I", "<I"), ("Q", "<Q"), ("d", "<d"), ("b", "<b"), ("B", "<B"),
                      ("h", "<h"), ("H", "<H"), ("i", "<i")):
        s = struct.Struct(fmt)
        ns["ld_" + name] = s.unpack_from
        ns["st_" + name] = s.pack_into
    return ns


_compiled_execute = None


def _code_object():
    """The generated executor's code object, cached next to the .pyc files (compiling the
    4000-line function costs ~60 ms of every cold start otherwise)."""
    import hashlib
    import marshal
    import sys
    from pathlib import Path

    key = hashlib.sha256(SOURCE.encode()).hexdigest()[:16]
    path = Path(__file__).parent / "__pycache__" / \
        f"machine_exec.{sys.implementation.cache_tag}.{key}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    code = compile(SOURCE, "<lab.interp.machine executor>", "exec")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{id(code)}.tmp")
        tmp.write_bytes(marshal.dumps(code))
        tmp.replace(path)
        for old in path.parent.glob("machine_exec.*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    return code


def execute(store, func, args):
    """Run the Wasm function instance `func` with `args` (internal representation) on the
    store's tier; return its results as a list. Raises Trap."""
    from .tier import execute as run
    return run(store, func, args)


def interpret(store, func, args):
    """Run `func` on the interpreter tier (this module's dispatch loop)."""
    global _compiled_execute
    if _compiled_execute is None:
        ns = _namespace()
        exec(_code_object(), ns)
        _compiled_execute = ns["execute"]
    return _compiled_execute(store, func, args)
