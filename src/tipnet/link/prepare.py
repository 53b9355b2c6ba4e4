"""Prepared fields: the normalised values the encoder hashes and the blocking rules combine (in-country only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeVar

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
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """Per record: one text per encoded field, and lists of values per blocking part."""

    n: int
    text: dict[str, list[str]]
    parts: dict[str, list[tuple[str, ...]]]


def _col(columns: Columns, name: str, n: int) -> Sequence[str | None]:
    return columns[name] if name in columns else [None] * n


_NAME_TEXT = ("given", "family", "names", "given1", "surname1", "surname2")
_NAME_PARTS = ("given1", "given1_ph", "family", "family_ph", "names_ph2", "names_ph", "given1_i", "family_i")
_DATE_TEXT = ("dob", "birth_year")
_DATE_PARTS = ("birth_year", "dob", "dob_md", "year2")


def _one(v: str) -> tuple[str, ...]:
    return (v,) if v else ()


def _joins(words: Sequence[str]) -> set[str]:
    return {x + y for x, y in zip(words, words[1:], strict=False)}


def _given_side(given: str | None) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """Given-name tokens, the sound keys of those longer than one letter, and those plus the keys of neighbouring
    words joined (see :func:`name_variants`)."""
    g = given_tokens(given)
    codes = frozenset(phonetic(t) for t in g if len(t) > 1)
    return g, codes, codes | {phonetic(j) for j in _joins(fold(given).split())}


def _family_side(family: str | None) -> tuple[tuple[str, ...], frozenset[str], frozenset[str], frozenset[str]]:
    """Family-name tokens, the name set they add (short forms resolved as :attr:`NameParts.tokens` does), and the
    sound keys as for :func:`_given_side`."""
    f = family_tokens(family)
    nick = knowledge().nicknames
    adds = frozenset(f) | {t for x in f if x in nick for t in nick[x]}
    codes = frozenset(phonetic(t) for t in adds if len(t) > 1)
    return f, adds, codes, codes | {phonetic(j) for j in _joins(fold(family).split()) | _joins(list(f))}


def _name_fields(gs: tuple[tuple[str, ...], frozenset[str], frozenset[str]],
                 fs: tuple[tuple[str, ...], frozenset[str], frozenset[str], frozenset[str]],
                 ) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The texts (``_NAME_TEXT``) and blocking parts (``_NAME_PARTS``) of one pair of name fields, from each
    field's side: the same values as from ``parse_name(given, family)``, its ``tokens`` and ``name_variants``."""
    (g, gcodes, gvar), (f, adds, fcodes, fvar) = gs, fs
    given1 = g[0] if g else ""
    tokens = frozenset(g) | adds
    codes = sorted(gcodes | fcodes)
    text = (" ".join(g), " ".join(f), " ".join(sorted(tokens)), given1, f[0] if f else "",
            f[-1] if len(f) > 1 else "")  # surname2: the last (maternal)
    parts = (_one(given1), _one(phonetic(given1)), tuple(dict.fromkeys(f)),
             tuple(dict.fromkeys(phonetic(t) for t in f)), tuple(f"{a}|{b}" for a, b in combinations(codes, 2)),
             tuple(sorted(gvar | fvar)),
             _one(given1[:1]), tuple(dict.fromkeys(t[:1] for t in f)))
    return text, parts


def _date_fields(text: str | None) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    d = parse_date(text)
    dob = d.isoformat() if d else ""
    return (dob, dob[:4]), (_one(dob[:4]), _one(dob), _one(dob[5:]), year_buckets(dob[:4]))


def _place_fields(text: str | None) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    place = normalise_place(text)
    return place, _one(place), _one(phonetic(place.replace(" ", "")))


def prepare_person(columns: Columns) -> Prepared:
    """Each distinct name pair, date, sex and place is normalised once (values repeat across records)."""
    n = len(next(iter(columns.values()))) if columns else 0
    given_c, family_c = _col(columns, "given_names", n), _col(columns, "family_names", n)
    dob_c, sex_c, place_c = _col(columns, "birth_date", n), _col(columns, "sex", n), _col(columns, "place_of_birth", n)
    names = list(map(_name_fields, _each(_given_side, given_c), _each(_family_side, family_c)))
    dates = _each(_date_fields, dob_c)
    places = _each(_place_fields, place_c)
    sexes = [normalise_sex(v) for v in sex_c]
    cols = {k: [r[0][j] for r in names] for j, k in enumerate(_NAME_TEXT)}
    cols |= {k: [r[0][j] for r in dates] for j, k in enumerate(_DATE_TEXT)}
    cols["sex"] = sexes
    cols["place"] = [r[0] for r in places]
    text = {k: cols[k] for k in ("given", "family", "names", "dob", "sex", "place", "birth_year", "given1",
                                 "surname1", "surname2")}
    got = {k: [r[1][j] for r in names] for j, k in enumerate(_NAME_PARTS)}
    got |= {k: [r[1][j] for r in dates] for j, k in enumerate(_DATE_PARTS)}
    got["sex"] = [_one(v) for v in sexes]
    got["place"] = [r[1] for r in places]
    got["place_ph"] = [r[2] for r in places]
    parts = {k: got[k] for k in ("given1", "given1_ph", "family", "family_ph", "birth_year", "dob", "dob_md", "sex",
                                 "place", "place_ph", "names_ph2", "names_ph", "year2", "given1_i", "family_i")}
    return Prepared(n, text, parts)


def _each(fn: Callable[..., T], *columns: Sequence[Any]) -> list[T]:
    """``fn`` of each row's values, called once per distinct combination within this call."""
    memo: dict[tuple[Any, ...], T] = {}
    out: list[T] = []
    for args in zip(*columns, strict=True):
        got = memo.get(args)
        if got is None:
            got = memo[args] = fn(*args)
        out.append(got)
    return out


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
