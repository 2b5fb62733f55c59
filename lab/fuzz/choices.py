"""Where the generators get their decisions from: a seeded `random.Random` for long campaigns
(fast, reproducible from the seed) or a hypothesis `data` object in tests (so failures shrink).
The generators only ever ask for an integer in a range."""

from __future__ import annotations

import random
from typing import Any, Protocol, Sequence, TypeVar

T = TypeVar("T")


class Choices(Protocol):
    def integer(self, low: int, high: int) -> int:
        """A value in [low, high], both ends included."""


class RandomChoices:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class HypothesisChoices:
    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st
        self._data = data
        self._integers = st.integers

    def integer(self, low: int, high: int) -> int:
        return self._data.draw(self._integers(low, high))


def pick(choices: Choices, items: Sequence[T]) -> T:
    return items[choices.integer(0, len(items) - 1)]


def chance(choices: Choices, percent: int) -> bool:
    return choices.integer(0, 99) < percent


def sized_bytes(choices: Choices, max_length: int) -> bytes:
    return bytes(choices.integer(0, 255) for _ in range(choices.integer(0, max_length)))
