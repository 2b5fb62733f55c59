"""Wasm 3.0 types: canonical (iso-recursive) defined types and subtyping.

Value types are ints (module.py): numbers, and references as heap type | NON_NULL, where a
concrete heap type HT_INDEX + i names the module's type i. Those ints mean something only
inside their module; this module gives each defined type a process-wide canonical object, so
that types compare by identity across modules:

  * a *plain* type (a function type alone in its recursion group, final, without supertypes
    and without concrete references: every Wasm 2.0 type) is the interned FuncType itself
    (runtime.canonical_type), exactly as before GC;
  * any other type is a `DefType`, interned per recursion group: the group's key spells each
    member structurally, a reference into the group as its relative position and one out of
    it as that type's canonical object (iso-recursive equivalence: two groups are the same
    when their keys are equal).

Subtyping (`val_sub`, `heap_sub`) works on module ints with the module's canonical list and
falls back to the canonical objects, so the 2.0 fast path (equal ints) stays a comparison.
A DefType's `chain` is itself and all its declared supertypes: `b in a.chain` is a <: b.
"""

from __future__ import annotations

from . import module as m

UNKNOWN = 0  # the validator's "any type" in unreachable code (bottom)

_N = m.NON_NULL
_ABSTRACT_SUPERS: dict[int, frozenset[int]] = {
    m.HT_ANY: frozenset({m.HT_ANY}),
    m.HT_EQ: frozenset({m.HT_EQ, m.HT_ANY}),
    m.HT_I31: frozenset({m.HT_I31, m.HT_EQ, m.HT_ANY}),
    m.HT_STRUCT: frozenset({m.HT_STRUCT, m.HT_EQ, m.HT_ANY}),
    m.HT_ARRAY: frozenset({m.HT_ARRAY, m.HT_EQ, m.HT_ANY}),
    m.HT_NONE: frozenset({m.HT_NONE, m.HT_I31, m.HT_STRUCT, m.HT_ARRAY, m.HT_EQ, m.HT_ANY}),
    m.HT_FUNC: frozenset({m.HT_FUNC}),
    m.HT_NOFUNC: frozenset({m.HT_NOFUNC, m.HT_FUNC}),
    m.HT_EXTERN: frozenset({m.HT_EXTERN}),
    m.HT_NOEXTERN: frozenset({m.HT_NOEXTERN, m.HT_EXTERN}),
    m.HT_EXN: frozenset({m.HT_EXN}),
    m.HT_NOEXN: frozenset({m.HT_NOEXN, m.HT_EXN}),
}
# The abstract supertypes of a concrete type, by its kind.
_KIND_SUPERS = {"func": frozenset({m.HT_FUNC}),
                "struct": frozenset({m.HT_STRUCT, m.HT_EQ, m.HT_ANY}),
                "array": frozenset({m.HT_ARRAY, m.HT_EQ, m.HT_ANY})}
_KIND_BOTTOM = {"func": m.HT_NOFUNC, "struct": m.HT_NONE, "array": m.HT_NONE}
# Top heap type of each hierarchy, and the bottom.
TOP = {m.HT_ANY: m.HT_ANY, m.HT_EQ: m.HT_ANY, m.HT_I31: m.HT_ANY, m.HT_STRUCT: m.HT_ANY,
       m.HT_ARRAY: m.HT_ANY, m.HT_NONE: m.HT_ANY, m.HT_FUNC: m.HT_FUNC, m.HT_NOFUNC: m.HT_FUNC,
       m.HT_EXTERN: m.HT_EXTERN, m.HT_NOEXTERN: m.HT_EXTERN, m.HT_EXN: m.HT_EXN,
       m.HT_NOEXN: m.HT_EXN}
BOTTOM = {m.HT_ANY: m.HT_NONE, m.HT_FUNC: m.HT_NOFUNC, m.HT_EXTERN: m.HT_NOEXTERN,
          m.HT_EXN: m.HT_NOEXN}


class DefType:
    """A canonical defined type that is not plain (see the module docstring). `params` and
    `results` (function types) are those of the first module that defined it: good for
    arity and numbers, while concrete references in them are that module's indices."""

    __slots__ = ("kind", "comp", "final", "chain", "params", "results", "__weakref__")

    def __init__(self, kind: str, comp: object, final: bool) -> None:
        self.kind = kind
        self.comp = comp
        self.final = final
        self.chain: tuple = (self,)
        self.params: tuple = getattr(comp, "params", ())
        self.results: tuple = getattr(comp, "results", ())

    def __repr__(self) -> str:
        return f"<DefType {self.kind} {self.comp}>"


Canon = m.FuncType | DefType
_GROUPS: dict[tuple, list[DefType]] = {}


def kind_of(comp: object) -> str:
    if isinstance(comp, m.FuncType):
        return "func"
    if isinstance(comp, m.StructType):
        return "struct"
    return "array"


def canon_kind(c: Canon) -> str:
    return "func" if isinstance(c, m.FuncType) else c.kind


def canon_chain(c: Canon) -> tuple:
    return (c,) if isinstance(c, m.FuncType) else c.chain


def _is_concrete(t: int) -> bool:
    return (t & ~_N) >= m.HT_INDEX


def _comp_types(comp: object) -> tuple[int, ...]:
    if isinstance(comp, m.FuncType):
        return comp.params + comp.results
    if isinstance(comp, m.StructType):
        return tuple(f.storage for f in comp.fields)
    return (comp.field.storage,)  # type: ignore[attr-defined]


