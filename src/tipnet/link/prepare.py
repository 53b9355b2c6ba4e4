"""Prepared fields: the normalised values the encoder hashes and the blocking rules combine (in-country only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

from tipnet.link.normalise import NameParts, fold, normalise_place, normalise_sex, parse_date, parse_name, phonetic

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


def _name_fields(given: str | None, family: str | None) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The texts (``_NAME_TEXT``) and blocking parts (``_NAME_PARTS``) one pair of name fields gives."""
    name = parse_name(given, family)
    tokens = name.tokens
    codes = sorted({phonetic(t) for t in tokens if len(t) > 1})
    text = (" ".join(name.given), " ".join(name.family), " ".join(sorted(tokens)), name.given1, name.surname1,
            name.family[-1] if len(name.family) > 1 else "")  # surname2: the last (maternal)
    parts = (_one(name.given1), _one(phonetic(name.given1)), tuple(dict.fromkeys(name.family)),
             tuple(dict.fromkeys(phonetic(t) for t in name.family)),
             tuple(f"{a}|{b}" for a, b in combinations(codes, 2)),
             tuple(sorted({phonetic(t) for t in name_variants(name, given, family, tokens)})),
             _one(name.given1[:1]), tuple(dict.fromkeys(t[:1] for t in name.family)))
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
    names = _each(_name_fields, given_c, family_c)
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


def _each(fn: Callable[..., T], *columns: Sequence[str | None]) -> list[T]:
    """``fn`` of each row's values, called once per distinct combination within this call."""
    memo: dict[tuple[str | None, ...], T] = {}
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
