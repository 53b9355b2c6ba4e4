"""The public statistics portal (`/statistics`, `/statistics/{country}`): an anonymous visitor sees the figures of
published, disclosure-controlled releases only - the very cells of the release package, suppressed cells as
suppressed - in the page's language, and downloads each table as CSV; `tipnet demo` publishes a first release."""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from fastapi.testclient import TestClient

from tipnet.auth import audit, records
from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.publishers import PublisherSources
from tipnet.auth.roles import Role
from tipnet.demo.release import publish_demo_release
from tipnet.disclosure.cells import TableSpec
from tipnet.disclosure.release import Releases
from tipnet.disclosure.spec import ReleaseSpec
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.store.tables_auth import audit_log
from tipnet.web.app import create_app

HEADER = ["record_id", "case_id", "role", "sex", "age", "identification_date", "citizenship", "forms_of_exploitation",
          "exploitation_country", "consent_share_hub"]
TABLES = ("country,year", "country,sex", "country,age_group", "country,form_group")
THRESHOLD = 5


def _write(path: Path, n: int, seed: int, country: str) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            sex = rng.choice(["female"] * 5 + ["male"] * 3 + ["other"])
            w.writerow([f"{country}{i}", f"C{country}{i}", "victim", sex,
                        rng.choice([12, 16, 19, 25, 33, 41, 52, ""]), f"{rng.choice([2021, 2022, 2023])}-03-01",
                        rng.choice(["VEN", "PER", "COL", "BOL"]),
                        rng.choice(["sexual_exploitation", "forced_labour", "sexual_exploitation;forced_labour", ""]),
                        country, "true"])
    return path


def _import(db: Database, settings: Settings, path: Path, country: str, share: bool) -> None:
    report = import_file(path, db, ImportOptions(country=country), settings)
    assert report.submission_id is not None and report.rows_quarantined == 0
    if share:
        who = Principal(via=Via.SESSION, email=f"analyst@{country.lower()}.test", role=Role.ANALYST, country=country)
        records.set_shared(db, who, report.submission_id, True)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A demo-like store: Peru (10,400 victims) and Bolivia (45) shared with the hub, Colombia (30) kept national;
    the hub's release published, then a newer draft that must never show."""
    root = tmp_path_factory.mktemp("portal")
    settings = Settings.from_env(home=root / "home")
    db = Database(f"sqlite:///{root / 'tipnet.db'}")
    db.upgrade()
    _import(db, settings, _write(root / "per.csv", 10_400, 1, "PER"), "PER", True)
    _import(db, settings, _write(root / "bol.csv", 45, 2, "BOL"), "BOL", True)
    _import(db, settings, _write(root / "col.csv", 30, 3, "COL"), "COL", False)
    releases = Releases(db, PublisherSources(db), settings.home, system("test"))
    spec = ReleaseSpec("Victims 2021-2023", "threshold", tuple(TableSpec.parse(t) for t in TABLES))
    published = releases.publish(releases.create(spec)["id"])
    draft = releases.create(ReleaseSpec("Not yet", "threshold", (TableSpec.parse("country,sex"),)))
    client = TestClient(create_app(db, settings))
    yield {"db": db, "settings": settings, "client": client, "published": published, "draft": draft}
    db.dispose()


