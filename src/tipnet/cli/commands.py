"""Command line: builds core objects, calls them, renders the result. No logic lives here."""

from __future__ import annotations

import json
import logging
import os
from enum import StrEnum
from pathlib import Path

import typer

from tipnet.auth.records import import_submission
from tipnet.cli.assess import assess_app
from tipnet.cli.auth import audit_app, user_app
from tipnet.cli.common import DbOption, JsonOption, exits, fail, operator, stats_source
from tipnet.cli.common import open_db as _db
from tipnet.cli.compendium import compendium_app, registry_app
from tipnet.cli.coop import coop_app
from tipnet.cli.link import link_app
from tipnet.cli.messaging import message_app
from tipnet.cli.mse import mse as mse_command
from tipnet.cli.node import hub_app, node_app
from tipnet.cli.release import release_app
from tipnet.cli.render import console, emit_json, report_table
from tipnet.cli.review import review_app
from tipnet.ingest.period import PeriodError
from tipnet.ingest.pipeline import ImportOptions, given_period, validate_file
from tipnet.settings import Settings

app = typer.Typer(help="tipnet: case data against trafficking in persons.", no_args_is_help=True)
standard_app = typer.Typer(help="The case-data standard.", no_args_is_help=True)
db_app = typer.Typer(help="The store.", no_args_is_help=True)
app.add_typer(standard_app, name="standard")
app.add_typer(db_app, name="db")
app.command("mse")(mse_command)
app.add_typer(release_app, name="release")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(link_app, name="link")
app.add_typer(assess_app, name="assess")
app.add_typer(message_app, name="message")
app.add_typer(compendium_app, name="compendium")
app.add_typer(registry_app, name="registry")
app.add_typer(node_app, name="node")
app.add_typer(hub_app, name="hub")
app.add_typer(coop_app, name="coop")
app.add_typer(review_app, name="review")



def _progress_import(path: Path, run):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(path.name, total=None)
        return run(lambda n: bar.advance(task, n))


@app.command()
def validate(
    file: Path = typer.Argument(..., help="CSV, XLSX, JSON or Parquet file."),
    profile: str = typer.Option(
        None, "--profile", "-p", help="Profile name or YAML mapping file (default: detect)."
    ),
    country: str = typer.Option(None, "--country", help="ISO3 code of the reporting country."),
    as_json: bool = JsonOption,
) -> None:
    """Check a file against the standard. Writes nothing; exits 1 when any row is invalid."""
    opts = ImportOptions(profile=profile, country=country.upper() if country else None)
    report = (
        validate_file(file, opts)
        if as_json
        else _progress_import(file, lambda p: validate_file(file, opts, progress=p))
    )
    emit_json(report.to_dict()) if as_json else report_table(report)
    raise typer.Exit(0 if report.valid else 1)


