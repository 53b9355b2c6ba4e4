"""`tipnet assess`: indicator frameworks, questionnaire imports, scorecards and national diagnostic reports.

Builds `tipnet.assess` objects and renders what they return; no logic lives here. The command line acts as the
operator (the whole store is in scope).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import DbOption, JsonOption, exits, fail, operator
from tipnet.cli.common import open_db as _db
from tipnet.cli.render import console, emit_json

assess_app = typer.Typer(help="Progress indicators and national diagnostic assessments.", no_args_is_help=True)

FrameworkOption = typer.Option(None, "--framework", "-f",
                               help="Built-in framework id or YAML file (default: oas-2009).")
LangOption = typer.Option("en", "--lang", help="Language of labels and reports: en, es, fr, pt.")


def _framework(name: str | None) -> Any:
    from tipnet.assess import framework as fwmod

    try:
        return fwmod.get(name)
    except (KeyError, fwmod.FrameworkError) as exc:
        fail(str(exc))


def _pct(pair: Any) -> str:
    from tipnet.assess.report import pct

    return pct(pair)


def _t(lang: str) -> Any:
    from tipnet.i18n import translate

    return lambda key, **kw: translate(lang, key, **kw)


@assess_app.command("framework")
@exits
def framework_cmd(
    framework: str = typer.Argument(None, help="Built-in framework id or a YAML file to check (default: oas-2009)."),
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a framework (domains, milestones, indicators, the recommendations they cite); a file is checked first."""
    fw = _framework(framework)
    doc = fw.to_dict(lang)
    if as_json:
        emit_json(doc)
        return
    console.print(f"[bold]{doc['title']}[/bold] ({fw.key}): {len(fw.indicators())} indicators, "
                  f"{len(fw.questions())} answered in the questionnaire, {len(fw.computed())} computed")
    table = Table("domain", "milestone", "indicator", "kind", "scale", "recommendations")
    for d in doc["domains"]:
        for m in d["milestones"]:
            for i in m["indicators"]:
                table.add_row(d["label"], m["label"], i["label"], i["kind"], i["statistic"] or i["scale"],
                              ", ".join(str(r) for r in i["recommendations"]))
    console.print(table)


