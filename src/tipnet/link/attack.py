"""Frequency attacks a curious hub could run on CLK segments, to measure what hardening buys.

The hub knows the public frequency of surnames (the most frequent one covers a few per cent of a population) and
the schema (which segment holds family names), but not the keys. Two attacks on one segment:

- ``exact_pattern``: group records by identical bit patterns; the largest group is labelled with the most frequent
  public surname (frequency alignment, Kuzu et al. 2011). Unhardened encodings of one name are identical, so the
  largest group is exactly the people with the most frequent surname.
- ``neighbourhood``: group records whose segments are near-identical (Dice above a threshold) around the densest
  probe record, and label that group with the most frequent surname.

Random bit flips (``blip``) defeat the first: equal names stop giving equal patterns. They cannot defeat the
second, because it is the linkage itself: encodings that let the hub match a name let it group the people who
share it. What stands between that group and a name is the frequency table; the tests and BENCHMARKS.md record
what each setting does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tipnet.link.clk import EncodedSet


@dataclass(frozen=True)
class Cohort:
    records: npt.NDArray[np.int64]  # indices of the records the attack labels with the guessed name


def segment_bits(es: EncodedSet, segment: str) -> npt.NDArray[np.bool_]:
    """(N, bits) boolean matrix of one segment."""
    start, words = next((s, w) for name, s, w in es.segments if name == segment)
    words_arr = np.ascontiguousarray(es.clks[:, start:start + words]).astype(">u8")
    return np.unpackbits(words_arr.view(np.uint8), axis=1).astype(np.bool_)


def exact_pattern(es: EncodedSet, segment: str) -> Cohort:
    bits = segment_bits(es, segment)
    present = bits.any(axis=1)
    packed = np.packbits(bits, axis=1)
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    counts = counts.copy()
    empty_groups = np.unique(inverse[~present])
    counts[empty_groups] = 0  # missing values are not a name
    top = int(np.argmax(counts))
    return Cohort(np.flatnonzero(inverse == top).astype(np.int64))


def neighbourhood(es: EncodedSet, segment: str, threshold: float = 0.9, probes: int = 400, seed: int = 0) -> Cohort:
    """Near-duplicate grouping: the probe record with the most neighbours (segment Dice >= threshold, scaled for
    the schema's bit flips) and those neighbours. This is linkage turned against the data: whatever lets the hub
    match a name lets it group the people who share it."""
    from tipnet.link.compare import blip_factor, dice_all

    start, words = next((s, w) for name, s, w in es.segments if name == segment)
    seg = np.ascontiguousarray(es.clks[:, start:start + words])
    present = np.flatnonzero(np.bitwise_count(seg).sum(axis=1) > 0)
    rng = np.random.default_rng(seed)
    probe = rng.choice(present, min(probes, len(present)), replace=False)
    t = threshold * blip_factor(float(es.schema.get("x-tipnet", {}).get("blip", 0.0)))
    near = dice_all(seg[probe], seg[present]) >= t
    best = int(np.argmax(near.sum(axis=1)))
    return Cohort(present[near[best]].astype(np.int64))


@dataclass(frozen=True)
class AttackOutcome:
    guess: str
    cohort: int  # records labelled with the guess
    correct: int  # of those, records that really carry it
    carriers: int  # records that carry it in the data

    @property
    def precision(self) -> float:
        return self.correct / self.cohort if self.cohort else 0.0

    @property
    def coverage(self) -> float:
        return self.correct / self.carriers if self.carriers else 0.0

    @property
    def succeeded(self) -> bool:
        """The attack recovered the name for a real group: at least 10 records, 90% of them right."""
        return self.cohort >= 10 and self.precision >= 0.9

    def to_dict(self) -> dict[str, object]:
        return {"guess": self.guess, "cohort": self.cohort, "correct": self.correct, "carriers": self.carriers,
                "precision": round(self.precision, 3), "coverage": round(self.coverage, 3),
                "succeeded": self.succeeded}


def score(cohort: Cohort, truth: list[str], guess: str) -> AttackOutcome:
    """How well the cohort matches the records whose true value is ``guess``."""
    arr = np.asarray(truth)
    hits = int((arr[cohort.records] == guess).sum()) if len(cohort.records) else 0
    return AttackOutcome(guess, len(cohort.records), hits, int((arr == guess).sum()))
