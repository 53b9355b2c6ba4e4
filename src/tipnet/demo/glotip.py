"""Country profiles for the demo, derived from the real UNODC GLOTIP data set.

The generator reads the derived profiles shipped in ``data/country_profiles.yaml`` so that it runs without
the 5 MB spreadsheet; ``python -m tipnet.demo.glotip GLOTIP.xlsx`` rebuilds that file (a test checks it is
current).

From the indicator "Detected trafficking victims" of the member states:
  - volume: yearly victims (dimension Total; the sex totals or the exploitation forms where the total is
    absent), averaged over the years with data;
  - sex/age shares from the Total dimension's Sex x Age cells, smoothed towards the pooled OAS shares;
  - exploitation mix (sexual / labour / other) per sex x age cell from "by form of exploitation";
  - domestic share and origin countries from "by citizenship" (country names resolved to alpha-3).
``<5`` counts as 2.5. Countries without data get the pooled OAS values (``observed`` says which).
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

from tipnet.demo.profiles import CELLS, FORMS, PROFILES_FILE, CountryProfile
from tipnet.demo.reference import Reference, fold, load_reference

log = logging.getLogger("tipnet.demo")

INDICATOR = "Detected trafficking victims"
_FORM_OF = {
    "Sexual exploitation": "sexual",
    "Forced labour": "labour",
    "Other forms of exploitation": "other",
}
_AGE_OF = {"0 to 17 years": "child", "18 years or over": "adult"}
_FOREIGN_UNSPECIFIED = {
    fold("(especifique otras nacionalidades)"),
    fold("Personnes de nationalit\ufffd \ufffdtrang\ufffdre"),
}
SEX_AGE_PRIOR, FORM_PRIOR, CITIZENSHIP_PRIOR = 20.0, 10.0, 10.0
MAX_ORIGINS = 8


def parse_count(text: object) -> float | None:
    """GLOTIP's txtVALUE: '1,282' -> 1282.0, '<5' -> 2.5, anything else -> None."""
    s = str(text).strip().replace(",", "").replace(" ", "")
    if s == "<5":
        return 2.5
    try:
        return float(s)
    except ValueError:
        return None


def read_glotip(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of the first sheet as dicts (two preamble rows, then the header)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [str(h).strip() for h in rows[2]]
    for row in rows[3:]:
        yield dict(zip(header, row, strict=False))


@cache
def _name_index() -> dict[str, str]:
    """Folded country names in en/es/fr/pt (pycountry, its translations, the demo's aliases) -> alpha-3."""
    index: dict[str, str] = {}
    translators = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("es", "fr", "pt")
    ]
    for c in pycountry.countries:
        names = {c.name, getattr(c, "official_name", c.name), getattr(c, "common_name", c.name)}
        names |= {t.gettext(n) for t in translators for n in list(names)}
        for n in names:
            index.setdefault(fold(n), c.alpha_3)
            if "," in n:  # "Bolivia, Plurinational State of" -> "Bolivia"
                index.setdefault(fold(n.split(",")[0]), c.alpha_3)
    for country in load_reference().countries.values():
        for alias in country.aliases:
            index[fold(alias)] = country.alpha3
    return index


def resolve_citizenship(category: str, ref: Reference) -> str | None:
    """A "by citizenship" category -> alpha-3, "OWN" for the reporter's nationals, "FOREIGN", or None."""
    key = fold(category)
    if key in ref.domestic_markers:
        return "OWN"
    if key in _FOREIGN_UNSPECIFIED:
        return "FOREIGN"
    index = _name_index()
    for candidate in (key, fold(re.sub(r"\s*\(.*\)\s*$", "", category))):
        if candidate in index:
            return index[candidate]
    return None


class _Tally:
    """Sums of GLOTIP counts for one country."""

    def __init__(self) -> None:
        self.total: dict[int, float] = {}
        self.sex_total: dict[int, float] = defaultdict(float)
        self.form_total: dict[int, float] = defaultdict(float)
        self.cells: dict[str, float] = defaultdict(float)
        self.other_sex = 0.0
        self.cell_forms: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.forms: dict[str, float] = defaultdict(float)
        self.citizenship: dict[str, float] = defaultdict(float)

    def add(self, row: dict[str, Any], value: float, iso: str, ref: Reference) -> None:
        dim, sex, age, year = row["Dimension"], row["Sex"], row["Age"], int(float(row["Year"]))
        sex_l, age_l = str(sex).lower(), _AGE_OF.get(str(age))
        if dim == "Total":
            if sex == "Total" and age == "Total":
                self.total[year] = self.total.get(year, 0.0) + value
            elif age == "Total":
                self.sex_total[year] += value
                if sex == "Other":
                    self.other_sex += value
            elif sex_l in ("female", "male") and age_l:
                self.cells[f"{sex_l}_{age_l}"] += value
        elif dim == "by form of exploitation" and row["Category"] in _FORM_OF:
            form = _FORM_OF[row["Category"]]
            if sex == "Total" and age == "Total":
                self.forms[form] += value
                self.form_total[year] += value
            elif sex_l in ("female", "male") and age_l:
                self.cell_forms[f"{sex_l}_{age_l}"][form] += value
        elif dim == "by citizenship" and sex == "Total" and age == "Total":
            code = resolve_citizenship(str(row["Category"]), ref)
            if code is not None:
                self.citizenship["OWN" if code == iso else code] += value

    def annual(self) -> float | None:
        years = set(self.total) | set(self.sex_total) | set(self.form_total)
        if not years:
            return None
        per_year = [self.total.get(y) or self.sex_total.get(y) or self.form_total.get(y, 0.0) for y in years]
        return sum(per_year) / len(per_year)


