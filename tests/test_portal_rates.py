"""The public portal's rates per 100,000 and release titles in the reader's language.

A rate is computed from the published table only: the release package's count divided by the population of the same
country and year (the World Bank table shipped with the package), times 100,000. A suppressed count has no rate -
a rate beside it would give the suppressed number back. Both are checked against the package's CSV and the
population CSV read here with the csv module, not through the code under test.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_public_portal import _import, _write

from tipnet.auth.principal import system
from tipnet.auth.publishers import PublisherSources
from tipnet.demo.release import TITLE, TITLES, demo_spec
from tipnet.disclosure.release import Releases
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web.app import create_app


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Peru (600 victims over 2021-2023), Bolivia (7: its years fall under the threshold and are suppressed) and
    three smaller countries, shared with the hub; the demo's release spec (its tables and its titles) published."""
    root = tmp_path_factory.mktemp("rates")
    settings = Settings.from_env(home=root / "home")
    db = Database(f"sqlite:///{root / 'tipnet.db'}")
    db.upgrade()
    _import(db, settings, _write(root / "per.csv", 600, 11, "PER"), "PER", True)
    _import(db, settings, _write(root / "bol.csv", 7, 12, "BOL"), "BOL", True)
    for n, country in enumerate(("COL", "ECU", "CHL")):  # others to carry the secondary suppression of Bolivia's
        _import(db, settings, _write(root / f"{country}.csv", 90 + 10 * n, 13 + n, country), country, True)
    releases = Releases(db, PublisherSources(db), settings.home, system("test"))
    rel = releases.publish(releases.create(demo_spec())["id"])
    yield {"client": TestClient(create_app(db, settings)), "release": rel}
    db.dispose()


def _package_counts(rel: dict) -> dict[tuple[str, str], int | None]:  # type: ignore[type-arg]
    with (Path(rel["package_path"]) / "data" / "country_year.csv").open(encoding="utf-8", newline="") as fh:
        return {(r["country"], r["year"]): (int(r["victims"]) if r["victims"] else None) for r in csv.DictReader(fh)}


def _population() -> dict[tuple[str, str], int]:
    path = resources.files("tipnet.stats").joinpath("data", "population.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["Country Code"], r["Year"]): int(r["Value"]) for r in csv.DictReader(fh)}


@pytest.mark.parametrize("country", ["PER", "ECU", "BOL"])
def test_rate_is_the_published_count_over_population_and_none_for_a_suppressed_cell(published, country):
    counts, population = _package_counts(published["release"]), _population()
    g = next(t for t in published["client"].get(f"/statistics/{country}.json").json()["tables"]
             if t["table"] == "country_year")
    years = {y: v for (c, y), v in counts.items() if c == country and y != "_all"}
    if all(v is None for v in years.values()):  # Bolivia: every year suppressed, so no rate at all
        assert "rates" not in g and not any("rate" in row for row in g["rows"])
        return
    assert g["rates"]["per"] == 100_000 and "World Bank" in g["rates"]["source"]
    for row in g["rows"]:
        year = row["codes"][0]
        count = counts[(country, year)]
        assert row["cells"][0]["value"] == count
        if year == "_all":
            assert row["rate"] is None  # several years: no single population to divide by
        elif count is None:
            assert row["rate"] is None  # suppressed: no rate to give the count back
        else:
            assert row["rate"] == pytest.approx(count / population[(country, year)] * 100_000, rel=1e-12)


def test_rates_on_the_page_and_in_the_csv_carry_their_unit(published):
    client = published["client"]
    counts, population = _package_counts(published["release"]), _population()
    year = max(y for (c, y), v in counts.items() if c == "PER" and y != "_all" and v is not None)
    expected = counts[("PER", year)] / population[("PER", year)] * 100_000  # type: ignore[operator]
    html = client.get("/statistics/PER?lang=es").text
    assert "Tasa por 100.000 habitantes" in html and "World Bank" in html
    assert f'data-rate="{expected}"' in html
    rows = list(csv.reader(io.StringIO(client.get("/statistics/PER/country_year.csv?lang=en").text)))
    assert rows[0][-1] == "Rate per 100,000 inhabitants"
    assert {r[0]: r[-1] for r in rows[1:]}[year] == f"{expected:.2f}"
    hemisphere = client.get("/statistics.json").json()
    assert hemisphere["rates"]["year"] == int(year)
    per = next(c for c in hemisphere["countries"] if c["code"] == "PER")
    assert per["rate"] == pytest.approx(expected, rel=1e-12)
    for c in hemisphere["countries"]:  # each country's rate is its own published count of that year, or none
        count = counts[(c["code"], year)]
        assert (c["rate"] is None) == (count is None)


@pytest.mark.parametrize("lang", ["en", "es", "fr", "pt"])
def test_release_title_is_shown_in_the_page_language(published, lang):
    client, rel = published["client"], published["release"]
    title = TITLES.get(lang, TITLE)
    assert client.get(f"/statistics.json?lang={lang}").json()["release"]["title"] == title
    assert title in client.get(f"/statistics?lang={lang}").text
    assert title in client.get(f"/releases?lang={lang}").text
    assert client.get(f"/releases/{rel['id']}.json?lang={lang}").json()["title"] == title
    others = {TITLE, *TITLES.values()} - {title}
    page = client.get(f"/releases?lang={lang}").text
    assert not any(o in page for o in others)
