"""The victim cube against a plain-Python count, over random record sets, dimensions and filters.

Records go through the same analysis views as the store's (`load_into`), so who counts as a victim, what a missing
value becomes and how ';'-joined forms are read are tested too. The expected figures never use the cube's SQL: the
count is a loop over the records, and the form groups are read from the vocabulary's data file.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from itertools import combinations
from typing import Any

import pytest
import yaml
from arrow_source import ArrowSource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipnet.stats.cube import CubeSpec
from tipnet.stats.figures import victims

ALL = "_all"
PLAIN = ("country", "year", "sex", "age_group", "age_band", "citizenship", "source_type", "destination")
MULTI = ("form", "form_group")
DIMS = PLAIN + MULTI

_VOCAB = yaml.safe_load(resources.files("tipnet.standard").joinpath("data", "vocab", "exploitation_form.yaml")
                        .read_text(encoding="utf-8"))
GROUP = {v["code"]: v["glotip"] for v in _VOCAB["values"]}
FORMS = ("sexual_exploitation", "forced_labour", "child_labour", "forced_marriage", "organ_removal")


# --- the independent count ------------------------------------------------------------------------------------

def _is_victim(p: Mapping[str, Any]) -> bool:
    return (p.get("role") or "victim") == "victim" and (p.get("victim_status") or "actual") != "not_a_victim"


def _forms(p: Mapping[str, Any]) -> set[str]:
    codes = {c.strip() for c in (p.get("forms_of_exploitation") or "").split(";")} - {""}
    return codes or {"not_recorded"}


def _plain(p: Mapping[str, Any], dim: str) -> str:
    minor = p.get("is_minor")
    citizenship = (p.get("citizenship") or "").split(";")[0]
    value = {
        "country": p.get("reporting_country"),
        "year": p.get("identification_year"),
        "sex": p.get("sex"),
        "age_group": None if minor is None else ("minor" if minor else "adult"),
        "age_band": p.get("age_band"),
        "citizenship": citizenship or None,
        "source_type": p.get("source_type"),
        "destination": p.get("exploitation_country") or p.get("reporting_country"),
    }[dim]
    return "unknown" if value is None else str(value)


def _kept_forms(p: Mapping[str, Any], filters: Mapping[str, Any]) -> set[str]:
    """The victim's forms that pass the form filters."""
    return {f for f in _forms(p)
            if filters.get("form", f) == f and filters.get("form_group", GROUP.get(f, "not_recorded"))
            == GROUP.get(f, "not_recorded")}


def _selected(persons: list[Mapping[str, Any]], filters: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], set[str]]]:
    out = []
    for p in persons:
        if not _is_victim(p) or any(_plain(p, d) != str(v) for d, v in filters.items() if d in PLAIN):
            continue
        kept = _kept_forms(p, filters)
        if kept:
            out.append((p, kept))
    return out


def _value_of(p: Mapping[str, Any], form: str | None, dim: str) -> str:
    if dim == "form":
        return str(form)
    if dim == "form_group":
        return GROUP.get(str(form), "not_recorded")
    return _plain(p, dim)


def expected_rows(persons: list[Mapping[str, Any]], dims: tuple[str, ...], filters: Mapping[str, Any],
                  margins: bool) -> dict[tuple[str, ...], int]:
    """key -> distinct victims, for every grouping set: every subset of the unfiltered dimensions, each with the
    filtered ones (whose margin would be the same cell again)."""
    chosen = _selected(persons, filters)
    free = [d for d in dims if d not in filters]
    subsets = [set(s) for k in range(len(free) + 1) for s in combinations(free, k)] if margins else [set(free)]
    out: dict[tuple[str, ...], int] = {}
    for subset in subsets:
        bound = [d for d in dims if d in subset or d in filters]
        counts: dict[tuple[str, ...], set[int]] = {}
        for i, (p, kept) in enumerate(chosen):
            # a victim counts once per kept form, the form and its group read together (never crossed)
            per_form = sorted(kept) if any(d in bound for d in MULTI) else [None]
            for f in per_form:
                key = tuple(ALL if d not in bound else _value_of(p, f, d) for d in dims)
                counts.setdefault(key, set()).add(i)
        out.update({k: len(ids) for k, ids in counts.items()})
        if not bound and not chosen:
            out[tuple(ALL for _ in dims)] = 0
    return out


# --- random records -------------------------------------------------------------------------------------------

def _form_field() -> st.SearchStrategy[str | None]:
    listed = st.lists(st.sampled_from((*FORMS, "", " forced_labour")), max_size=4).map(";".join)
    return st.one_of(st.none(), listed)


person = st.fixed_dictionaries({
    "role": st.sampled_from(("victim", "victim", "victim", None, "perpetrator")),
    "victim_status": st.sampled_from(("actual", None, "presumed", "not_a_victim")),
    "reporting_country": st.sampled_from(("PER", "COL", "MEX")),
    "identification_year": st.sampled_from((2019, 2020, 2021, None)),
    "sex": st.sampled_from(("female", "male", None)),
    "is_minor": st.sampled_from((True, False, None)),
    "age_band": st.sampled_from(("0-8", "18-20", None)),
    "citizenship": st.sampled_from(("PER", "VEN;COL", "", None)),
    "source_type": st.sampled_from(("police", "ngo", None)),
    "exploitation_country": st.sampled_from(("PER", "ARG", None)),
    "forms_of_exploitation": _form_field(),
})

