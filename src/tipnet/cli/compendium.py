"""`tipnet compendium` and `tipnet registry`: the compendium of cooperation instruments and the recruiter and travel
agency registry from the command line. The command line acts as the operator who holds the database (the whole
store is in scope); changes are audited as `cli:<login name>`. No logic lives here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import DbOption, JsonOption, exits, fail
from tipnet.cli.common import open_db as _db
from tipnet.cli.common import operator as _operator
from tipnet.cli.render import console, emit_json

compendium_app = typer.Typer(help="Compendium of cooperation instruments: seed, add, search, ratifications, feed.",
                             no_args_is_help=True)
registry_app = typer.Typer(help="Registry of recruitment and travel agencies.", no_args_is_help=True)



def _hits(result: Any, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_dict())
        return
    table = Table(title=f"{result.total:,} results")
    for col in ("id", "kind", "country", "year", "title", "snippet"):
        table.add_column(col)
    for h in result.hits:
        table.add_row(str(h["id"]), h["kind"], h["country"] or "", str(h["year"] or ""), h["title"][:70],
                      h["snippet"][:90])
    console.print(table)
    for name, values in result.facets.items():
        if values and name != "source":
            console.print(f"[bold]{name}[/bold]: " + ", ".join(f"{v['value']} ({v['count']})" for v in values[:12]))


def _search(source: str, query: str | None, kind: str | None, country: str | None, tag: list[str] | None,
            year: int | None, limit: int, db: str | None, as_json: bool) -> None:
    from tipnet.coop import search

    filters = search.Filters(source=source, kind=kind, country=country.upper() if country else None, year=year,
                             tags=tuple(tag or ()))
    _hits(search.search(_db(db), query, filters, limit=limit), as_json)


# --- compendium -------------------------------------------------------------------------------------------------------


@compendium_app.command("seed")
@exits
def compendium_seed(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Load the instruments and recommendations of the 2009 OAS resolution (repeatable)."""
    from tipnet.coop.compendium_seed import seed

    report = seed(_db(db), _operator())
    emit_json(report.to_dict()) if as_json else console.print(
        f"{report.instruments} instruments and mechanisms, {report.recommendations} recommendations: "
        f"{report.created} new, {report.updated_or_unchanged} already there")


@compendium_app.command("add")
@exits
def compendium_add(file: Path = typer.Argument(..., help="YAML file: a list of items."), db: str = DbOption) -> None:
    """Add (or, for items with a known `ref`, replace) the items of a YAML file; all are checked first."""
    from tipnet.coop import compendium
    from tipnet.coop.compendium_seed import items_from_file

    items = items_from_file(file)
    database, me = _db(db), _operator()
    created = sum(int(compendium.upsert(database, me, item)[1]) for item in items)
    console.print(f"{len(items)} items from {file}: {created} new")