def _norm(
    counts: dict[str, float], keys: tuple[str, ...], prior: dict[str, float], weight: float
) -> dict[str, float]:
    n = sum(counts.get(k, 0.0) for k in keys)
    return {k: round((counts.get(k, 0.0) + weight * prior[k]) / (n + weight), 4) for k in keys}


def _pooled(values: list[dict[str, float]], keys: tuple[str, ...]) -> dict[str, float]:
    sums = {k: sum(v.get(k, 0.0) for v in values) for k in keys}
    n = sum(sums.values()) or 1.0
    return {k: sums[k] / n for k in keys}


def build_profiles(glotip_path: Path) -> dict[str, CountryProfile]:
    ref = load_reference()
    tallies = {iso: _Tally() for iso in ref.members}
    for row in read_glotip(glotip_path):
        iso = row.get("Iso3_code")
        if row.get("Indicator") != INDICATOR or iso not in tallies:
            continue
        value = parse_count(row.get("txtVALUE"))
        if value is not None:
            tallies[iso].add(row, value, iso, ref)
    pooled_cells = _pooled([t.cells for t in tallies.values()], CELLS)
    pooled_forms = {c: _pooled([t.cell_forms[c] for t in tallies.values()], FORMS) for c in CELLS}
    own = sum(t.citizenship.get("OWN", 0.0) for t in tallies.values())
    pooled_domestic = own / (sum(sum(t.citizenship.values()) for t in tallies.values()) or 1.0)
    return {
        iso: _profile(iso, t, ref, pooled_cells, pooled_forms, pooled_domestic) for iso, t in tallies.items()
    }


def _profile(
    iso: str,
    t: _Tally,
    ref: Reference,
    pooled_cells: dict[str, float],
    pooled_forms: dict[str, dict[str, float]],
    pooled_domestic: float,
) -> CountryProfile:
    annual = t.annual()
    overall = _pooled([t.forms], FORMS) if sum(t.forms.values()) >= 10 else None
    forms = {}
    for c in CELLS:
        prior = (
            pooled_forms[c] if overall is None else {f: (pooled_forms[c][f] + overall[f]) / 2 for f in FORMS}
        )
        forms[c] = _norm(t.cell_forms[c], FORMS, prior, FORM_PRIOR)
    own = t.citizenship.get("OWN", 0.0)
    cit_n = sum(t.citizenship.values())
    domestic = round((own + CITIZENSHIP_PRIOR * pooled_domestic) / (cit_n + CITIZENSHIP_PRIOR), 4)
    country = ref.countries[iso]
    weights: dict[str, float] = defaultdict(float)
    for code, n in t.citizenship.items():
        if code in ref.countries and code != iso:
            weights[code] += n
    for code in country.land:
        weights[code] += 2.0
    for code in country.near:
        weights[code] += 1.0
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ORIGINS]
    total = sum(w for _, w in top)
    total_sex = sum(t.sex_total.values())
    return CountryProfile(
        alpha3=iso,
        annual_victims=None if annual is None else round(annual, 2),
        sex_age=_norm(t.cells, CELLS, pooled_cells, SEX_AGE_PRIOR),
        other_sex=round(min(0.05, t.other_sex / total_sex), 4) if total_sex else 0.0,
        forms=forms,
        domestic_share=domestic,
        origins={code: round(w / total, 4) for code, w in top},
        observed={
            "volume": annual is not None,
            "sex_age": sum(t.cells.values()) > 0,
            "forms": sum(t.forms.values()) + sum(sum(m.values()) for m in t.cell_forms.values()) > 0,
            "citizenship": cit_n > 0,
        },
    )


def dump_profiles(profiles: dict[str, CountryProfile], source: Path) -> str:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    head = (
        "# Derived from UNODC GLOTIP data by tipnet.demo.glotip; do not edit by hand.\n"
        "# Rebuild: python -m tipnet.demo.glotip /path/to/data_glotip_2023-05-30.xlsx\n"
    )
    body = {
        "source": {"file": source.name, "sha256": digest},
        "countries": {iso: profiles[iso].to_dict() for iso in sorted(profiles)},
    }
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the demo's country profiles from GLOTIP data.")
    parser.add_argument("glotip", type=Path, help="data_glotip xlsx file")
    parser.add_argument("--out", type=Path, default=PROFILES_FILE, help="YAML file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    profiles = build_profiles(args.glotip)
    args.out.write_text(dump_profiles(profiles, args.glotip), encoding="utf-8")
    log.info("wrote %d country profiles to %s", len(profiles), args.out)


if __name__ == "__main__":
    main()
