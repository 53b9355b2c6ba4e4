"""tipnet.demo: deterministic synthetic case records for the 35 OAS member states."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from functools import cache
from pathlib import Path

import pycountry
import pytest
import yaml

from tipnet.demo import DemoManifest, generate_demo
from tipnet.demo.glotip import build_profiles, parse_count, resolve_citizenship
from tipnet.demo.profiles import load_profiles
from tipnet.demo.reference import DATA_DIR, load_reference

OAS = set(
    "ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI CUB DMA DOM ECU SLV USA GRD GTM GUY HTI HND JAM MEX NIC "
    "PAN PRY PER KNA LCA VCT SUR TTO URY VEN".split()
)
STANDARD = Path(__file__).resolve().parents[1] / "src" / "tipnet" / "standard" / "data"
GLOTIP = Path(
    os.environ.get(
        "TIPNET_GLOTIP",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "glotip" / "data_glotip_2023-05-30.xlsx",
    )
)
FIELDS = yaml.safe_load((STANDARD / "fields.yaml").read_text(encoding="utf-8"))["fields"]
FIELD_TYPES = {f["name"]: f for f in FIELDS}


@cache
def _vocab(name: str) -> frozenset[str]:
    raw = yaml.safe_load((STANDARD / "vocab" / f"{name}.yaml").read_text(encoding="utf-8"))
    return frozenset(v["code"] for v in raw["values"])


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _read_rows(manifest: DemoManifest) -> list[dict[str, str]]:
    rows = []
    for f in manifest.files:
        with f.path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                row["_file"] = f.name
                rows.append(row)
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate_demo(tmp_path_factory.mktemp("demo"), seed=2026, scale=1.0)


@pytest.fixture(scope="module")
def rows(demo: DemoManifest) -> list[dict[str, str]]:
    return _read_rows(demo)


@pytest.fixture(scope="module")
def truth(demo: DemoManifest) -> list[dict[str, str]]:
    with demo.truth_path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def planted(demo: DemoManifest) -> set[tuple[str, str, str]]:
    return {(p.file, p.record_id, p.field) for p in demo.planted_invalid}


def _is_planted(planted: set[tuple[str, str, str]], row: dict[str, str], field: str) -> bool:
    return (row["_file"], row["record_id"], field) in planted


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_and_scale_give_identical_bytes(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=7, scale=0.2)
    second = generate_demo(tmp_path / "b", seed=7, scale=0.2)
    a, b = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert len(a) == len(first.files) + 2  # agency files, truth.csv, manifest.json
    assert a == b
    assert first.to_json() == second.to_json()
    other = generate_demo(tmp_path / "c", seed=8, scale=0.2)
    assert _snapshot(tmp_path / "c") != a
    assert other.total_rows != first.total_rows or other.to_json() != first.to_json()


def test_scale_changes_volume(tmp_path: Path, demo: DemoManifest) -> None:
    small = generate_demo(tmp_path / "small", scale=0.2)
    assert small.total_rows < demo.total_rows / 3
    assert set(small.countries) == OAS


def test_all_member_states_with_two_to_four_agencies(demo: DemoManifest, rows: list[dict[str, str]]) -> None:
    assert set(demo.countries) == OAS
    assert set(load_reference().members) == OAS
    per_country = Counter(r["reporting_country"] for r in rows)
    for iso, files in demo.countries.items():
        assert 2 <= len(files) <= 4, iso
        assert len({f.source_type for f in files}) == len(files)
        assert all(f.path.is_file() and f.name.startswith(f"{iso}/") for f in files)
        assert per_country[iso] >= 30, iso
    assert 20_000 <= demo.total_rows <= 40_000
    assert len(rows) == demo.total_rows
    # volumes follow GLOTIP: the United States detects most victims, Argentina more than Uruguay
    assert per_country["USA"] > per_country["MEX"] > per_country["URY"]
    assert per_country["ARG"] > per_country["URY"] > per_country["LCA"]


def test_rows_belong_to_their_file(demo: DemoManifest, rows: list[dict[str, str]]) -> None:
    files = {f.name: f for f in demo.files}
    ids: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        f = files[r["_file"]]
        assert r["reporting_country"] == f.country
        assert r["source_type"] == f.source_type and r["agency"] == f.agency
        assert re.fullmatch(rf"{f.country}-[A-Z]{{3}}-\d{{6}}", r["record_id"]), r["record_id"]
        assert r["record_id"] not in ids[r["_file"]]
        ids[r["_file"]].add(r["record_id"])
    assert all(len(ids[name]) == f.n_rows for name, f in files.items())


def test_columns_are_standard_fields(demo: DemoManifest) -> None:
    names = [f["name"] for f in FIELDS]
    for f in demo.files:
        with f.path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert set(header) <= set(names), f.name
        assert header == sorted(header, key=names.index)  # in the standard's order
        assert not {"age_band", "is_minor", "identification_year"} & set(header)  # derived fields left out
        required = {"record_id", "case_id", "reporting_country", "role", "given_names", "citizenship"}
        assert required <= set(header)


def test_codes_countries_dates_are_valid_except_planted(
    rows: list[dict[str, str]], planted: set[tuple[str, str, str]]
) -> None:
    checked: Counter[str] = Counter()
    for r in rows:
        for name, value in r.items():
            if name == "_file" or value == "" or _is_planted(planted, r, name):
                continue
            spec = FIELD_TYPES[name]
            kind = spec["type"]
            if kind in ("code", "code_list"):
                values = value.split(";") if kind == "code_list" else [value]
                assert set(values) <= _vocab(spec["vocabulary"]), (name, value)
                assert len(values) == len(set(values)), (name, value)
            elif kind in ("country", "country_list"):
                for code in value.split(";"):
                    assert pycountry.countries.get(alpha_3=code) is not None, (name, value)
            elif kind == "date":
                date.fromisoformat(value)
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            elif kind == "integer":
                assert 0 <= int(value) <= 120, (name, value)
            elif kind == "boolean":
                assert value in ("true", "false"), (name, value)
            checked[kind] += 1
    kinds = ("code", "code_list", "country", "country_list", "date", "integer", "boolean")
    assert min(checked[k] for k in kinds) > 0  # every kind of field was checked


def test_planted_invalid_rows(demo: DemoManifest, rows: list[dict[str, str]]) -> None:
    invalid = demo.planted_invalid
    assert 0.003 <= len(invalid) / demo.total_rows <= 0.008
    by_key = {(r["_file"], r["record_id"]): r for r in rows}
    fields = {p.field for p in invalid}
    assert fields == {"identification_date", "age", "forms_of_exploitation", "citizenship"}
    for p in invalid:
        value = by_key[(p.file, p.record_id)][p.field]
        assert value == p.value
        if p.field == "identification_date":
            with pytest.raises(ValueError):
                date.fromisoformat(value)
        elif p.field == "age":
            assert int(value) > 120
        elif p.field == "forms_of_exploitation":
            assert value not in _vocab("exploitation_form")
        else:
            assert value == "Atlantis" and resolve_citizenship(value, load_reference()) is None
    listed = json.loads((demo.out_dir / "manifest.json").read_text(encoding="utf-8"))["planted_invalid"]
    assert len(listed) == len(invalid)


def test_identifying_fields_are_consistent(
    rows: list[dict[str, str]], planted: set[tuple[str, str, str]]
) -> None:
    with_both = 0
    for r in rows:
        if r["birth_date"] and r["age"] and not _is_planted(planted, r, "identification_date"):
            on = date.fromisoformat(r["identification_date"])
            assert _age_on(date.fromisoformat(r["birth_date"]), on) == int(r["age"]), r["record_id"]
            with_both += 1
    victims = [r for r in rows if r["role"] == "victim"]
    assert 0.6 < with_both / len(rows) < 0.9  # birth dates are mostly, not always, known
    assert any(" de la " in r["family_names"] or " dos " in r["family_names"].lower() for r in victims)
    assert any(re.search(r"[áéíóúñçãõ]", r["family_names"]) for r in victims)
    years = {r["identification_date"][:4] for r in rows if not _is_planted(planted, r, "identification_date")}
    assert years == {str(y) for y in range(2015, 2025)}


def test_sex_matches_given_names(truth: list[dict[str, str]], rows: list[dict[str, str]]) -> None:
    pools = yaml.safe_load((DATA_DIR / "names.yaml").read_text(encoding="utf-8"))
    names = {sex: {_plain(n) for p in pools["pools"].values() for n in p[sex]} for sex in ("female", "male")}
    original = {(t["file"], t["record_id"]) for t in truth if t["kind"] == "original"}
    checked = 0
    for r in rows:
        if r["sex"] in names and (r["_file"], r["record_id"]) in original:
            assert _plain(r["given_names"].split(" ")[0]) in names[r["sex"]], (r["sex"], r["given_names"])
            checked += 1
    assert checked > 20_000


def test_children_share_and_mix(rows: list[dict[str, str]]) -> None:
    victims = [r for r in rows if r["role"] == "victim" and r["age"].isdigit() and int(r["age"]) <= 120]
    children = [r for r in victims if int(r["age"]) < 18]
    adults = [r for r in victims if int(r["age"]) >= 18]
    assert 0.15 <= len(children) / len(victims) <= 0.45

    def share(group: list[dict[str, str]], form: str) -> float:
        return sum(form in r["forms_of_exploitation"].split(";") for r in group) / len(group)

    assert share(children, "forced_begging") > 1.5 * share(adults, "forced_begging")
    assert share(adults, "child_labour") < 0.005 < share(children, "child_labour")


def test_perpetrators_and_cases(rows: list[dict[str, str]]) -> None:
    perpetrators = [r for r in rows if r["role"] == "perpetrator"]
    assert 0.07 <= len(perpetrators) / len(rows) <= 0.13
    for p in perpetrators:
        assert p["perpetrator_roles"] and p["legal_status"] and p["sex"] and p["age"] and p["citizenship"]
        assert not p["forms_of_exploitation"]
    cases: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        cases[(r["_file"], r["case_id"])][r["role"]] += 1
    assert any(c["victim"] >= 3 for c in cases.values())
    with_perpetrators = [c for c in cases.values() if c["perpetrator"]]
    assert with_perpetrators and all(c["victim"] >= 1 and c["perpetrator"] <= 3 for c in with_perpetrators)


def test_routes(rows: list[dict[str, str]], planted: set[tuple[str, str, str]]) -> None:
    ref = load_reference()
    victims = [r for r in rows if r["role"] == "victim" and not _is_planted(planted, r, "citizenship")]
    domestic = sum(r["citizenship"] == r["reporting_country"] for r in victims) / len(victims)
    assert 0.5 <= domestic <= 0.8
    seen: Counter[str] = Counter()
    for r in victims:
        assert r["citizenship"] in ref.countries
        if r["exploitation_country"] != r["reporting_country"]:  # nationals exploited abroad, back home
            assert r["citizenship"] == r["reporting_country"]
        if r["transit_countries"]:
            route = [r["recruitment_country"], *r["transit_countries"].split(";"), r["exploitation_country"]]
            assert 3 <= len(route) <= 4
            for a, b in zip(route, route[1:], strict=False):
                assert b in ref.countries[a].land, route
            seen["->".join(route)] += 1
    assert seen["HND->GTM->MEX->USA"] > 0
    assert any(route.startswith("VEN->COL") for route in seen)
    assert sum(bool(r["transit_countries"]) for r in victims) > 500
    labour = [r for r in victims if "forced_labour" in r["forms_of_exploitation"]]
    assert all(r["labour_sector"] for r in labour)
    assert any(len(r["means_of_control"].split(";")) == 3 for r in victims)


def test_ground_truth(demo: DemoManifest, rows: list[dict[str, str]], truth: list[dict[str, str]]) -> None:
    assert demo.truth_path.parent == demo.out_dir
    assert demo.truth_path not in {f.path for f in demo.files}
    assert {(t["file"], t["record_id"]) for t in truth} == {(r["_file"], r["record_id"]) for r in rows}
    assert len(truth) == len(rows)
    by_key = {(r["_file"], r["record_id"]): r for r in rows}
    people: dict[str, list[dict[str, str]]] = defaultdict(list)
    for t in truth:
        people[t["person_key"]].append(t)
    kinds = Counter(t["kind"] for t in truth)
    victims = sum(1 for t in truth if t["role"] == "victim" and t["kind"] == "original")
    assert 0.03 <= kinds["within_country_duplicate"] / victims <= 0.07
    foreign = [r for r in rows if r["role"] == "victim" and r["citizenship"] != r["reporting_country"]]
    assert 0.01 <= kinds["cross_country_duplicate"] / len(foreign) <= 0.04
    differs = 0
    for key, records in people.items():
        assert sum(t["kind"] == "original" for t in records) == 1, key
        original = next(by_key[(t["file"], t["record_id"])] for t in records if t["kind"] == "original")
        for t in records:
            if t["kind"] == "original":
                continue
            dup = by_key[(t["file"], t["record_id"])]
            assert t["role"] == "victim" and dup["citizenship"] == original["citizenship"]
            if t["kind"] == "within_country_duplicate":
                assert dup["reporting_country"] == original["reporting_country"]
                assert t["file"] != original["_file"]  # another agency
            else:  # recorded in the origin country
                assert dup["reporting_country"] == original["citizenship"] != original["reporting_country"]
                assert dup["exploitation_country"] == original["exploitation_country"]
            fields = ("given_names", "family_names", "birth_date")
            differs += any(dup[f] != original[f] for f in fields)
    n_dups = kinds["within_country_duplicate"] + kinds["cross_country_duplicate"]
    assert differs / n_dups > 0.9  # second records are written differently


def test_manifest_json_and_rerun_replaces_only_demo_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    generate_demo(out, seed=1, scale=0.2)
    second = generate_demo(out, seed=2, scale=0.2)
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*.csv")}
    assert on_disk == {f.name for f in second.files} | {"truth.csv"}
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert listed == second.to_json()
    assert listed["countries"]["PER"][0]["path"].startswith("PER/")


def test_logs_under_package_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tipnet.demo"):
        generate_demo(tmp_path, scale=0.1)
    assert any(r.name == "tipnet.demo" and "rows" in r.getMessage() for r in caplog.records)


def test_rejects_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path, scale=0)


def test_glotip_parsing() -> None:
    ref = load_reference()
    assert parse_count("1,282") == 1282.0 and parse_count("<5") == 2.5 and parse_count("n/a") is None
    assert resolve_citizenship("Bolivia (Plurinational State of)", ref) == "BOL"
    assert resolve_citizenship("Venezuela (Bolivarian Republic of)", ref) == "VEN"
    assert resolve_citizenship("United States of America", ref) == "USA"
    assert resolve_citizenship("R.Dominicana", ref) == "DOM"
    assert resolve_citizenship("Perú", ref) == "PER"
    assert resolve_citizenship("HONDURE\ufffdA", ref) == "HND"
    assert resolve_citizenship("Ciudadanos de su pa\ufffds", ref) == "OWN"
    assert resolve_citizenship("Nationals", ref) == "OWN"
    assert resolve_citizenship("Sin determinar", ref) is None


def test_profiles_cover_members_and_are_shares() -> None:
    profiles = load_profiles()
    assert set(profiles) == OAS
    for p in profiles.values():
        assert sum(p.sex_age.values()) == pytest.approx(1, abs=1e-3)
        assert all(sum(m.values()) == pytest.approx(1, abs=1e-3) for m in p.forms.values())
        assert sum(p.origins.values()) == pytest.approx(1, abs=1e-3) and p.alpha3 not in p.origins
        assert 0 < p.domestic_share < 1
    assert profiles["USA"].annual_victims and profiles["USA"].annual_victims > 1000
    assert profiles["GRD"].annual_victims is None  # no GLOTIP counts: the floor applies
    assert max(profiles["COL"].origins, key=profiles["COL"].origins.__getitem__) == "VEN"


@pytest.mark.skipif(not GLOTIP.is_file(), reason="GLOTIP spreadsheet not available (set TIPNET_GLOTIP)")
def test_shipped_profiles_match_glotip() -> None:
    assert build_profiles(GLOTIP) == load_profiles()