@app.command("import")
@exits
def import_(
    file: Path = typer.Argument(..., help="CSV, XLSX, JSON or Parquet file."),
    profile: str = typer.Option(
        None, "--profile", "-p", help="Profile name or YAML mapping file (default: detect)."
    ),
    country: str = typer.Option(None, "--country", help="ISO3 code of the reporting country."),
    organisation: str = typer.Option(None, "--organisation", help="Organisation submitting the file."),
    period: str = typer.Option(
        None, "--period", help="Period the file covers: 2023, 2023-04 or 2023-01-01..2023-06-30 "
        "(default: the span of the accepted rows' identification dates)."
    ),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a file: accepted rows are stored, rejected rows go to a quarantine file. One transaction."""
    opts = ImportOptions(
        profile=profile, country=country.upper() if country else None, organisation=organisation, period=period
    )
    try:
        given_period(opts)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    database, me = _db(db), operator()
    run = lambda p=None: import_submission(database, me, file, opts, progress=p)  # noqa: E731
    report = run() if as_json else _progress_import(file, run)
    if as_json:
        d = report.to_dict()
        emit_json(d)
    else:
        report_table(report)
    raise typer.Exit(1 if report.file_error is not None else 0)


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"
    htcds = "htcds"


@app.command()
@exits
def export(
    out: Path = typer.Argument(..., help="Output file."),
    format: ExportFormat = typer.Option(ExportFormat.csv, "--format", "-f"),  # noqa: A002
    country: str = typer.Option(None, "--country", help="Only this reporting country."),
    db: str = DbOption,
) -> None:
    """Export stored records in the flat layout (csv, parquet, json) or as an HTCDS 2.0 flat file (audited)."""
    from tipnet.auth.exports import export_records

    n = export_records(_db(db), operator(), out, format.value, country.upper() if country else None)
    console.print(f"{n} records written to {out}")


@app.command()
def submissions(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """List submissions with their row accounting (audited)."""
    from tipnet.auth.records import list_submissions

    rows = list_submissions(_db(db), operator())
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    t = Table("id", "kind", "country", "file", "profile", "total", "accepted", "quarantined", "created")
    for r in rows:
        cells = [str(r[k]) for k in ("id", "kind", "reporting_country", "filename", "profile", "rows_total",
                                     "rows_accepted", "rows_quarantined")]
        t.add_row(*cells, str(r["created_at"]).replace("T", " "))
    console.print(t)


def _emit_rows(rows: list[dict], as_json: bool, as_csv: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    if as_csv:
        import csv
        import sys

        from tipnet.standard.cells import neutralise_dict

        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(neutralise_dict(r) for r in rows)
        return
    from rich.table import Table

    if not rows:
        console.print("no figures")
        return
    table = Table(*rows[0].keys())
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r.values()))
    console.print(table)


@app.command()
def stats(
    by: str = typer.Option("country,year", "--by", help="Dimensions, comma-separated: country, year, sex, "
                           "age_group, age_band, form, form_group, citizenship, source_type."),
    source: str = typer.Option("microdata", "--source", help="microdata (case records), glotip, or national "
                               "(aggregate figures of every source, side by side: also by subdivision, period)."),
    prefer: str = typer.Option(None, "--prefer", help="national: one source per country, e.g. MEX=SESNSP,PER=INEI."),
    country: str = typer.Option(None, "--country", help="Only this country (ISO3)."),
    year: int = typer.Option(None, "--year", help="Only this year."),
    no_margins: bool = typer.Option(False, "--no-margins", help="Only the full-detail cells."),
    indicator: str = typer.Option("detected_victims", "--indicator",
                                  help="glotip: detected_victims, prosecuted, convicted, formal_contact, offences."),
    db: str = DbOption,
    as_json: bool = JsonOption,
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Victim counts (and rates per 100,000) by any dimensions, with all margins."""
    from tipnet.stats import CubeSpec
    from tipnet.stats.figures import glotip, victims
    from tipnet.stats.national import national, parse_prefer

    dims = tuple(d.strip() for d in by.split(",") if d.strip())
    filters: dict[str, str | int] = {}
    if country:
        filters["country"] = country.upper()
    if year is not None:
        filters["year"] = year
    src = stats_source(_db(db))
    try:
        if source == "glotip":
            rows = glotip(src, dims, indicator, filters)
        elif source == "national":
            rows = national(src, dims, indicator, filters, parse_prefer(prefer))
        else:
            rows = victims(src, CubeSpec(dims, margins=not no_margins, filters=filters))
    except ValueError as exc:
        fail(str(exc), exit_code=2)
    _emit_rows(rows, as_json, as_csv)


@app.command()
def routes(
    country: str = typer.Option(None, "--country", help="Routes touching this country (ISO3)."),
    year_from: int = typer.Option(None, "--from", help="First year."),
    year_to: int = typer.Option(None, "--to", help="Last year."),
    view: str = typer.Option("flows", "--view", help="flows, legs, borders, roles, corridors, summary, glotip."),
    min_victims: int = typer.Option(5, "--min-victims", help="Hide flows below this (UNODC shows flows at >= 5)."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Routes and flows: origin -> transit -> destination, land borders, country roles, corridor priorities."""
    from tipnet import routes as r

    src = stats_source(_db(db))
    f = r.RouteFilter(country=country.upper() if country else None, year_from=year_from, year_to=year_to)
    views = {
        "flows": lambda: r.flows(src, f, min_victims),
        "legs": lambda: r.legs(src, f, min_victims),
        "borders": lambda: r.border_crossings(src, f, min_victims),
        "roles": lambda: r.country_roles(src, f, min_victims),
        "corridors": lambda: r.corridors(src, f, min_victims),
        "summary": lambda: [r.summary(src, f)],
        "glotip": lambda: r.glotip_flows(src, f.country, None, min_victims),
    }
    if view not in views:
        fail(f"unknown view {view!r}; choose from {', '.join(views)}", exit_code=2)
    _emit_rows(views[view](), as_json, False)


@app.command("map")
def map_(
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .png, .svg or .html (self-contained)."),
    kind: str = typer.Option(None, "--kind", help="choropleth, flows or borders (default flows); with --level "
                             "subdivision: choropleth (default), flows, borders or hotspots."),
    country: str = typer.Option(None, "--country", help="Frame one country (ISO3) and its routes."),
    year_from: int = typer.Option(None, "--from"),
    year_to: int = typer.Option(None, "--to"),
    lang: str = typer.Option("en", "--lang", help="Language of names, legend and notes: en, es, fr or pt."),
    level: str = typer.Option("country", "--level", help="country, or subdivision (a choropleth of victims by "
                              "first-level subdivision; under 5 victims never shown)."),
    event: str = typer.Option("recruitment", "--event", help="With --level subdivision: recruitment or "
                              "exploitation."),
    sex: str = typer.Option(None, "--sex", help="With --level subdivision: female, male, other or unknown."),
    age_group: str = typer.Option(None, "--age-group", help="With --level subdivision: minor, adult or unknown."),
    form: str = typer.Option(None, "--form", help="With --level subdivision: a form of exploitation code."),
    db: str = DbOption,
) -> None:
    """Draw a map offline (nothing is fetched): choropleth of victims per 100,000, flows, or border crossings."""
    from tipnet.i18n import LANGUAGES
    from tipnet.routes.mapping import render

    if lang not in LANGUAGES:
        fail(f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}", exit_code=2)
    if level not in ("country", "subdivision"):
        fail(f"unknown level {level!r}; choose from country, subdivision", exit_code=2)
    try:
        if level == "subdivision":
            from tipnet.maps.area_query import AreaFilter
            from tipnet.maps.subdivision_map import render_subdivision_map

            if out.suffix.lower() not in (".png", ".svg", ".html"):
                raise ValueError("a subdivision map is written as .png, .svg or .html")
            path = render_subdivision_map(_db(db), out, country=country, event=event, year_from=year_from,
                                          year_to=year_to, lang=lang, kind=kind or "choropleth",
                                          filt=AreaFilter(sex=sex, age_group=age_group, form=form))
        else:
            path = render(stats_source(_db(db)), kind or "flows", out, country=country.upper() if country else None,
                          year_from=year_from, year_to=year_to, lang=lang)
    except ValueError as exc:
        fail(str(exc), exit_code=2)
    console.print(f"map written to {path}")


@standard_app.command("schema")
def standard_schema(
    kind: str = typer.Argument("json", help="json (JSON Schema) or table (Frictionless Table Schema)."),
    out: Path = typer.Option(None, "--out", "-o"),
) -> None:
    """Print or write the generated schema."""
    from tipnet.standard.schemas import json_schema, table_schema

    doc = table_schema() if kind == "table" else json_schema()
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@standard_app.command("dictionary")
def standard_dictionary(
    lang: str = typer.Option("en", "--lang", help="en, es, fr or pt."),
    html: bool = typer.Option(False, "--html", help="HTML instead of Markdown."),
    out: Path = typer.Option(None, "--out", "-o"),
) -> None:
    """Print or write the data dictionary."""
    from tipnet.standard.schemas import dictionary_html, dictionary_markdown

    text = dictionary_html(lang) if html else dictionary_markdown(lang)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@db_app.command("upgrade")
def db_upgrade(db: str = DbOption) -> None:
    """Create or migrate the schema to the newest version."""
    _db(db)
    console.print("schema is up to date")


@app.command()
def demo(
    db: str = DbOption,
    seed: int = typer.Option(2026, help="Random seed (same seed, same data)."),
    scale: float = typer.Option(1.0, help="Volume multiplier."),
    glotip: Path = typer.Option(
        Path("../shared/data/glotip/data_glotip_2023-05-30.xlsx"), help="GLOTIP workbook."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Generate the synthetic demo data for the 35 OAS member states and import it with the GLOTIP file."""
    from tipnet.demo.load import load_demo

    database = _db(db)
    summary = load_demo(database, Settings.from_env(), seed=seed, scale=scale, glotip=glotip)
    from tipnet.routes.mapping import render
    from tipnet.stats import StatsSource

    maps_dir = Settings.from_env().home.resolve() / "maps"
    maps_dir.mkdir(parents=True, exist_ok=True)
    summary["flow_map"] = str(render(StatsSource(database), "flows", maps_dir / "hemisphere-flows.png"))
    from tipnet.demo.users import create_demo_users

    summary["logins"] = create_demo_users(database)
    from tipnet.demo.sample_cases import PROVIDER, create_sample_cases

    summary["sample_cases"] = {"provider": PROVIDER, **create_sample_cases(database)}
    from tipnet.demo.release import publish_demo_release

    summary["public_release"] = publish_demo_release(database, Settings.from_env().home.resolve())
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"demo loaded: {summary['files']} files, {summary['rows_accepted']} rows accepted, "
            f"{summary['rows_quarantined']} quarantined, {summary['values_kept']} unreadable cells kept raw with a "
            f"warning; GLOTIP: {summary['glotip_rows']} rows ({summary['glotip_held']} held for review); "
            f"flow map: {summary['flow_map']}"
        )
        cases = summary["sample_cases"]
        console.print(f"sample cases of {cases['provider']}: {cases['submitted']} submitted, {cases['draft']} draft")
        console.print(f"public release {summary['public_release']['release']} on /statistics")
        from tipnet.cli.auth import print_logins

        print_logins(summary["logins"])


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes (server mode, with PostgreSQL)."),
    db: str = DbOption,
) -> None:
    """Run the web application (several worker processes with --workers; see README, "Server mode")."""
    import uvicorn

    from tipnet.auth.settings import AuthSettings
    from tipnet.web.app import create_app
    from tipnet.web.asgi import proxy_options

    proxies = proxy_options(AuthSettings.from_env())
    database = _db(db)
    console.print(f"tipnet is serving on http://{host}:{port}/ ({workers} worker{'s' * (workers > 1)})")
    if workers == 1:
        from tipnet.maps.warm import warm_in_background

        warm_in_background()  # the first map does not wait for geometry and fonts
        uvicorn.run(create_app(database, Settings.from_env()), host=host, port=port, log_level="info", **proxies)
        return
    if database.backend_name == "sqlite":
        logging.getLogger(__name__).warning("several workers on the embedded SQLite store: writes queue behind one "
                                            "another; use PostgreSQL (--db postgresql+psycopg://...) for server mode")
    os.environ["TIPNET_DB"] = database.url  # each worker opens the same store (tipnet.web.asgi)
    database.dispose()
    # a worker imports the whole package before answering the supervisor's health check: allow for a busy machine
    uvicorn.run("tipnet.web.asgi:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="info", timeout_worker_healthcheck=60, **proxies)


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("TIPNET_LOG_LEVEL", "WARNING"), format="%(levelname)s %(name)s: %(message)s"
    )
    app()


if __name__ == "__main__":
    main()
