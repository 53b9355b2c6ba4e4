"""SDMX-CSV for SDG indicator 16.2.2 (detected victims of trafficking), series VC_HTF_DETV and its breakdowns.

Dataflow: `OAS:DF_TIPNET_SDG16_2_2(1.0)`, our own flow whose concepts and codes are those of the SDG global
dataflow `IAEG-SDGs:DF_SDG_GLH` (series codes, M49 numeric REF_AREA, SEX F/M/_T, AGE Y0T17/Y_GE18/_T) restricted
to the dimensions we have: FREQ, REPORTING_TYPE, SERIES, REF_AREA, SEX, AGE, TIME_PERIOD. Mapping to
DF_SDG_GLH means filling its other breakdown dimensions with _T. Attributes: UNIT_MEASURE (NUMBER), UNIT_MULT (0),
OBS_STATUS (A normal, E estimated for DP figures, O missing for suppressed ones), CONF_STATUS (F free, C
confidential — one flag for every suppressed cell, so primary and secondary suppression cannot be told apart),
LOWER_BOUND and UPPER_BOUND (DP confidence intervals).

Series by GLOTIP form group: all forms VC_HTF_DETV, sexual VC_HTF_DETVSX, labour VC_HTF_DETVFL, other purposes
VC_HTF_DETVOP (organ removal, VC_HTF_DETVOG, is inside "other" in the standard's GLOTIP grouping and is not split).
"""

from __future__ import annotations

from typing import Any

import pycountry

from tipnet.stats.cube import ALL

DATAFLOW = "OAS:DF_TIPNET_SDG16_2_2(1.0)"
COLUMNS = ["DATAFLOW", "FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE",
           "UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "CONF_STATUS", "LOWER_BOUND", "UPPER_BOUND"]
SERIES = {ALL: "VC_HTF_DETV", "sexual": "VC_HTF_DETVSX", "labour": "VC_HTF_DETVFL", "other": "VC_HTF_DETVOP"}
SEX = {ALL: "_T", "female": "F", "male": "M", "other": "_O", "unknown": "_U"}
AGE = {ALL: "_T", "minor": "Y0T17", "adult": "Y_GE18", "unknown": "_U"}
USABLE = frozenset({"country", "year", "sex", "age_group", "form_group"})


def m49(iso3: str) -> str | None:
    c = pycountry.countries.get(alpha_3=iso3)
    return str(int(c.numeric)) if c is not None else None


def observations(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SDMX rows from release tables (each: {'dims': [...], 'filters': [[d, v]], 'rows': [...]}) that are split or
    filtered by country and year and by nothing outside sex, age group and form group."""
    seen: dict[tuple[str, ...], dict[str, Any]] = {}
    for t in tables:
        fixed = {d: v for d, v in t["filters"]}
        dims = set(t["dims"]) | set(fixed)
        if not {"country", "year"} <= dims or not dims <= USABLE:
            continue
        for row in t["rows"]:
            r = {**fixed, **row}
            if ALL in (r["country"], r["year"]):
                continue
            series = SERIES.get(r.get("form_group", ALL))
            sex = SEX.get(r.get("sex", ALL))
            age = AGE.get(r.get("age_group", ALL))
            area = m49(r["country"])
            if None in (series, sex, age, area) or not str(r["year"]).isdigit():
                continue
            status = r["status"]
            obs = {
                "DATAFLOW": DATAFLOW, "FREQ": "A", "REPORTING_TYPE": "N", "SERIES": series, "REF_AREA": area,
                "SEX": sex, "AGE": age, "TIME_PERIOD": str(r["year"]),
                "OBS_VALUE": "" if r["victims"] is None else r["victims"], "UNIT_MEASURE": "NUMBER", "UNIT_MULT": 0,
                "OBS_STATUS": {"published": "A", "noisy": "E"}.get(status, "O"),
                "CONF_STATUS": "C" if status == "confidential" else "F",
                "LOWER_BOUND": r.get("lower", ""), "UPPER_BOUND": r.get("upper", ""),
            }
            key = tuple(str(obs[c]) for c in COLUMNS[1:8])
            seen.setdefault(key, obs)
    return [seen[k] for k in sorted(seen)]
