"""Base classes for the engine's plain record classes (module.py, api.py, wasi_host.py, wasi/).

They stand in for dataclasses, whose import (inspect, ast, dis, re, enum, ...) and per-class code
generation cost ~10 ms of every cold start of the engine. A record class writes its own
`__init__` and lists its fields once, in `_fields` (usually also its `__slots__`):

    class Limits(FrozenRecord):
        __slots__ = _fields = ("min", "max")

and gets what `@dataclass` (or `@dataclass(frozen=True)`) would generate from those fields:
field-wise `__eq__` and `__repr__`, and for a FrozenRecord field-wise `__hash__` and no
assignment after `__init__`.
"""

from __future__ import annotations


class Record:
    """Field-wise `__eq__` (same class only) and `__repr__`; unhashable, like a dataclass with
    eq=True and frozen=False."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record) and other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __repr__(self) -> str:
        return self._repr(self._fields)

    def _repr(self, names: tuple[str, ...]) -> str:
        shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
        return f"{self.__class__.__qualname__}({shown})"


class FrozenRecord(Record):
    """A Record that is hashable and read-only, like a frozen dataclass: `__init__` sets the
    fields with `object.__setattr__`, any later assignment raises AttributeError."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {self.__class__.__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen {self.__class__.__name__}")

    def __reduce__(self) -> tuple:
        # copy/deepcopy/pickle rebuild through __init__ (restoring slots would assign to them).
        return (self.__class__, self._values())
