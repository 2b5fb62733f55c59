"""Validation of the typed-function-reference and GC instructions (Wasm 3.0), for
validate.py's function validator: `gc_op(validator, ins)` types one instruction of GC_OPS."""

from __future__ import annotations

from . import gctypes as gt
from . import opcodes as ops
from .module import (
    ANYREF,
    ARRAYREF,
    EQREF,
    EXTERNREF,
    HT_INDEX,
    I8,
    I16,
    I31REF,
    I32,
    NON_NULL,
    ArrayType,
    FieldType,
    StructType,
    is_ref,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .validate import _FunctionValidator

UNKNOWN = gt.UNKNOWN
type_name = gt.type_name


_types_str = gt.types_str


GC_OPS = frozenset(code for code in ops.OPCODES
                    if ops.FB_BASE <= code < ops.FC_BASE) | {
    ops.CALL_REF, ops.RETURN_CALL_REF, ops.REF_EQ, ops.REF_AS_NON_NULL, ops.BR_ON_NULL,
    ops.BR_ON_NON_NULL}
_EQREF = EQREF
_ANYREF = ANYREF
_EXTERNREF_T = EXTERNREF
_I31REF = I31REF
_ARRAYREF = ARRAYREF


def _unpacked(t: int) -> int:
    return I32 if t == I8 or t == I16 else t


def _defaultable(t: int) -> bool:
    return not t & NON_NULL


def gc_op(self: _FunctionValidator, ins: tuple) -> None:
    """Type one typed-reference or GC instruction."""
    op = ins[0]
    mv = self.mv
    vals = self.vals
    if op == ops.CALL_REF or op == ops.RETURN_CALL_REF:
        ft = self.type_(ins[1])
        self.pop_expect(HT_INDEX + ins[1])
        self.pop_vals(ft.params)
        if op == ops.CALL_REF:
            vals.extend(ft.results)
            return
        _check_tail_results(self, ft.results)
        self.set_unreachable()
    elif op == ops.REF_AS_NON_NULL:
        t = _pop_ref(self, )
        vals.append(t | NON_NULL if t != UNKNOWN else UNKNOWN)
    elif op == ops.BR_ON_NULL:
        t = _pop_ref(self, )
        labels = self.label(ins[1])
        self.pop_vals(labels)
        vals.extend(labels)  # the label's types, not the operands' (subtyping)
        vals.append(t | NON_NULL if t != UNKNOWN else UNKNOWN)
    elif op == ops.BR_ON_NON_NULL:
        labels = self.label(ins[1])
        if not labels or (labels[-1] != UNKNOWN and not is_ref(labels[-1])):
            raise self.fail("type mismatch: br_on_non_null needs a label with a reference "
                            "result")
        t = _pop_ref(self, )
        if t != UNKNOWN and not mv.sub(t | NON_NULL, labels[-1]):
            raise self.mismatch(labels[-1], t | NON_NULL)
        self.pop_vals(labels[:-1])
        vals.extend(labels[:-1])
    elif op == ops.REF_EQ:
        self.pop_expect(_EQREF)
        self.pop_expect(_EQREF)
        vals.append(I32)
    elif op == ops.REF_I31:
        self.pop_expect(I32)
        vals.append(_I31REF | NON_NULL)
    elif op == ops.I31_GET_S or op == ops.I31_GET_U:
        self.pop_expect(_I31REF)
        vals.append(I32)
    elif op == ops.ANY_CONVERT_EXTERN or op == ops.EXTERN_CONVERT_ANY:
        to_any = op == ops.ANY_CONVERT_EXTERN
        t = self.pop_expect(_EXTERNREF_T if to_any else _ANYREF)
        nn = t & NON_NULL if t != UNKNOWN else 0
        vals.append((_ANYREF if to_any else _EXTERNREF_T) | nn)
    elif op in (ops.REF_TEST, ops.REF_TEST_NULL, ops.REF_CAST, ops.REF_CAST_NULL):
        rt = ins[1]
        mv.check_valtype(rt, self.where())
        self.pop_expect(gt.top_of(mv.canon, rt))
        vals.append(I32 if op in (ops.REF_TEST, ops.REF_TEST_NULL) else rt)
    elif op == ops.BR_ON_CAST or op == ops.BR_ON_CAST_FAIL:
        _, depth, rt1, rt2 = ins
        mv.check_valtype(rt1, self.where())
        mv.check_valtype(rt2, self.where())
        if not mv.sub(rt2, rt1):
            raise self.fail(f"type mismatch: {type_name(rt2)} is not a subtype of "
                            f"{type_name(rt1)}")
        labels = self.label(depth)
        if not labels:
            raise self.fail("type mismatch: br_on_cast needs a label with a reference result")
        diff = rt1 | NON_NULL if not rt2 & NON_NULL else rt1  # rt1 minus rt2
        on_branch, on_fall = (rt2, diff) if op == ops.BR_ON_CAST else (diff, rt2)
        if not mv.sub(on_branch, labels[-1]):
            raise self.mismatch(labels[-1], on_branch)
        self.pop_expect(rt1)
        self.pop_vals(labels[:-1])
        vals.extend(labels[:-1])
        vals.append(on_fall)
    else:
        _gc_heap_op(self, ins)


def _gc_heap_op(self: _FunctionValidator, ins: tuple) -> None:
    """struct.* and array.*"""
    op = ins[0]
    mv = self.mv
    vals = self.vals
    if op in (ops.STRUCT_NEW, ops.STRUCT_NEW_DEFAULT):
        st = _struct_type(self, ins[1])
        if op == ops.STRUCT_NEW:
            self.pop_vals([_unpacked(f.storage) for f in st.fields])
        elif not all(_defaultable(f.storage) for f in st.fields):
            raise self.fail(f"type mismatch: struct {ins[1]} has a non-defaultable field")
        vals.append((HT_INDEX + ins[1]) | NON_NULL)
    elif op in (ops.STRUCT_GET, ops.STRUCT_GET_S, ops.STRUCT_GET_U, ops.STRUCT_SET):
        st = _struct_type(self, ins[1])
        if ins[2] >= len(st.fields):
            raise self.fail(f"unknown field {ins[2]}")
        f = st.fields[ins[2]]
        packed = f.storage in (I8, I16)
        if op == ops.STRUCT_SET:
            if not f.mutable:
                raise self.fail(f"field is immutable: field {ins[2]}")
            self.pop_expect(_unpacked(f.storage))
            self.pop_expect(HT_INDEX + ins[1])
            return
        if packed != (op != ops.STRUCT_GET):
            raise self.fail(f"type mismatch: field {ins[2]} is {'' if packed else 'not '}packed")
        self.pop_expect(HT_INDEX + ins[1])
        vals.append(_unpacked(f.storage))
    elif op in (ops.ARRAY_NEW, ops.ARRAY_NEW_DEFAULT, ops.ARRAY_NEW_FIXED, ops.ARRAY_NEW_DATA,
                ops.ARRAY_NEW_ELEM):
        f = _array_type(self, ins[1]).field
        if op == ops.ARRAY_NEW:
            self.pop_expect(I32)
            self.pop_expect(_unpacked(f.storage))
        elif op == ops.ARRAY_NEW_DEFAULT:
            if not _defaultable(f.storage):
                raise self.fail(f"type mismatch: array {ins[1]} is not defaultable")
            self.pop_expect(I32)
        elif op == ops.ARRAY_NEW_FIXED:
            # only as many operands as the stack holds (an absurd count must not allocate)
            frame = self.ctrls[-1]
            available = len(vals) - frame.height
            if ins[2] > available and not frame.unreachable:
                raise self.fail(f"type mismatch: array.new_fixed of {ins[2]} needs more "
                                f"operands than the {available} on the stack")
            self.pop_vals([_unpacked(f.storage)] * min(ins[2], available))
            if ins[2] > available:
                del vals[frame.height:]
        else:
            _segment_for(self, op, ins[2], f)
            self.pop_vals((I32, I32))
        vals.append((HT_INDEX + ins[1]) | NON_NULL)
    elif op in (ops.ARRAY_GET, ops.ARRAY_GET_S, ops.ARRAY_GET_U):
        f = _array_type(self, ins[1]).field
        packed = f.storage in (I8, I16)
        if packed != (op != ops.ARRAY_GET):
            raise self.fail(f"type mismatch: array {ins[1]} is {'' if packed else 'not '}packed")
        self.pop_expect(I32)
        self.pop_expect(HT_INDEX + ins[1])
        vals.append(_unpacked(f.storage))
    elif op == ops.ARRAY_LEN:
        self.pop_expect(_ARRAYREF)
        vals.append(I32)
    elif op in (ops.ARRAY_SET, ops.ARRAY_FILL, ops.ARRAY_COPY, ops.ARRAY_INIT_DATA,
                ops.ARRAY_INIT_ELEM):
        f = _array_type(self, ins[1]).field
        if not f.mutable:
            raise self.fail(f"array is immutable: array {ins[1]}")
        if op == ops.ARRAY_SET:
            self.pop_vals((HT_INDEX + ins[1], I32, _unpacked(f.storage)))
        elif op == ops.ARRAY_FILL:
            self.pop_vals((HT_INDEX + ins[1], I32, _unpacked(f.storage), I32))
        elif op == ops.ARRAY_COPY:
            src = _array_type(self, ins[2]).field
            if not mv.field_sub(FieldType(src.storage, False), FieldType(f.storage, False)):
                raise self.fail(f"type mismatch: array {ins[2]} cannot be copied into "
                                f"array {ins[1]}")
            self.pop_vals((HT_INDEX + ins[1], I32, HT_INDEX + ins[2], I32, I32))
        else:
            _segment_for(self, op, ins[2], f)
            self.pop_vals((HT_INDEX + ins[1], I32, I32, I32))
    else:  # pragma: no cover - every op of _GC_OPS is handled above
        raise self.fail(f"unknown instruction {ops.op_name(op)}")


def _struct_type(self: _FunctionValidator, x: int) -> StructType:
    t = _comp_type(self, x, StructType, "struct")
    assert isinstance(t, StructType)
    return t


def _array_type(self: _FunctionValidator, x: int) -> ArrayType:
    t = _comp_type(self, x, ArrayType, "array")
    assert isinstance(t, ArrayType)
    return t


def _comp_type(self: _FunctionValidator, x: int, cls: type, what: str) -> object:
    types = self.mv.types
    if x >= len(types):
        raise self.fail(f"unknown type {x}")
    t = types[x]
    if not isinstance(t, cls):
        raise self.fail(f"type mismatch: type {x} is not {'an' if what[0] == 'a' else 'a'} "
                        f"{what} type")
    return t


def _segment_for(self: _FunctionValidator, op: int, x: int, field) -> None:
    """array.new_data/init_data: numeric elements and a data segment; *_elem: an element
    segment whose type matches the elements."""
    if op in (ops.ARRAY_NEW_DATA, ops.ARRAY_INIT_DATA):
        if is_ref(field.storage):
            raise self.fail("type mismatch: array.*_data needs numeric or vector elements")
        self.data(x)
    else:
        et = self.elem(x)
        if not self.mv.sub(et, field.storage):
            raise self.mismatch(field.storage, et)


def _pop_ref(self: _FunctionValidator) -> int:
    t = self.pop()
    if t != UNKNOWN and not is_ref(t):
        raise self.fail(f"type mismatch: expected a reference, got {type_name(t)}")
    return t


def _check_tail_results(self: _FunctionValidator, results: tuple[int, ...]) -> None:
    """A tail call's callee results must match the caller's."""
    mine = self.ftype.results
    if len(results) != len(mine) or not all(
            self.mv.sub(a, b) for a, b in zip(results, mine, strict=True)):
        raise self.fail(f"type mismatch: tail call returns {_types_str(results)}, the "
                        f"function {_types_str(mine)}")


