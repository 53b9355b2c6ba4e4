"""National statistics tables through aggregate profiles, on a real SESNSP (Mexico) victims table.

Expected figures are counted here with the csv module over the excerpt, never by the code under test.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.stats.figures import glotip
from tipnet.stats.national import national
from tipnet.stats.source import StatsSource
from tipnet.store.repo import count_aggregates
from tipnet.store.tables import aggregates, submissions

SESNSP = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"
PROFILE = "sesnsp-victimas-fc"
MONTHS = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
          "Noviembre", "Diciembre"]
STATES = {"9": "MX-CMX", "15": "MX-MEX", "23": "MX-ROO"}
SEX = {"Mujer": "female", "Hombre": "male", "No identificado": "unknown"}
AGE = {"Menores de edad (0-17)": "minor", "Adultos (18 y más)": "adult", "No especificado": "unknown",
       "No identificado": "unknown"}


def _rows() -> list[dict[str, str]]:
    with SESNSP.open(encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh))


def _trata() -> list[dict[str, str]]:
    return [r for r in _rows() if r["Subtipo de delito"] == "Trata de personas"]


@pytest.fixture
def imported(db, settings):
    report = import_file(SESNSP, db, ImportOptions(profile=PROFILE), settings)
    return db, report


def test_the_excerpt_is_the_file_as_published():
    raw = SESNSP.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)  # CRLF everywhere, no bare LF
    assert len(_rows()) == 462 and len(_trata()) == 42


def test_every_row_is_accounted_for(imported):
    db, report = imported
    trata = _trata()
    assert report.file_error is None, report.problems
    assert report.kind == "aggregates" and report.encoding == "cp1252"
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (len(trata), len(trata), 0)
    assert report.rows_filtered == len(_rows()) - len(trata) == 420
    assert report.problem_counts["rows-filtered"] == 1
    filled = sum(1 for r in trata for m in MONTHS if r[m].strip())
    assert count_aggregates(db, report.submission_id) == filled == 42 * 12
    with db.engine.connect() as conn:
        sub = conn.execute(select(submissions.c.reporting_country, submissions.c.kind, submissions.c.profile)).one()
        kinds = dict(conn.execute(select(aggregates.c.period_kind, func.count())
                                  .group_by(aggregates.c.period_kind)).all())
        sources = {r[0] for r in conn.execute(select(aggregates.c.source))}
    assert tuple(sub) == ("MEX", "aggregates", PROFILE)  # the country's own submission, not a public one
    assert kinds == {"month": 504} and sources == {"SESNSP"}
    assert (str(report.period_start), str(report.period_end)) == ("2023-01-01", "2024-12-31")


def test_yearly_totals_by_state_sex_and_age_equal_the_files_sums(imported):
    db, _ = imported
    expected: Counter[tuple[str, str, str, str]] = Counter()
    for r in _trata():
        expected[(STATES[r["Clave_Ent"]], r["Año"], SEX[r["Sexo"]], AGE[r["Rango de edad"]])] += sum(
            int(r[m]) for m in MONTHS)
    got = national(StatsSource(db), ("subdivision", "year", "sex", "age_group"))
    assert {(g["subdivision"], g["year"], g["sex"], g["age_group"]): g["victims"] for g in got} == dict(expected)
    assert {g["source"] for g in got} == {"SESNSP"}
    by_state_year: Counter[tuple[str, str]] = Counter()
    for (state, year, _, _), n in expected.items():
        by_state_year[(state, year)] += n
    got2 = national(StatsSource(db), ("subdivision", "year"))
    assert {(g["subdivision"], g["year"]): g["victims"] for g in got2} == dict(by_state_year)
    assert by_state_year[("MX-CMX", "2023")] == 160 and by_state_year[("MX-CMX", "2024")] == 95


def test_months_are_kept_and_sum_to_the_year(imported):
    db, _ = imported
    expected = Counter()
    for r in _trata():
        if r["Año"] == "2024" and r["Clave_Ent"] == "23":
            for n, m in enumerate(MONTHS, start=1):
                expected[f"2024-{n:02d}"] += int(r[m])
    got = national(StatsSource(db), ("period",), filters={"subdivision": "MX-ROO", "year": 2024})
    assert {g["period"]: g["victims"] for g in got} == dict(expected)
    year = national(StatsSource(db), ("year",), filters={"subdivision": "MX-ROO"})
    assert {g["year"]: g["victims"] for g in year}["2024"] == sum(expected.values())


def test_sources_are_never_added_together(imported, settings):
    db, _ = imported
    trata = _trata()
    sesnsp_2023 = sum(int(r[m]) for r in trata if r["Año"] == "2023" for m in MONTHS)
    with db.engine.begin() as conn:  # a GLOTIP figure for the same country and year
        sid = conn.execute(submissions.insert().values(
            kind="aggregates", profile="glotip", standard_version="1", filename="g.xlsx", content_sha256="g" * 64,
            rows_total=1, rows_accepted=1, rows_quarantined=0, report_json="{}", created_at=func.now(),
        ).returning(submissions.c.id)).scalar_one()
        conn.execute(aggregates.insert().values(
            submission_id=sid, source_row=4, area_code="MEX", area_kind="country", country="MEX", indicator=
            "detected_victims", dimension="total", category_code="total", category_kind="total", sex="total",
            age="total", year=2023, value=999, value_min=999, value_max=999, censored=False, raw_value="999",
            source="GLOTIP"))
    other = Path(settings.home) / "fgr.csv"  # a second national source, long layout, country-level
    other.write_text("Año,Víctimas\n2023,7\n", encoding="utf-8")
    profile = Path(settings.home) / "fgr.yaml"
    profile.write_text("name: fgr\nkind: aggregates\nsource: FGR\ncountry: MEX\nyear: Año\nvalue: Víctimas\n",
                       encoding="utf-8")
    assert import_file(other, db, ImportOptions(profile=str(profile)), settings).rows_accepted == 1
    side_by_side = national(StatsSource(db), ("country", "year"), filters={"year": 2023})
    assert sorted((r["source"], r["victims"]) for r in side_by_side) == sorted(
        [("FGR", 7), ("GLOTIP", 999), ("SESNSP", sesnsp_2023)])
    preferred = national(StatsSource(db), ("country", "year"), filters={"year": 2023}, prefer={"MEX": "SESNSP"})
    assert [(r["source"], r["victims"]) for r in preferred] == [("SESNSP", sesnsp_2023)]
    assert [r["victims"] for r in glotip(StatsSource(db), ("country", "year"))] == [999]


def test_a_revised_release_replaces_the_figures_it_repeats(imported, settings):
    db, _ = imported
    raw = SESNSP.read_bytes().split(b"\r\n")
    i = next(n for n, line in enumerate(raw) if b"Trata de personas" in line and line.startswith(b"2024,9,"))
    cells = raw[i].split(b",")
    cells[9] = str(int(cells[9]) + 5).encode()  # January, one more release: five more victims
    raw[i] = b",".join(cells)
    revised = Path(settings.home) / "IDVFC_NM_ene25.csv"
    revised.write_bytes(b"\r\n".join(raw))
    assert import_file(revised, db, ImportOptions(profile=PROFILE), settings).rows_accepted == 42
    got = {(g["subdivision"], g["year"]): g["victims"]
           for g in national(StatsSource(db), ("subdivision", "year"))}
    assert got[("MX-CMX", "2024")] == 95 + 5 and got[("MX-CMX", "2023")] == 160  # never 2 x 160


BAD = (
    "Año,Clave_Ent,Entidad,Subtipo de delito,Sexo,Rango de edad,Enero,Febrero\r\n"
    "2024,9,Ciudad de México,Trata de personas,Mujer,Adultos (18 y más),3,abc\r\n"
    "2024,99,Atlantis,Trata de personas,Mujer,Adultos (18 y más),1,1\r\n"
    "2024,15,México,Trata de personas,Z,Adultos (18 y más),1,1\r\n"
    "2024,15,México,TRATA DE PERSONAS,Hombre,No especificado,2,\r\n"
    "2024,15,México,Secuestro,Hombre,No especificado,2,2\r\n"
    "2024,15,México,Trata de personas,Hombre\r\n"
)


def _bad_profile(tmp: Path) -> Path:
    text = (FIXTURES.parent.parent / "src/tipnet/ingest/profiles/sesnsp-victimas-fc.yaml").read_text("utf-8")
    text = text.replace("name: sesnsp-victimas-fc", "name: sesnsp-two-months")
    text = text.replace("months: [Enero, Febrero, Marzo, Abril, Mayo, Junio, Julio, Agosto, Septiembre, Octubre, "
                        "Noviembre, Diciembre]", "months: [Enero, Febrero]")
    path = tmp / "two.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_cells_quarantine_their_row_with_the_reason(sqlite_db, settings, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD.encode("cp1252"))
    report = import_file(path, sqlite_db, ImportOptions(profile=str(_bad_profile(tmp_path))), settings)
    assert report.file_error is None, report.problems
    assert report.rows_filtered == 1  # Secuestro; the upper-case TRATA row is in scope
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (5, 1, 4)
    found = {(p.code, p.row, p.column, p.value) for p in report.problems if p.row is not None}
    assert ("invalid-count", 2, "Febrero", "abc") in found
    assert ("invalid-subdivision", 3, "Clave_Ent", "99") in found
    assert ("unmapped-value", 4, "Sexo", "Z") in found
    assert any(code == "missing-cell" and row == 7 for code, row, _, _ in found)
    assert report.problem_counts["empty-period"] == 1  # row 5's February: no figure, not a zero
    assert count_aggregates(sqlite_db, report.submission_id) == 1
    with open(report.quarantine_path, encoding="utf-8", newline="") as fh:
        quarantined = list(csv.DictReader(fh))
    assert [int(r["tipnet_row"]) for r in quarantined] == [2, 3, 4, 7]
    assert "invalid-count" in quarantined[0]["tipnet_errors"]


LONG = (
    "pais;entidad;anio;mes;sexo;edad;forma;victimas\n"
    "Mexico;Ciudad de Mexico;2022;enero;F;0 a 11 años;Explotación sexual;4\n"
    "Mexico;Ciudad de Mexico;2022;febrero;F;12 a 17 años;Explotación sexual;<5\n"
    "Mexico;ciudad de méxico;2022;marzo;M;18 años y más;Trabajo forzoso;1.234\n"
    "Mexico;MX-JAL;2022;3;M;15 a 24 años;Trabajo forzoso;2\n"
)


def test_long_layout_names_bands_and_censored_counts(sqlite_db, settings, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(LONG, encoding="utf-8")
    profile = tmp_path / "long.yaml"
    profile.write_text(
        "name: long\nkind: aggregates\nsource: DIF\ncountry: {column: pais}\nsubdivision: {column: entidad}\n"
        "year: anio\nmonth: {column: mes}\nvalue: victimas\nthousands: '.'\nsex: {column: sexo}\n"
        "age: {column: edad}\nform: {column: forma}\n", encoding="utf-8")
    report = import_file(path, sqlite_db, ImportOptions(profile=str(profile), country="MEX"), settings)
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (4, 4, 0), report.problems
    with sqlite_db.engine.connect() as conn:
        rows = conn.execute(select(
            aggregates.c.subdivision, aggregates.c.period_number, aggregates.c.sex, aggregates.c.age,
            aggregates.c.age_band, aggregates.c.category_code, aggregates.c.value_min, aggregates.c.value_max,
            aggregates.c.censored).order_by(aggregates.c.source_row)).all()
    assert [tuple(r) for r in rows] == [
        ("MX-CMX", 1, "female", "minor", "0-11", "sexual_exploitation", 4, 4, False),
        ("MX-CMX", 2, "female", "minor", "12-17", "sexual_exploitation", 1, 4, True),
        ("MX-CMX", 3, "male", "adult", "18+", "forced_labour", 1234, 1234, False),
        ("MX-JAL", 3, "male", "unknown", "15-24", "forced_labour", 2, 2, False),  # a band across 18: not guessed
    ]
    forms = national(StatsSource(sqlite_db), ("form_group",))
    assert {(r["form_group"], r["victims_min"], r["victims_max"]) for r in forms} == {
        ("sexual_exploitation", 5, 8), ("forced_labour", 1236, 1236)}


def test_a_table_of_no_country_is_refused_unless_published(sqlite_db, settings, tmp_path):
    """Figures of no reporting country are public (GLOTIP's are): a regional table imported without a country is
    refused, nothing stored, unless its profile says the source has published it."""
    from tipnet.auth.principal import Principal, Via
    from tipnet.auth.roles import Role
    from tipnet.auth.sources import SourceCache

    path = tmp_path / "long.csv"
    path.write_text(LONG, encoding="utf-8")
    doc = ("name: long\nkind: aggregates\nsource: DIF\ncountry: {column: pais}\nyear: anio\n"
           "month: {column: mes}\nvalue: victimas\nthousands: '.'\n")
    profile = tmp_path / "long.yaml"
    profile.write_text(doc, encoding="utf-8")
    report = import_file(path, sqlite_db, ImportOptions(profile=str(profile)), settings)
    assert report.file_error is not None and report.file_error.code == "owner-needed"
    assert "--country" in report.file_error.message and "public: true" in report.file_error.message
    assert report.submission_id is None and count_aggregates(sqlite_db) == 0
    profile.write_text(doc + "public: true\n", encoding="utf-8")
    report = import_file(path, sqlite_db, ImportOptions(profile=str(profile)), settings)
    assert report.rows_accepted == 4 and count_aggregates(sqlite_db) == 4
    peruvian = Principal(via=Via.SESSION, user_id=99, email="a@per", role=Role.ANALYST, country="PER")
    rows = national(SourceCache(sqlite_db).for_principal(peruvian), ("country",))
    assert [(r["country"], r["victims_min"], r["victims_max"]) for r in rows] == [("MEX", 1241, 1244)]


def test_a_missing_column_writes_nothing(sqlite_db, settings, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("Año,Clave_Ent,Subtipo de delito\n2024,9,Trata de personas\n", encoding="utf-8")
    report = import_file(path, sqlite_db, ImportOptions(profile=PROFILE), settings)
    assert report.file_error is not None and report.file_error.code == "missing-source-column"
    assert report.submission_id is None and count_aggregates(sqlite_db) == 0
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar_one() == 0


@pytest.mark.parametrize("extra, reason", [
    ("source: GLOTIP\nyear: A\nvalue: V\n", "GLOTIP"),
    ("source: X\nyear: A\nvalue: V\nmonths: [Enero]\n", "either"),
    ("source: X\nyear: A\nvalue: V\nsex: {column: S, values: {F: femme}}\n", "femme"),
])
def test_a_profile_that_cannot_work_is_refused(tmp_path, extra, reason):
    profile = tmp_path / "p.yaml"
    profile.write_text("name: p\nkind: aggregates\ncountry: MEX\n" + extra, encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text("A,V\n2024,1\n", encoding="utf-8")
    report = validate_file(table, ImportOptions(profile=str(profile)))
    assert report.file_error is not None and report.file_error.code == "invalid-profile"
    assert reason in report.file_error.message


def test_command_line_import_and_national_statistics(tmp_path, monkeypatch):
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(SESNSP), "--profile", PROFILE, "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["rows_total"], doc["rows_accepted"], doc["rows_filtered"]) == (42, 42, 420)
    result = runner.invoke(app, ["stats", "--source", "national", "--by", "subdivision,year,sex", "--country", "MEX",
                                 "--year", "2023", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    expected: Counter[tuple[str, str]] = Counter()
    for r in _trata():
        if r["Año"] == "2023":
            expected[(STATES[r["Clave_Ent"]], SEX[r["Sexo"]])] += sum(int(r[m]) for m in MONTHS)
    got = {(r["subdivision"], r["sex"]): r["victims"] for r in json.loads(result.stdout)}
    assert got == dict(expected)
    bad = runner.invoke(app, ["stats", "--source", "national", "--prefer", "MEX", "--db", url])
    assert bad.exit_code == 2


def test_readme_national_table_example_is_a_working_profile(tmp_path, monkeypatch):
    import re
    import shlex

    import yaml

    from tipnet.ingest.aggregate_profile import profile_from_doc

    readme = (FIXTURES.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### National statistics tables"):]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert snippet is not None
    profile = profile_from_doc(yaml.safe_load(snippet.group(1)))
    assert (profile.source, profile.country.fixed, len(profile.wide)) == ("SESNSP", "MEX", 12)
    monkeypatch.chdir(FIXTURES.parent.parent)
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    line = next(ln for ln in section.splitlines() if ln.startswith(".venv/bin/tipnet import"))
    result = CliRunner().invoke(app, [*shlex.split(line)[1:], "--db", f"sqlite:///{tmp_path / 'r.db'}", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows_accepted"] == 42


def test_glotip_readers_read_glotip_figures_only(sqlite_db):
    from tipnet.routes import glotip_flows

    with sqlite_db.engine.begin() as conn:
        sid = conn.execute(submissions.insert().values(
            kind="aggregates", profile="x", standard_version="1", filename="x", content_sha256="x" * 64,
            rows_total=2, rows_accepted=2, rows_quarantined=0, report_json="{}", created_at=func.now(),
        ).returning(submissions.c.id)).scalar_one()
        for n, (source, value) in enumerate((("GLOTIP", 12), ("FGR", 30)), start=1):
            conn.execute(aggregates.insert().values(
                submission_id=sid, source_row=n, area_code="MEX", area_kind="country", country="MEX",
                indicator="detected_victims", dimension="citizenship", category="Guatemala", category_code="GTM",
                category_kind="country", sex="total", age="total", year=2022, value=value, value_min=value,
                value_max=value, censored=False, raw_value=str(value), source=source))
    flows = glotip_flows(StatsSource(sqlite_db))
    assert [(f["origin"], f["victims"]) for f in flows] == [("GTM", 12)]  # never 12 + 30
    side = national(StatsSource(sqlite_db), ("citizenship",))
    assert sorted((r["source"], r["victims"]) for r in side) == [("FGR", 30), ("GLOTIP", 12)]