def _package(rel: dict, table: str) -> list[dict[str, str]]:  # type: ignore[type-arg]
    """A table as the release package holds it, read here with the csv module (not through the code under test)."""
    with (Path(rel["package_path"]) / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _expected(rel: dict, table: str, area: str) -> dict[tuple[str, ...], int | None]:  # type: ignore[type-arg]
    dims = [d for d in table.split("_", 1)[1:] if d]  # country_sex -> ['sex'], country_age_group -> ['age_group']
    return {tuple(r[d] for d in dims): (int(r["victims"]) if r["victims"] else None)
            for r in _package(rel, table) if r["country"] == area}


def _shown(grid: dict) -> dict[tuple[str, ...], int | None]:  # type: ignore[type-arg]
    return {tuple(r["codes"]): r["cells"][0]["value"] for r in grid["rows"]}


@pytest.mark.parametrize("area,path", [("_all", "/statistics.json"), ("PER", "/statistics/PER.json"),
                                       ("BOL", "/statistics/bol.json")])
def test_anonymous_visitor_sees_the_published_cells(portal, area, path):
    rel, client = portal["published"], portal["client"]
    page = client.get(path)
    assert page.status_code == 200
    data = page.json()
    assert data["release"]["id"] == rel["id"]
    grids = {g["table"]: g for g in data["tables"]}
    assert set(grids) == {t.replace(",", "_") for t in TABLES}
    for table, g in grids.items():
        expected = _expected(rel, table, area)
        assert _shown(g) == expected, table
        assert any(v for v in expected.values())  # figures, not an empty page
    if area == "_all":  # the member states' totals, each the package's cell of that country
        totals = {r["country"]: (int(r["victims"]) if r["victims"] else None) for r in _package(rel, "country_year")
                  if r["year"] == "_all" and r["country"] != "_all"}
        assert {c["code"]: c["value"] for c in data["countries"]} == totals
        assert "COL" not in totals  # Colombia did not share: the hub's release has nothing of it


@pytest.mark.parametrize("area", ["hemisphere", "PER"])
def test_csv_download_is_the_table_as_shown_with_the_package_numbers(portal, area):
    rel, client = portal["published"], portal["client"]
    page = client.get(f"/statistics{'' if area == 'hemisphere' else '/' + area}?lang=en")
    assert f'href="/statistics/{area}/country_sex.csv?lang=en"' in page.text
    got = client.get(f"/statistics/{area}/country_sex.csv?lang=en")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["Sex", "Victims"]
    labels = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown", "_all": "Total"}
    expected = {labels[k[0]]: ("suppressed" if v is None else str(v))
                for k, v in _expected(rel, "country_sex", "_all" if area == "hemisphere" else area).items()}
    assert dict(rows[1:]) == expected  # type: ignore[arg-type]
    assert rows[-1][0] == "Total"
    files = client.get(f"/releases/{rel['id']}/files/data/country_sex.csv")
    assert files.status_code == 200 and files.text == (Path(rel["package_path"]) / "data" / "country_sex.csv"
                                                       ).read_text(encoding="utf-8")
    assert f'href="/releases/{rel["id"]}/files/data/country_sex.csv"' in page.text  # the package files are linked


def test_an_unpublished_release_is_never_shown(portal, sqlite_db, settings):
    client, draft = portal["client"], portal["draft"]
    assert draft["status"] == "draft" and draft["id"] > portal["published"]["id"]
    assert client.get("/statistics.json").json()["release"]["id"] == portal["published"]["id"]
    for path in (f"/statistics.json?release={draft['id']}", f"/statistics/PER.json?release={draft['id']}",
                 f"/statistics/hemisphere/country_sex.csv?release={draft['id']}"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not-found", path
    empty = TestClient(create_app(sqlite_db, settings))  # a store with no published release: no figures at all
    page = empty.get("/statistics")
    assert page.status_code == 200 and "No statistics have been published yet" in page.text
    assert empty.get("/statistics/hemisphere/country_sex.csv").status_code == 404


def test_no_figure_below_the_threshold_appears(portal):
    client, rel = portal["client"], portal["published"]
    suppressed = 0
    for path in ("/statistics", "/statistics/PER", "/statistics/BOL"):
        data = client.get(path + ".json").json()
        cells = [c for g in data["tables"] for r in g["rows"] for c in r["cells"] if c]
        cells += [c for c in data["countries"]]
        assert cells and all(c["value"] is None or not 1 <= c["value"] < THRESHOLD for c in cells), path
        suppressed += sum(c["value"] is None for c in cells)
        html = client.get(path).text
        shown = re.findall(r'<td class="num" data-status="[a-z]*">([^<]*|<abbr[^>]*>[^<]*</abbr>)</td>', html)
        numbers = [int(s.replace(",", "")) for s in shown if not s.startswith("<abbr")]
        assert numbers and all(not 1 <= n < THRESHOLD for n in numbers), path
        if any(s.startswith("<abbr") for s in shown):
            assert "a count from 1 to 4 is never published" in html
    assert suppressed > 0  # Bolivia's 45 victims leave small cells: they are hidden, not shown
    hidden = [r for t in TABLES for r in _package(rel, t.replace(",", "_")) if r["country"] == "BOL"
              and r["status"] == "confidential"]
    assert hidden and all(r["victims"] == "" for r in hidden)
    assert client.get("/statistics/BOL").text.count('<abbr class="suppressed"') == len(hidden)


def test_spanish_page_names_countries_labels_codes_and_writes_numbers_in_spanish(portal):
    client, rel = portal["client"], portal["published"]
    page = client.get("/statistics/PER?lang=es")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    text = page.text
    assert "<h1>Perú</h1>" in text
    for label in ("Femenino", "Masculino", "Niños, niñas y adolescentes", "Personas adultas", "Explotación sexual",
                  "Trabajo forzoso", "Víctimas por sexo", "Descargar esta tabla (CSV)"):
        assert label in text, label
    for code in (">female<", ">minor<", ">labour<", ">sexual<", ">_all<"):
        assert code not in text, code
    total = _expected(rel, "country_sex", "PER")[("_all",)]
    assert total is not None and total >= 10_000
    assert format_decimal(total, locale="es") in text and f"{total:,}" not in text
    assert re.search(r"\d{1,2}\.\d{3}<", text)  # 10.400-style grouping, the Spanish way
    hemisphere = client.get("/statistics?lang=es").text
    assert '<a href="/statistics/PER?lang=es">Perú</a>' in hemisphere and "Bolivia" in hemisphere
    got = list(csv.reader(io.StringIO(client.get("/statistics/PER/country_age_group.csv?lang=es").text)))
    assert got[0] == ["Grupo de edad", "Víctimas"] and got[1][0] == "Niños, niñas y adolescentes (menores de 18)"


def test_anonymous_restricted_statistics_offer_the_public_portal(portal):
    client = TestClient(create_app(portal["db"], portal["settings"]))  # a new visitor: no language cookie
    home = client.get("/").text
    assert 'href="/statistics"' in home
    for path, link in (("/stats", "/statistics?lang=en"), ("/routes", "/statistics?lang=en"),
                       ("/countries/PER", "/statistics/PER?lang=en")):
        r = client.get(path)  # still the sign-in page (the figures there are restricted), now offering the portal
        assert r.status_code == 200 and r.url.path == "/login", path
        assert f'href="{link}"' in r.text, path
    assert "public-offer" not in client.get("/login").text
    r = client.get("/countries/PER", headers={"accept-language": "es-PE,es;q=0.9"})
    assert 'href="/statistics/PER?lang=es">ver las estadísticas públicas de Perú</a>' in r.text


def test_demo_publishes_its_first_release_through_the_audited_functions(portal):
    db, settings = portal["db"], portal["settings"]
    first = publish_demo_release(db, settings.home)
    assert first["created"] and first["cells"] > 0
    assert publish_demo_release(db, settings.home) == {"release": first["release"], "created": False}
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        acts = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor).where(
            audit_log.c.object_type == "release", audit_log.c.object_id == str(first["release"]))).all()
    assert sorted(a for a, _ in acts) == ["release.create", "release.publish"]
    assert all("demo" in actor for _, actor in acts) and audit.verify(db).ok
    data = portal["client"].get("/statistics.json").json()
    assert data["release"]["id"] == first["release"]  # the newest published release is the portal's
    assert any(r["cells"][0]["value"] for g in data["tables"] for r in g["rows"])


def test_a_package_file_changed_on_disk_is_refused_not_shown(portal):
    rel, client = portal["published"], portal["client"]
    path = Path(rel["package_path"]) / "data" / "country_sex.csv"
    original = path.read_bytes()
    path.parent.chmod(0o755)
    path.chmod(0o644)
    try:
        path.write_bytes(original.replace(b"PER,_all,", b"PER,_all,9", 1))  # a count altered
        for url in (f"/statistics/PER.json?release={rel['id']}",
                    f"/statistics/PER/country_sex.csv?release={rel['id']}"):
            r = client.get(url)
            assert r.status_code == 500 and r.json()["error"]["code"] == "integrity-error", url
    finally:
        path.write_bytes(original)
        path.chmod(0o444)
        path.parent.chmod(0o555)
    assert client.get(f"/statistics/PER.json?release={rel['id']}").status_code == 200
