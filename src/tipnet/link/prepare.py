"""Prepared fields: the normalised values the encoder hashes and the blocking rules combine (in-country only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from tipnet.link.normalise import NameParts, fold, normalise_place, normalise_sex, parse_date, parse_name, phonetic

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


def prepare_person(columns: Columns) -> Prepared:
    n = len(next(iter(columns.values()))) if columns else 0
    given_c, family_c = _col(columns, "given_names", n), _col(columns, "family_names", n)
    dob_c, sex_c, place_c = _col(columns, "birth_date", n), _col(columns, "sex", n), _col(columns, "place_of_birth", n)
    text: dict[str, list[str]] = {k: [] for k in ("given", "family", "names", "dob", "sex", "place", "birth_year",
                                                 "given1", "surname1", "surname2")}
    parts: dict[str, list[tuple[str, ...]]] = {k: [] for k in (
        "given1", "given1_ph", "family", "family_ph", "birth_year", "dob", "dob_md", "sex", "place", "place_ph",
        "names_ph2", "names_ph", "year2", "given1_i", "family_i")}
    for i in range(n):
        name = parse_name(given_c[i], family_c[i])
        d = parse_date(dob_c[i])
        sex = normalise_sex(sex_c[i])
        place = normalise_place(place_c[i])
        dob = d.isoformat() if d else ""
        text["given"].append(" ".join(name.given))
        text["family"].append(" ".join(name.family))
        text["names"].append(name.token_key)
        text["dob"].append(dob)
        text["sex"].append(sex)
        text["place"].append(place)
        text["birth_year"].append(dob[:4])
        text["given1"].append(name.given1)
        text["surname1"].append(name.surname1)
        text["surname2"].append(name.family[-1] if len(name.family) > 1 else "")  # the last: maternal
        one = lambda v: (v,) if v else ()  # noqa: E731
        parts["given1"].append(one(name.given1))
        parts["given1_ph"].append(one(phonetic(name.given1)))
        parts["family"].append(tuple(dict.fromkeys(name.family)))
        parts["family_ph"].append(tuple(dict.fromkeys(phonetic(t) for t in name.family)))
        parts["birth_year"].append(one(dob[:4]))
        parts["dob"].append(one(dob))
        parts["dob_md"].append(one(dob[5:]))
        parts["sex"].append(one(sex))
        parts["place"].append(one(place))
        parts["place_ph"].append(one(phonetic(place.replace(" ", ""))))
        codes = sorted({phonetic(t) for t in name.tokens if len(t) > 1})
        parts["names_ph2"].append(tuple(f"{a}|{b}" for a, b in combinations(codes, 2)))
        parts["names_ph"].append(tuple(sorted({phonetic(t) for t in name_variants(name, given_c[i], family_c[i])})))
        parts["year2"].append(year_buckets(dob[:4]))
        parts["given1_i"].append(one(name.given1[:1]))
        parts["family_i"].append(tuple(dict.fromkeys(t[:1] for t in name.family)))
    return Prepared(n, text, parts)


def name_variants(name: NameParts, given: str | None, family: str | None) -> set[str]:
    """Every name token of either field (so a record with the fields or the surnames swapped keeps them), and
    each field's neighbouring words joined, particles included ("da Conceição" -> "daconceicao", "García López"
    -> "garcialopez"), so a compound written joined on one side and split on the other shares a token."""
    out = {t for t in name.tokens if len(t) > 1}
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