@assess_app.command("import")
@exits
def import_cmd(
    file: Path = typer.Argument(..., help="Questionnaire as YAML, JSON or CSV."),
    country: str = typer.Option(None, "--country", help="ISO3 code (else the file's)."),
    year: int = typer.Option(None, "--year", help="Year (else the file's)."),
    framework: str = FrameworkOption,
    submit: bool = typer.Option(False, "--submit", help="Submit after importing (freezes the year's figures)."),
    db_url: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a self-assessment questionnaire as a new draft version (every earlier version is kept)."""
    from tipnet.assess import service
    from tipnet.assess.questionnaire import QuestionnaireError, read
    from tipnet.stats import StatsSource

    fw = _framework(framework)
    try:
        q = read(file, fw)
    except QuestionnaireError as exc:
        fail(str(exc))
    code = (country or q.country or "").upper()
    when = year or q.year
    if len(code) != 3 or when is None:
        fail("give the country and the year (in the file or with --country and --year)")
    db = _db(db_url)
    me = operator()
    saved = service.save_answers(db, me, fw, code, when, q.answers, action="import")
    result: dict[str, Any] = {"country": code, "year": when, "framework": fw.key, "version": saved["version"],
                              "answers": len(q.answers), "status": saved["status"]}
    if submit:
        result.update(service.submit(db, me, StatsSource(db), fw, code, when))
    if as_json:
        emit_json(result)
    else:
        console.print(f"{code} {when}: {len(q.answers)} answers imported as version {saved['version']} "
                      f"({result['status']})")


@assess_app.command("score")
@exits
def score_cmd(
    year: int = typer.Option(..., "--year", help="The year scored."),
    country: list[str] = typer.Option(None, "--country", help="ISO3 code; repeat for several (default: every OAS "
                                                                "member state)."),
    file: Path = typer.Option(None, "--file", help="Score this questionnaire file instead of the stored answers."),
    framework: str = FrameworkOption,
    db_url: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Scorecards recomputed from the store (computed indicators from microdata, else GLOTIP), comparable across
    countries."""
    from tipnet.assess import service
    from tipnet.assess.questionnaire import QuestionnaireError, read
    from tipnet.assess.scoring import score
    from tipnet.assess.statistics import FigureBook
    from tipnet.standard.countries import OAS_MEMBERS
    from tipnet.stats import StatsSource

    fw = _framework(framework)
    db = _db(db_url)
    source = StatsSource(db)
    countries = [c.upper() for c in country] if country else list(OAS_MEMBERS)
    if file is not None:
        try:
            q = read(file, fw)
        except QuestionnaireError as exc:
            fail(str(exc))
        book = FigureBook.from_source(source)
        rows: list[dict[str, Any]] = [{"country": c, "year": year, "status": "file",
                 "scorecard": score(fw, service.answer_values(q.answers), book.get(c, year))} for c in countries]
    else:
        rows = service.recompute(db, operator(), source, fw, year, countries)
    if as_json:
        emit_json([{**r, "scorecard": r["scorecard"].to_dict()} for r in rows])
        return
    table = Table("country", "status", "total", "rating", *[d.id for d in fw.domains], "figures")
    for r in rows:
        card = r["scorecard"]
        sources = sorted({f.source for f in card.figures.values() if f.source and f.source != "population"})
        table.add_row(r["country"], r["status"] or "-", _pct(card.total), card.rating[0] or "",
                      *[_pct(card.domains[d.id]) for d in fw.domains], ", ".join(sources) or "none")
    console.print(table)


@assess_app.command("report")
@exits
def report_cmd(
    country: str = typer.Option(..., "--country", help="ISO3 code."),
    year: int = typer.Option(None, "--year", help="Year (default: the latest published)."),
    out: Path = typer.Option(Path("."), "--out", help="Folder for the HTML and PDF files."),
    draft: bool = typer.Option(False, "--draft", help="Report on the newest version, not the published one "
                                                      "(a preview: figures not disclosure-controlled)."),
    framework: str = FrameworkOption,
    lang: str = LangOption,
    db_url: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the national diagnostic assessment of a country and year as HTML and PDF."""
    from tipnet.assess import repo, report, service
    from tipnet.assess.statistics import FigureBook
    from tipnet.standard.countries import country_name
    from tipnet.stats import StatsSource

    fw = _framework(framework)
    db = _db(db_url)
    code = country.upper()
    t = _t(lang)
    pubs = repo.published(db, fw.id, code)
    if draft:
        if year is None:
            fail("--draft needs --year")
        book = FigureBook.from_source(StatsSource(db))
        now = service.live(db, operator(), None, fw, code, year, book)
        card = now["scorecard"].to_dict()
        earlier_pub = [p for p in pubs if p["year"] < year]
        data = report.build(fw, code, country_name(code, lang), year, card, lang,
                            earlier_pub[-1]["scorecard"] if earlier_pub else None,
                            earlier_pub[-1]["year"] if earlier_pub else None, published=False)
    else:
        chosen = [p for p in pubs if year is None or p["year"] == year]
        if not chosen:
            fail(f"no published assessment of {code}{' for ' + str(year) if year else ''}; use --draft for a preview")
        p = chosen[-1]
        earlier = [q for q in pubs if q["year"] < p["year"]]
        data = report.build(fw, code, country_name(code, lang), p["year"], p["scorecard"], lang,
                            earlier[-1]["scorecard"] if earlier else None, earlier[-1]["year"] if earlier else None,
                            published=True, trend=service.trend(db, fw, code))
    out.mkdir(parents=True, exist_ok=True)
    stem = f"assessment-{code}-{data['year']}-{lang}{'-draft' if draft else ''}"
    chart = report.domain_chart(data, out / f"{stem}-domains.png", t)
    hemi = service.hemisphere(db, fw, data["year"])
    values = {r["country"]: (r["total"][0] + r["total"][1]) / 2 * 100 for r in hemi["countries"]}
    map_png = report.hemisphere_map(values, out / f"{stem}-map.png", t, lang)
    trend = report.trend_chart(data, out / f"{stem}-trend.png", t)
    pdf = report.pdf(data, out / f"{stem}.pdf", t, chart, map_png, trend)
    html = out / f"{stem}.html"
    html.write_text(report.html(data, t, lang, chart, map_png, trend), encoding="utf-8")
    result = {"pdf": str(pdf), "html": str(html), "chart": str(chart), "map": str(map_png),
              "total": data["total"], "rating": data["rating"], "published": data["published"]}
    if as_json:
        emit_json(result)
    else:
        console.print(f"{code} {data['year']}: {_pct(data['total'])} / 100 ({data['rating_label']}); "
                      f"wrote {pdf} and {html}")
