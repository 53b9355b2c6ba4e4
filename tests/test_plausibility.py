"""The plausibility rules one by one (never flagging ordinary counts), and what they hold in the real 2023 workbook."""

from __future__ import annotations

from collections import defaultdict

import openpyxl
import pytest
from conftest import GLOTIP

from tipnet.ingest.glotip import parse_value
from tipnet.ingest.pipeline import validate_file
from tipnet.ingest.plausibility import (
    Populations,
    category_is_code,
    check_breakdowns,
    check_cell,
    value_code_reason,
)

POP = Populations([("PAK", 2019, 230_800_899), ("MEX", 2015, 121_858_251)])


def _obs(value: str, category: str | None = "Total", dimension: str = "total", kind: str = "total",
         country: str = "PAK", year: int = 2019, **kw: object) -> dict:
    exact, lo, hi, censored = parse_value(value)  # type: ignore[misc]
    return {"raw_value": value, "value": exact, "value_min": lo, "value_max": hi, "censored": censored,
            "category": category, "dimension": dimension, "category_kind": kind, "area_kind": "country",
            "area_code": country, "country": country, "indicator": "convicted", "year": year, "sex": "total",
            "age": "total", "source_row": kw.pop("row", 2), "held": False, **kw}


def _codes(obs: dict) -> set[str]:
    return {f.code for f in check_cell(obs, POP) if f.holds}


@pytest.mark.parametrize("category", ["Q6.1_10s_2019", "V12", "q3a", "6.1", "2019"])
def test_identifiers_are_code_shaped(category):
    assert category_is_code(category)


@pytest.mark.parametrize("category", ["Pakistan", "Nationals", "M49 Region: Africa", "EU-28 others", "Total", None, "0",
                                      "Venezuela (Bolivarian Republic of)", "Côte d'Ivoire"])
def test_labels_are_not(category):
    assert not category_is_code(category)


@pytest.mark.parametrize("value", ["1,234", "48,773", "8,375", "32,022", "2,015", "999,999", "12", "<5"])
def test_ordinary_counts_are_never_flagged(value):
    assert _codes(_obs(value, country="MEX", year=2015)) == set()


def test_value_shapes():
    assert value_code_reason(61_102_019, 2019, "Q6.1_10s_2019", False) is not None  # repeats the category's digits
    assert value_code_reason(6_112_019, 2021, "Nationals", True) is not None  # ends with a year
    assert value_code_reason(20_190_301, 2019, "Total", True) is not None  # a date
    assert value_code_reason(2_020, 2020, None, False) is not None  # a year, no category
    assert value_code_reason(2_020, 2020, "Mexico", True) is None  # a count that equals a year
    assert value_code_reason(1_234_567, 2019, "Total", True) is None  # large, but not shaped like a code
    assert value_code_reason(2_019, 2030, None, False) is None  # far from the row's year


def test_population_share_negative_and_fractional():
    assert _codes(_obs("2,308,010")) == {"implausible-count"}  # 1.000004 % of Pakistan's 2019 population
    assert _codes(_obs("2,308,008")) == set()  # just under 1 %
    assert _codes(_obs("-3")) == {"negative-count"}
    assert _codes(_obs("2.5")) == {"fractional-count"}
    assert parse_value("2.5") == (None, 2, 3, False) and parse_value("-3") == (-3, -3, -3, False)
    assert parse_value("1,282") == (1282, 1282, 1282, False)  # thousands, not a fraction
    assert parse_value("n/a") is None  # still invalid: quarantined as before


def test_unresolved_category_is_reported_and_held_only_as_a_form():
    flags = check_cell(_obs("7", "Ugandan", "citizenship", "unknown"), POP)
    assert [(f.code, f.holds) for f in flags] == [("unresolved-category", False)]
    flags = check_cell(_obs("7", "Slavery-like", "form_of_exploitation", "unknown"), POP)
    assert [(f.code, f.holds) for f in flags] == [("unresolved-category", True)]
    assert check_cell(_obs("7", "Unknown", "citizenship", "unknown"), POP) == []


def test_breakdown_far_above_its_total():
    total = _obs("<5", row=10)  # 1..4
    parts = [_obs(v, c, "citizenship", "country", row=11 + i)
             for i, (v, c) in enumerate([("30", "Bulgaria"), ("8", "Hungary"), ("<5", "Nigeria")])]
    # 30 + 8 + 1 = 39 <= 10 x 4: GLOTIP overlap, nothing held
    assert check_breakdowns([total, *parts]) == []
    parts.append(_obs("9", "Romania", "citizenship", "country", row=20))  # 48 > 40
    held = check_breakdowns([total, *parts])
    assert [o["source_row"] for o, _ in held] == [11, 12, 20]  # the parts above the total's 4
    assert {f.code for _, f in held} == {"breakdown-exceeds-total"}
    parts[0]["held"] = True  # already held by another check: left out of the sum (18 <= 40)
    assert check_breakdowns([total, *parts]) == []


@pytest.mark.skipif(not GLOTIP.exists(), reason="shared GLOTIP data not present")
def test_what_the_2023_workbook_holds():
    wb = openpyxl.load_workbook(GLOTIP, read_only=True)
    sheet = [(n, r) for n, r in enumerate(wb.active.iter_rows(values_only=True), start=1) if n >= 4 and any(r)]
    wb.close()
    zero = {n for n, r in sheet if r[6] == "0"}  # category "0" (Malta, Argentina): an empty formula cell
    year_no_category = {n for n, r in sheet if r[6] is None and r[11] == "2,020"}  # Pakistan 2020, Dominican R. 2021

    def lo_hi(v: str) -> tuple[int, int]:
        return (1, 4) if v == "<5" else (int(v.replace(",", "")),) * 2  # type: ignore[return-value]

    totals: dict[tuple, int] = {}
    parts: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for n, r in sheet:
        if n in year_no_category:
            continue
        key = (r[0], r[4], r[7], r[8], r[9])  # area, indicator, sex, age, year
        if r[5] == "Total":
            totals[key] = max(totals.get(key, 0), lo_hi(r[11])[1])
        elif r[5] in ("by form of exploitation", "by citizenship"):
            parts[(*key, r[5])].append((n, lo_hi(r[11])[0]))
    far = set()
    for key, cells in parts.items():
        whole = totals.get(key[:-1])
        if whole is not None and sum(v for _, v in cells) > 10 * whole:
            far |= {n for n, v in cells if v > whole} or {n for n, _ in cells}
    report = validate_file(GLOTIP)
    assert report.valid and report.rows_total == 46_556
    by_code = defaultdict(set)
    for p in report.problems:
        by_code[p.code].add(p.row)
    assert "code-shaped-category" not in by_code
    assert zero <= by_code["unresolved-category"] and len(zero) == 7  # reported, counted under no category, kept
    assert by_code["code-shaped-value"] == year_no_category and len(year_no_category) == 2
    assert by_code["breakdown-exceeds-total"] == far and len(far) == 52
    assert "implausible-count" not in by_code and "negative-count" not in by_code
    assert report.rows_held == 2 + 52