def is_plain(mod: m.Module, i: int) -> bool:
    comp = mod.types[i]
    if not isinstance(comp, m.FuncType):
        return False
    if mod.subtypes:
        st = mod.subtypes[i]
        if not st.final or st.supers or st.group_size != 1:
            return False
    return not any(_is_concrete(t) for t in comp.params + comp.results)


def canon_types(mod: m.Module) -> list:
    """The canonical object of each type of the module (cached on the module). The module's
    type indices must be valid (see validate.check_types)."""
    canon = mod.__dict__.get("_canon_types")
    if canon is None:
        canon = []
        i = 0
        n = len(mod.types)
        while i < n:
            size = mod.subtypes[i].group_size if mod.subtypes else 1
            canon.extend(_canon_group(mod, i, size, canon))
            i += size
        mod.__dict__["_canon_types"] = canon
    return canon


def _canon_group(mod: m.Module, start: int, size: int, canon: list) -> list:
    from .runtime import canonical_type
    if size == 1 and is_plain(mod, start):
        return [canonical_type(mod.types[start])]
    end = start + size

    def vt(t: int):
        h = t & ~_N
        if h < m.HT_INDEX:
            return t
        idx = h - m.HT_INDEX
        if start <= idx < end:
            return ("rec", idx - start, t & _N)
        return (canon[idx], t & _N)

    def sup(x: int):
        return ("rec", x - start) if start <= x < end else canon[x]

    keys = []
    for i in range(start, end):
        comp = mod.types[i]
        st = mod.subtypes[i] if mod.subtypes else m.SubType(True, (), i, 1)
        if isinstance(comp, m.FuncType):
            ck: tuple = ("func", tuple(vt(t) for t in comp.params),
                         tuple(vt(t) for t in comp.results))
        elif isinstance(comp, m.StructType):
            ck = ("struct", tuple((vt(f.storage), f.mutable) for f in comp.fields))
        else:
            ck = ("array", vt(comp.field.storage), comp.field.mutable)
        keys.append((st.final, tuple(sup(x) for x in st.supers), ck))
    key = tuple(keys)
    group = _GROUPS.get(key)
    if group is None:
        group = [DefType(kind_of(mod.types[i]), mod.types[i], k[0])
                 for i, k in zip(range(start, end), keys, strict=True)]
        for d, k in zip(group, keys, strict=True):
            chain: tuple = (d,)
            for s in k[1]:
                sc = group[s[1]] if isinstance(s, tuple) else s
                chain += canon_chain(sc)
            d.chain = chain
        _GROUPS[key] = group
    return group


# ---------------------------------------------------------------------------------------------
# Subtyping

def heap_sub_canon(a, b) -> bool:
    """a <: b for heap types given as abstract codes or canonical objects."""
    if a is b:
        return True
    if isinstance(a, int):
        if isinstance(b, int):
            return b in _ABSTRACT_SUPERS.get(a, ())
        return a == _KIND_BOTTOM[canon_kind(b)]
    if isinstance(b, int):
        return b in _KIND_SUPERS[canon_kind(a)]
    return b in canon_chain(a)


def canon_heap(canon: list, h: int):
    return canon[h - m.HT_INDEX] if h >= m.HT_INDEX else h


def val_sub(canon: list, a: int, b: int) -> bool:
    """a <: b for module value types (ints of one module whose canonical types are `canon`)."""
    if a == b or a == UNKNOWN or b == UNKNOWN:
        return True
    if not (m.is_ref(a) and m.is_ref(b)):
        return False
    if b & _N and not a & _N:
        return False
    return heap_sub_canon(canon_heap(canon, a & ~_N), canon_heap(canon, b & ~_N))


def canon_val(canon: list, t: int):
    """A module value type as a module-independent value: the int itself unless concrete,
    else (canonical object, NON_NULL bit)."""
    h = t & ~_N
    if h < m.HT_INDEX:
        return t
    return (canon[h - m.HT_INDEX], t & _N)


def canon_val_sub(a, b) -> bool:
    """a <: b for canon_val results (import matching across modules)."""
    if a == b:
        return True
    an, bn = (a[1] if isinstance(a, tuple) else a & _N), (b[1] if isinstance(b, tuple) else b & _N)
    ah = a[0] if isinstance(a, tuple) else a & ~_N
    bh = b[0] if isinstance(b, tuple) else b & ~_N
    if isinstance(ah, int) and not m.is_ref(ah) or isinstance(bh, int) and not m.is_ref(bh):
        return False
    if bn and not an:
        return False
    return heap_sub_canon(ah, bh)


def top_of(canon: list, t: int) -> int:
    """The top heap type of a reference type's hierarchy."""
    h = t & ~_N
    if h >= m.HT_INDEX:
        k = canon_kind(canon[h - m.HT_INDEX])
        return m.HT_FUNC if k == "func" else m.HT_ANY
    return TOP.get(h, h)


def type_name(t: int) -> str:
    if t == UNKNOWN:
        return "_"
    name = m.VALTYPE_NAMES.get(t)
    if name is not None:
        return name
    h = t & ~_N
    hn = f"{h - m.HT_INDEX}" if h >= m.HT_INDEX else m.VALTYPE_NAMES.get(h, hex(h))[:-3]
    return f"(ref {'' if t & _N else 'null '}{hn})"


def types_str(ts) -> str:
    return "[" + " ".join(type_name(t) for t in ts) + "]"
