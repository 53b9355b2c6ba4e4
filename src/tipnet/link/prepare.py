"""Prepared fields: the normalised values the encoder hashes and the blocking rules combine (in-country only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from operator import itemgetter
from typing import Any

from tipnet.link.normalise import (
    NameParts,
    family_tokens,
    fold,
    given_tokens,
    knowledge,
    normalise_place,
    normalise_sex,
    parse_date,
    phonetic,
)

# Columns of the case-data standard that identify a person.
PERSON_COLUMNS = ("given_names", "family_names", "birth_date", "sex", "place_of_birth")

Columns = Mapping[str, Sequence[str | None]]


@dataclass(frozen=True)
class Prepared:
    """Per record: one text per encoded field, and lists of values per blocking part."""

    n: int
    text: dict[str, list[str]]
    parts: dict[str, list[tuple[str, ...]]]


def _col(columns: Columns, name: str, n: int) -> Sequence[str | None]:
    return columns[name] if name in columns else [None] * n


def _one(v: str) -> tuple[str, ...]:
    return (v,) if v else ()


def _joins(words: Sequence[str]) -> set[str]:
    return {x + y for x, y in zip(words, words[1:], strict=False)}


# What each side gives: per-record texts and blocking parts that depend on that field alone (in this order), then
# what the pair of fields combines (see _pair).
_GIVEN_OUT = ("given", "given1", "p:given1", "p:given1_ph", "p:given1_i")
_FAMILY_OUT = ("family", "surname1", "surname2", "p:family", "p:family_ph", "p:family_i")


def _given_side(given: str | None) -> tuple[Any, ...]:
    """Given-name outputs (``_GIVEN_OUT``), then the tokens, the sound keys of those longer than one letter, and
    those plus the keys of neighbouring words joined (see :func:`name_variants`)."""
    g = given_tokens(given)
    codes = frozenset(phonetic(t) for t in g if len(t) > 1)
    given1 = g[0] if g else ""
    return (" ".join(g), given1, _one(given1), _one(phonetic(given1)), _one(given1[:1]),
            frozenset(g), codes, codes | {phonetic(j) for j in _joins(fold(given).split())})


def _family_side(family: str | None) -> tuple[Any, ...]:
    """Family-name outputs (``_FAMILY_OUT``; surname2 is the last, maternal), then the name set the field adds
    (short forms resolved as :attr:`NameParts.tokens` does) and the sound keys as for :func:`_given_side`."""
    f = family_tokens(family)
    nick = knowledge().nicknames
    adds = frozenset(f) | {t for x in f if x in nick for t in nick[x]}
    codes = frozenset(phonetic(t) for t in adds if len(t) > 1)
    return (" ".join(f), f[0] if f else "", f[-1] if len(f) > 1 else "", tuple(dict.fromkeys(f)),
            tuple(dict.fromkeys(phonetic(t) for t in f)), tuple(dict.fromkeys(t[:1] for t in f)),
            adds, codes, codes | {phonetic(j) for j in _joins(fold(family).split()) | _joins(list(f))})


def _pair(g: frozenset[str], gcodes: frozenset[str], gvar: frozenset[str], adds: frozenset[str],
          fcodes: frozenset[str], fvar: frozenset[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The text ``names`` and the parts ``names_ph2`` and ``names_ph`` of one record's pair of name fields: the
    same values as from ``parse_name(given, family)``, its ``tokens`` and ``name_variants``."""
    codes = sorted(gcodes | fcodes)
    return (" ".join(sorted(g | adds)), tuple(f"{a}|{b}" for a, b in combinations(codes, 2)),
            tuple(sorted(gvar | fvar)))


_DATE_OUT = ("dob", "birth_year", "p:birth_year", "p:dob", "p:dob_md", "p:year2")


def _date_side(text: str | None) -> tuple[Any, ...]:
    d = parse_date(text)
    dob = d.isoformat() if d else ""
    return dob, dob[:4], _one(dob[:4]), _one(dob), _one(dob[5:]), year_buckets(dob[:4])


_PLACE_OUT = ("place", "p:place", "p:place_ph")