@compendium_app.command("search")
@exits
def compendium_search(query: str = typer.Argument(None, help="Words (accents and case do not matter)."),
                      kind: str = typer.Option(None, help="treaty, legislation, case_law, ..."),
                      country: str = typer.Option(None, help="ISO3 code."),
                      tag: list[str] = typer.Option(None, help="vocabulary:code; repeat for several."),
                      year: int = typer.Option(None), limit: int = typer.Option(20),
                      db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Search the compendium: ranked hits with snippets, and facet counts."""
    _search("compendium", query, kind, country, tag, year, limit, db, as_json)


@compendium_app.command("show")
@exits
def compendium_show(item_id: int, db: str = DbOption) -> None:
    """One item with its details and ratification status."""
    from tipnet.coop import compendium

    item = compendium.get(_db(db), item_id)
    if item is None:
        fail(f"no compendium item {item_id}")
    emit_json(item)


@compendium_app.command("ratify")
@exits
def compendium_ratify(item_id: int, country: str, status: str = typer.Argument(..., help="signed, ratified, ..."),
                      signed_on: str = typer.Option(None, "--signed"),
                      ratified_on: str = typer.Option(None, "--ratified"),
                      in_force_on: str = typer.Option(None, "--in-force"), notes: str = typer.Option(None),
                      db: str = DbOption) -> None:
    """Record a country's ratification status of a treaty (dates as YYYY-MM-DD)."""
    from tipnet.coop import compendium

    compendium.set_ratification(_db(db), _operator(), item_id, country, status, signed_on, ratified_on,
         in_force_on, notes)
    console.print(f"item {item_id}: {country.upper()} {status}")


@compendium_app.command("feed")
@exits
def compendium_feed(out: Path = typer.Argument(..., help="Where to write the Atom file."),
                    base_url: str = typer.Option("http://127.0.0.1:8000", help="The site's address."),
                    limit: int = typer.Option(50), db: str = DbOption) -> None:
    """Write the Atom feed of the newest items."""
    from tipnet.coop import compendium
    from tipnet.coop.compendium_feed import atom

    out.write_bytes(atom(compendium.newest(_db(db), limit), base_url))
    console.print(f"feed written to {out}")


# --- registry ---------------------------------------------------------------------------------------------------------


@registry_app.command("add")
@exits
def registry_add(name: str, country: str, kind: str = typer.Option(..., help="recruitment or travel."),
                 identifier: str = typer.Option(None), licence_status: str = typer.Option("unknown", "--licence"),
                 issued: str = typer.Option(None, help="Licence issued (YYYY-MM-DD)."),
                 expires: str = typer.Option(None, help="Licence expires (YYYY-MM-DD)."),
                 authority: str = typer.Option(None, help="Licensing authority."), db: str = DbOption) -> None:
    """Register an agency."""
    from tipnet.coop import registry

    raw = {"kind": kind, "name": name, "country": country, "identifier": identifier,
           "licence_status": licence_status, "licence_issued_on": issued, "licence_expires_on": expires,
           "licence_authority": authority}
    agency_id = registry.add(_db(db), _operator(), raw)
    console.print(f"agency {agency_id} registered")


@registry_app.command("licence")
@exits
def registry_licence(agency_id: int, status: str, expires: str = typer.Option(None), db: str = DbOption) -> None:
    """Change an agency's licence status (the audit log keeps the old value)."""
    from tipnet.coop import registry

    raw = {"licence_status": status, **({"licence_expires_on": expires} if expires else {})}
    changed = registry.change(_db(db), _operator(), agency_id, raw)
    console.print(changed or "nothing changed")


@registry_app.command("sanction")
@exits
def registry_sanction(agency_id: int, country: str, measure: str, authority: str = typer.Option(None),
                      imposed: str = typer.Option(None), description: str = typer.Option(None),
                      db: str = DbOption) -> None:
    """Record a sanction imposed on an agency by a country's authority."""
    from tipnet.coop import registry

    raw = {"country": country, "measure": measure, "authority": authority, "imposed_on": imposed,
           "description": description}
    registry.add_sanction(_db(db), _operator(), agency_id, raw)
    console.print(f"agency {agency_id}: {measure} recorded")


@registry_app.command("link")
@exits
def registry_link(agency_id: int, country: str, record_id: str, db: str = DbOption) -> None:
    """Link a perpetrator record (recruiter, broker or travel agent) of a country's submissions to an agency."""
    from tipnet.coop import registry

    database, me = _db(db), _operator()
    found = registry.find_records(database, me, country.upper(), record_id)
    if len(found) != 1:
        fail(f"record {record_id} of {country.upper()}: {len(found)} matches (need exactly one)")
    registry.link(database, me, agency_id, found[0])
    console.print(f"record {record_id} of {country.upper()} linked to agency {agency_id}")


@registry_app.command("search")
@exits
def registry_search(query: str = typer.Argument(None), country: str = typer.Option(None),
                    kind: str = typer.Option(None, help="recruitment_agency or travel_agency."),
                    limit: int = typer.Option(20), db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Search the public part of the registry."""
    _search("registry", query, kind, country, None, None, limit, db, as_json)


@registry_app.command("show")
@exits
def registry_show(agency_id: int, db: str = DbOption) -> None:
    """An agency with complaints, case links and the multi-country flag (the operator sees every link)."""
    from tipnet.coop import registry

    agency = registry.get(_db(db), _operator(), agency_id, restricted=True)
    if agency is None:
        fail(f"no agency {agency_id}")
    emit_json(agency)


@registry_app.command("flagged")
@exits
def registry_flagged(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Agencies that appear in cases of two or more countries."""
    from tipnet.coop import registry

    flagged = registry.multi_country(_db(db))
    if as_json:
        emit_json([{"id": k, "countries": v} for k, v in sorted(flagged.items())])
        return
    for agency_id, countries in sorted(flagged.items()):
        console.print(f"agency {agency_id}: {', '.join(countries)}")
    if not flagged:
        console.print("no agency appears in cases of more than one country")
