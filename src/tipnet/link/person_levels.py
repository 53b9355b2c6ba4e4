"""Comparison levels for persons over one-name segments: the first given name and each surname, hashed under one
key (a key group) so the hub can compare a segment of one record with another segment of the other record.

Surnames are compared in both orders (paternal-maternal and swapped; the better order counts), a surname dropped
on one side is told apart from a different second surname, and a given name written among the surnames (fields
swapped) has its own level. Levels are partial agreements of Dice on the encodings (0.9 / 0.8 / 0.6 by default,
scaled for the bit flips); a missing value is level -1, which the model treats as neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I8 = npt.NDArray[np.int8]


def cross(x: str, y: str) -> str:
    """The name under which the Dice of segment ``x`` of the first record with ``y`` of the second is kept."""
    return f"{x}~{y}"


def swapped(dice: dict[str, F32], given: str, surname: str) -> F32:
    """How well the first given name of each record agrees with the other's first surname (both ways: the given
    and family fields swapped on one side); NaN when a value is missing."""
    return np.minimum(dice[cross(given, surname)], dice[cross(surname, given)])


def _levels(conds: list[npt.NDArray[np.bool_]], missing: npt.NDArray[np.bool_]) -> I8:
    g = np.select(conds, np.arange(len(conds), dtype=np.int8), default=np.int8(len(conds))).astype(np.int8)
    g[missing] = -1
    return g


@dataclass(frozen=True)
class GivenLevels:
    """First given name (``given1``) and all given names (``given``); a given name found as the other record's first
    surname is a swap of fields, not a disagreement."""

    name: str = "given"
    given: str = "given"
    first: str = "given1"
    surname: str = "surname1"
    high: float = 0.9
    mid: float = 0.8
    low: float = 0.6
    n_levels: int = 6

    @property
    def cross_pairs(self) -> tuple[tuple[str, str], ...]:
        return ((self.first, self.surname), (self.surname, self.first))

    def gamma(self, dice: dict[str, F32]) -> I8:
        d1, dg = dice[self.first], dice[self.given]
        swap = swapped(dice, self.first, self.surname)
        h, m, lo = self.high, self.mid, self.low
        conds = [
            (d1 >= h) & (dg >= h),  # 0 all given names agree
            d1 >= h,  # 1 the first agrees (a second given name dropped or different)
            (d1 >= m) | (dg >= h),  # 2 a small difference (typo), or the names in another order
            swap >= h,  # 3 the given name written as a surname (fields swapped)
            (d1 >= lo) | (dg >= m),  # 4 similar
        ]
        return _levels(conds, np.isnan(d1))

    def describe(self) -> list[str]:
        return ["all given names agree", "first given name agrees", "given names close",
                "given name found as surname (fields swapped)", "given names similar", "else"]


@dataclass(frozen=True)
class SurnameLevels:
    """Both surnames in the better of the two orders; the given and family fields swapped (each record's first
    surname is the other's given name, and all name tokens agree as a set); one surname shared (the other dropped,
    or different); the joined family names (compounds written joined or split)."""

    name: str = "surname"
    first: str = "surname1"
    second: str = "surname2"
    family: str = "family"
    given: str = "given1"
    names: str = "names"
    high: float = 0.9
    mid: float = 0.8
    low: float = 0.6
    n_levels: int = 8
    exact_levels: tuple[int, ...] = (0, 3)  # both surnames agree; the only surname of a side agrees

    @property
    def cross_pairs(self) -> tuple[tuple[str, str], ...]:
        return ((self.first, self.second), (self.second, self.first), (self.given, self.first),
                (self.first, self.given))

    def gamma(self, dice: dict[str, F32]) -> I8:
        s1, s2, df = dice[self.first], dice[self.second], dice[self.family]
        x12, x21 = dice[cross(self.first, self.second)], dice[cross(self.second, self.first)]
        with np.errstate(invalid="ignore"):
            both = np.fmax(np.minimum(s1, s2), np.minimum(x12, x21))  # NaN when a side has one surname
        one = np.fmax(np.fmax(s1, s2), np.fmax(x12, x21))
        single = np.isnan(s2)  # a side has no second surname: a dropped surname, not a different one
        h, m, lo = self.high, self.mid, self.low
        conds = [
            both >= h,  # 0 both surnames agree, in either order
            both >= m,  # 1 both close
            (swapped(dice, self.given, self.first) >= m) & (dice[self.names] >= h),  # 2 fields swapped on a side
            (one >= h) & single,  # 3 the one surname of a side agrees (the other dropped)
            df >= h,  # 4 the family names agree as written (a compound joined or split)
            one >= h,  # 5 one surname agrees, the other differs
            (one >= m) | (df >= lo),  # 6 similar
        ]
        return _levels(conds, np.isnan(s1))  # (a record without a surname: missing, even when swapped)

    def describe(self) -> list[str]:
        return ["both surnames agree (either order)", "both surnames close", "given and family fields swapped",
                "the only surname of a side agrees",
                "family names agree as written", "one surname agrees, the other differs", "similar", "else"]
