"""The statistics explorer of the signed-in pages (/stats, /countries/{iso3}): a period, breakdowns, tables in the
page's language and their CSV/XLSX downloads, checked against the command line over the hand-counted fixture
(tests/fixtures/stats_small.csv: PER, 2020: 3 victims, 2021: 3 victims)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from auth_helpers import signed_in_client
from openpyxl import load_workbook
from typer.testing import CliRunner

from tipnet.cli.commands import app as cli
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

FIX = Path(__file__).parent / "fixtures"
# the English words a reader sees for the CLI's codes, written out by hand from the vocabularies and the catalogue
EN = {"sex": {"female": "Female", "male": "Male", "_all": "Total"},
      "form_group": {"sexual": "Sexual exploitation", "labour": "Forced labour", "not_recorded": "Not recorded",
                     "other": "Other purposes", "_all": "Total"}}


@pytest.fixture
def db(sqlite_db, settings):
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)
    return sqlite_db


@pytest.fixture
def client(db, settings):
    return signed_in_client(create_app(db, settings), db, "analyst", "PER")[0]


def _cli(db, *args: str) -> dict[str, int]:
    """The command line's figures: `tipnet stats ... --csv` read back as code -> victims."""
    result = CliRunner().invoke(cli, ["stats", *args, "--db", db.url, "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    dim = next(iter(rows[0]))
    return {r[dim]: int(r["victims"]) for r in rows}


def _csv(client, url: str) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.text)))


@pytest.mark.parametrize("year", ["2020", "2021"])
@pytest.mark.parametrize("dim", ["sex", "form_group"])
def test_a_year_and_its_csv_give_the_cli_figures(client, db, year, dim):
    expected = _cli(db, "--by", dim, "--country", "PER", "--year", year)
    words = EN[dim]
    want = {words[code]: n for code, n in expected.items()}
    rows = _csv(client, f"/countries/PER/table.csv?year={year}&by={dim}&table={dim}&lang=en")
    assert rows[0][:3] == [{"sex": "Sex", "form_group": "Form of exploitation (group)"}[dim], "Victims",
                           "Share of victims (%)"]
    assert {r[0]: int(r[1]) for r in rows[1:]} == want
    # the page shows the same table (same labels, same numbers) for the same query
    doc = client.get(f"/countries/PER.json?year={year}&by={dim}&lang=en").json()
    (table,) = doc["explorer"]["tables"]
    assert {r["label"]: r["victims"] for r in table["rows"]} == want
    assert [r["label"] for r in table["rows"]] == [r[0] for r in rows[1:]]  # same order
    html = client.get(f"/countries/PER?year={year}&by={dim}&lang=en").text
    for label, n in want.items():
        assert re.search(rf">{re.escape(label)}</th>\s*<td class=\"num\">{n}</td>", html), (label, n)


def test_a_range_sums_its_years_and_last_is_the_newest_year(client, db):
    both = {k: _cli(db, "--by", "sex", "--country", "PER", "--year", y) for k, y in (("a", "2020"), ("b", "2021"))}
    rows = _csv(client, "/countries/PER/table.csv?from=2020&to=2021&by=sex&lang=en")
    got = {r[0]: int(r[1]) for r in rows[1:]}
    assert got == {EN["sex"][c]: both["a"].get(c, 0) + both["b"].get(c, 0) for c in set(both["a"]) | set(both["b"])}
    last = client.get("/countries/PER.json?year=last&by=sex").json()["explorer"]
    assert last["span"] == [2021, 2021] and last["asked"]["year"] == "last"
    assert {r["code"]: r["victims"] for r in last["tables"][0]["rows"]} == {"female": 2, "male": 1, "_all": 3}