FILTER_VALUES: dict[str, tuple[Any, ...]] = {
    "country": ("PER", "MEX"), "year": (2020, 2021, "2019"), "sex": ("female", "unknown"),
    "age_group": ("minor", "unknown"), "age_band": ("0-8",), "citizenship": ("VEN", "unknown"),
    "source_type": ("ngo",), "destination": ("PER", "ARG"), "form": ("forced_labour", "not_recorded"),
    "form_group": ("labour", "sexual"),
}


@st.composite
def requests(draw: st.DrawFn) -> tuple[tuple[str, ...], dict[str, Any], bool]:
    dims = tuple(draw(st.lists(st.sampled_from(DIMS), unique=True, max_size=3)))
    filtered = draw(st.lists(st.sampled_from(DIMS), unique=True, max_size=2))
    filters = {d: draw(st.sampled_from(FILTER_VALUES[d])) for d in filtered}
    return dims, filters, draw(st.booleans())


def _with_ids(persons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "id": i + 1, "submission_id": 1} for i, p in enumerate(persons)]


# --- the properties -------------------------------------------------------------------------------------------

def check_cube(rows: list[dict[str, Any]], persons: list[Mapping[str, Any]], dims: tuple[str, ...],
               filters: Mapping[str, Any], margins: bool) -> None:
    got = {tuple(str(r[d]) for d in dims): r["victims"] for r in rows}
    assert len(got) == len(rows), "a key appears twice"
    assert got == expected_rows(persons, dims, filters, margins)
    # margins against their cells: sums for single-valued dimensions, distinct victims for multi-valued ones
    for key, total in got.items():
        for i, d in enumerate(dims):
            if key[i] != ALL:
                continue
            cells = [n for k, n in got.items()
                     if k[i] != ALL and all(k[j] == key[j] for j in range(len(dims)) if j != i)]
            if not cells:
                continue  # no grouping set splits this margin by d (d is not free, or margins are off)
            if d in PLAIN:
                assert total == sum(cells), (key, d)
            else:
                assert max(cells) <= total <= sum(cells), (key, d)
    if margins and dims:
        fixed = tuple(str(filters[d]) if d in filters else ALL for d in dims)
        victims_selected = len(_selected(persons, filters))
        assert got.get(fixed, 0) == victims_selected


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(persons=st.lists(person, max_size=25), request=requests())
def test_cube_against_a_plain_count(persons, request):
    dims, filters, margins = request
    people = _with_ids(persons)
    rows = victims(ArrowSource(people), CubeSpec(dims, margins=margins, filters=filters))
    check_cube(rows, people, dims, filters, margins)
    for r in rows:
        for d, v in filters.items():
            assert r[d] == str(v)  # every row says which filter it answers


def test_the_reported_case_year_filter_on_a_grouped_year():
    people = _with_ids([
        {"reporting_country": "PER", "identification_year": 2020, "sex": "female", "forms_of_exploitation": ""},
        {"reporting_country": "PER", "identification_year": 2020, "sex": "female", "forms_of_exploitation": ""},
        {"reporting_country": "PER", "identification_year": 2020, "sex": "male", "forms_of_exploitation": ""},
        {"reporting_country": "PER", "identification_year": 2021, "sex": "male", "forms_of_exploitation": ""},
    ])
    rows = victims(ArrowSource(people), CubeSpec(("year", "sex"), filters={"year": 2020}))
    assert [(r["year"], r["sex"], r["victims"]) for r in rows] == [
        ("2020", "female", 2), ("2020", "male", 1), ("2020", ALL, 3)]


def test_a_form_filter_keeps_only_the_matching_forms():
    people = _with_ids([
        {"reporting_country": "PER", "forms_of_exploitation": "sexual_exploitation;forced_labour"},
        {"reporting_country": "PER", "forms_of_exploitation": "forced_labour;forced_labour;child_labour"},
        {"reporting_country": "PER", "forms_of_exploitation": "sexual_exploitation"},
    ])
    src = ArrowSource(people)
    by_form = {r["form"]: r["victims"] for r in victims(src, CubeSpec(("form",), filters={"form": "forced_labour"}))}
    assert by_form == {"forced_labour": 2}
    labour = victims(src, CubeSpec(("form", "form_group"), filters={"form_group": "labour"}))
    got = {(r["form"], r["form_group"]): r["victims"] for r in labour}
    # victim 2 has two labour forms: once in each form cell, once in the labour margin
    assert got == {("forced_labour", "labour"): 2, ("child_labour", "labour"): 1, (ALL, "labour"): 2}


@pytest.mark.parametrize("year", [2020, "2020"])
def test_a_missing_year_is_one_unknown_cell(year):
    people = _with_ids([{"reporting_country": "PER", "identification_year": None},
                        {"reporting_country": "PER", "identification_year": None},
                        {"reporting_country": "PER", "identification_year": 2020}])
    src = ArrowSource(people)
    assert {r["year"]: r["victims"] for r in victims(src, CubeSpec(("year",)))} == {
        "2020": 1, "unknown": 2, ALL: 3}
    assert [r["victims"] for r in victims(src, CubeSpec(("year",), filters={"year": year}))] == [1]


def test_an_empty_answer_still_has_its_total():
    rows = victims(ArrowSource([]), CubeSpec(("sex",), filters={"year": 2020}))
    assert [(r["sex"], r["victims"]) for r in rows] == [(ALL, 0)]