def _place_side(text: str | None) -> tuple[Any, ...]:
    place = normalise_place(text)
    return place, _one(place), _one(phonetic(place.replace(" ", "")))


_SEX_OUT = ("sex", "p:sex")


def _sex_side(text: str | None) -> tuple[Any, ...]:
    sex = normalise_sex(text)
    return sex, _one(sex)


def _per_record(fn: Callable[[str | None], tuple[Any, ...]], column: Sequence[str | None]) -> list[tuple[Any, ...]]:
    """``fn`` of each record's value, called once per distinct value (values repeat across records)."""
    memo: dict[str | None, tuple[Any, ...]] = {}
    return [memo[v] if v in memo else memo.setdefault(v, fn(v)) for v in column]


def _spread(names: Sequence[str], rows: list[tuple[Any, ...]], into: dict[str, list[Any]]) -> None:
    for j, name in enumerate(names):
        into[name] = list(map(itemgetter(j), rows))


_TEXTS = ("given", "family", "names", "dob", "sex", "place", "birth_year", "given1", "surname1", "surname2")
_PARTS = ("given1", "given1_ph", "family", "family_ph", "birth_year", "dob", "dob_md", "sex", "place", "place_ph",
          "names_ph2", "names_ph", "year2", "given1_i", "family_i")


def prepare_person(columns: Columns) -> Prepared:
    """Each distinct given name, family name, date, sex and place is normalised once (values repeat across
    records); only what combines a record's two name fields is computed per record."""
    n = len(next(iter(columns.values()))) if columns else 0
    gs = _per_record(_given_side, _col(columns, "given_names", n))
    fs = _per_record(_family_side, _col(columns, "family_names", n))
    got: dict[str, list[Any]] = {}
    _spread(_GIVEN_OUT, gs, got)
    _spread(_FAMILY_OUT, fs, got)
    ng, nf = len(_GIVEN_OUT), len(_FAMILY_OUT)
    pairs = [_pair(*g[ng:], *f[nf:]) for g, f in zip(gs, fs, strict=True)]
    _spread(("names", "p:names_ph2", "p:names_ph"), pairs, got)
    for names, fn, col in ((_DATE_OUT, _date_side, "birth_date"), (_PLACE_OUT, _place_side, "place_of_birth"),
                           (_SEX_OUT, _sex_side, "sex")):
        _spread(names, _per_record(fn, _col(columns, col, n)), got)
    return Prepared(n, {k: got[k] for k in _TEXTS}, {k: got["p:" + k] for k in _PARTS})


def name_variants(name: NameParts, given: str | None, family: str | None,
                  tokens: frozenset[str] | None = None) -> set[str]:
    """Every name token of either field (so a record with the fields or the surnames swapped keeps them), and
    each field's neighbouring words joined, particles included ("da Conceição" -> "daconceicao", "García López"
    -> "garcialopez"), so a compound written joined on one side and split on the other shares a token."""
    out = {t for t in (name.tokens if tokens is None else tokens) if len(t) > 1}
    for words in (fold(given).split(), fold(family).split(), list(name.family)):
        out.update(x + y for x, y in zip(words, words[1:], strict=False))
    return out


def year_buckets(year: str) -> tuple[str, ...]:
    """Two-year buckets ``y // 2`` and ``(y + 1) // 2``: birth years at most one apart share one, further apart
    share none."""
    if not year.isdigit():
        return ()
    y = int(year)
    return tuple(dict.fromkeys((str(y // 2), str((y + 1) // 2))))


def prepare_raw(columns: Columns, fields: Sequence[str]) -> Prepared:
    """Each field is a column, folded; blocking parts are the folded values and their sound keys (``<col>_ph``)."""
    n = len(next(iter(columns.values()))) if columns else 0
    text = {f: [fold(v) for v in _col(columns, f, n)] for f in fields}
    parts: dict[str, list[tuple[str, ...]]] = {}
    for f, values in text.items():
        parts[f] = [(v,) if v else () for v in values]
        parts[f + "_ph"] = [(phonetic(v.replace(" ", "")),) if v else () for v in values]
        parts[f + "_p3"] = [(v[:3],) if v else () for v in values]
    return Prepared(n, text, parts)