def test_xlsx_is_the_csv_with_numbers_as_numbers(client):
    query = "year=2021&by=sex&by=form_group&table=form_group&lang=es"
    rows = _csv(client, f"/countries/PER/table.csv?{query}")
    r = client.get(f"/countries/PER/table.xlsx?{query}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == rows[0] and cells[0][0] == "Forma de explotación (grupo)"
    assert len(cells) == len(rows)
    for got, want in zip(cells[1:], rows[1:], strict=True):
        assert got[0] == want[0]
        assert isinstance(got[1], int) and got[1] == int(want[1])
        assert isinstance(got[2], (int, float)) and got[2] == float(want[2])  # 100.0 reads back as 100


def test_spanish_page_has_names_labels_and_spanish_numbers_no_codes(client):
    html = client.get("/countries/PER?year=2021&lang=es").text
    assert "<h1>Perú</h1>" in html
    assert ">Femenino</th>" in html and ">Masculino</th>" in html
    assert ">Niños, niñas y adolescentes (menores de 18)</th>" in html and ">Personas adultas</th>" in html
    assert ">Explotación sexual</th>" in html and ">Trabajo forzoso</th>" in html
    assert ">66,7</td>" in html  # 2 of 3 victims are women: a decimal comma
    assert "Tasa por 100.000 habitantes" in html
    codes = ("female", "male", "minor", "adult", "labour", "sexual", "other", "_all", "not_recorded", "unknown",
             "sexual_exploitation", "forced_labour", "PER", "VEN")
    raw = [c for c in re.findall(r">\s*([^<>]*?)\s*<", html) if c in codes]  # an element's whole text is a code
    assert not raw, raw
    text = re.sub(r"<[^>]+>", " ", html)  # what a reader sees (attributes, urls and the map's data left out)
    assert not re.search(r"\d[.,]\d{4}\b", text)  # no four-decimal figures


def test_the_shared_url_gives_the_same_table(client):
    first = client.get("/countries/PER.json?by=form_group,sex&from=2020&to=2021&lang=fr").json()["explorer"]
    assert first["url"] == "/countries/PER?from=2020&to=2021&by=form_group&by=sex&lang=fr"
    again = client.get(first["url"].replace("/countries/PER?", "/countries/PER.json?")).json()["explorer"]
    assert again["tables"] == first["tables"]
    assert [t["dim"] for t in first["tables"]] == ["form_group", "sex"]
    assert first["tables"][1]["csv"].startswith("/countries/PER/table.csv?from=2020&to=2021&by=form_group&by=sex")


@pytest.mark.parametrize("query,field", [
    ("year=abc", "year"), ("year=20211", "year"), ("year=2020&from=2019", "year"), ("from=2021&to=2020", "from"),
    ("by=shoe_size", "by"), ("by=sex&table=age_group", "table"), ("by=a,b,c,d,e", "by"),
])
def test_a_bad_parameter_is_a_422(client, query, field):
    for url in (f"/stats.json?{query}", f"/countries/PER.json?{query}", f"/countries/PER/table.csv?{query}",
                f"/stats/table.xlsx?{query}"):
        r = client.get(url)
        assert r.status_code == 422, (url, r.text)
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"] == "invalid-request"
        assert body["error"]["details"]["field"] == field
    page = client.get(f"/countries/PER?{query}&lang=es", headers={"accept": "text/html"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "Elija" in page.text or "no es" in page.text or "intervalo" in page.text


def test_overview_names_countries_and_offers_downloads(client):
    doc = client.get("/stats.json?year=2020&lang=es").json()["explorer"]
    (table,) = doc["tables"]
    assert table["dim"] == "country" and {r["label"]: r["victims"] for r in table["rows"]} == {"Perú": 3, "Total": 3}
    assert table["has_rate"] and table["rows"][0]["rate"] is not None
    html = client.get("/stats?year=2020&lang=es").text
    assert '<a href="/countries/PER">Perú</a>' in html and 'class="xlsx"' in html and 'class="csv"' in html
    assert client.get("/stats/table.pdf?year=2020").status_code == 404


def test_routes_page_says_what_growth_and_score_are_and_formats_them(tmp_path, sqlite_db, settings):
    # VEN -> PER: 2 victims in 2018, 4 in 2020-2021 (one a child): growth +100 % between 2020-2021 and 2018-2019
    head = "record_id,case_id,role,sex,age,identification_date,citizenship,forms_of_exploitation,recruitment_country," \
           "transit_countries,exploitation_country,legal_status\n"
    rows = [(2018, 30), (2018, 31), (2020, 25), (2020, 26), (2021, 15), (2021, 40)]
    body = "".join(f"R{i},K{i},victim,female,{age},{year}-05-01,VEN,forced_labour,VEN,,PER,\n"
                   for i, (year, age) in enumerate(rows))
    (tmp_path / "route.csv").write_text(head + body, encoding="utf-8")
    import_file(tmp_path / "route.csv", sqlite_db, ImportOptions(country="PER"), settings)
    client = signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "PER")[0]
    from tipnet.routes.flows import CORRIDOR_WEIGHTS

    wv, wg, wc = CORRIDOR_WEIGHTS
    page = client.get("/routes?lang=es").text
    terms = re.search(r'<dd id="growth-help">(.*?)</dd>', page, re.S)
    assert terms and "entre 2020–2021 y los dos años anteriores (2018–2019)" in terms.group(1)
    score_help = re.search(r'<dd id="score-help">(.*?)</dd>', page, re.S)
    assert score_help and f"{wv:.1f}".replace(".", ",") + " × víctimas" in score_help.group(1)
    row = re.search(r'<table id="corridors">.*?<tbody><tr>(.*?)</tr>', page, re.S)
    assert row
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    score = wv * 1 + wg * 1 + wc * (1 / 6)
    assert cells == ["1", "Venezuela", "Perú", "6", "16,7", "+100,0", f"{score:.2f}".replace(".", ",")]
    assert "0.1667" not in page and "VEN" not in row.group(1)
    empty = client.get("/routes?lang=es&country=BOL").text
    assert "Ninguno con 5 víctimas o más en esta selección." in empty


def test_key_figures_lead_with_the_newest_ended_year_not_the_running_one(db, settings, tmp_path):
    """A record dated in the running year does not make that year the headline (its first days say little); the
    chart still shows it."""
    import datetime as dt

    this_year = dt.date.today().year
    rows = (FIX / "stats_small.csv").read_text(encoding="utf-8").splitlines()
    late = rows[1].replace("V1,C1,", "V99,C99,").replace("2020-03-01", f"{this_year}-01-02")
    new = tmp_path / "running_year.csv"
    new.write_text("\n".join([rows[0], late]) + "\n", encoding="utf-8")
    assert import_file(new, db, ImportOptions(country="PER"), settings).rows_accepted == 1
    client = signed_in_client(create_app(db, settings), db, "analyst", "PER")[0]
    figures = client.get("/countries/PER.json").json()["key_figures"]
    assert (figures["year"], figures["victims"], figures["previous_year"], figures["previous"]) == (2021, 3, 2020, 3)
    assert figures["in_progress"] is False
    assert {b["year"]: b["victims"] for b in figures["series"]["bars"]}[this_year] == 1
