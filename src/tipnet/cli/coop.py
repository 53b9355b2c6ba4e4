"""`tipnet coop`: international cooperation from the command line. Sub-groups: `directory` (authorities, routing,
staleness reminders, exports) and `request` (the MLA and extradition register). The command line acts as the
operator who holds the database; changes are audited as `cli:<login name>`. No logic lives here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from tipnet.cli.common import DbOption, JsonOption, exits, fail
from tipnet.cli.common import open_db as _db
from tipnet.cli.common import operator as _operator
from tipnet.cli.render import console, emit_json

coop_app = typer.Typer(help="International cooperation: directory of authorities, MLA and extradition requests.",
                       no_args_is_help=True)
directory_app = typer.Typer(help="Directory of national authorities.", no_args_is_help=True)
request_app = typer.Typer(help="Register of MLA and extradition requests.", no_args_is_help=True)
coop_app.add_typer(directory_app, name="directory")
coop_app.add_typer(request_app, name="request")

RestrictedOption = typer.Option(False, "--restricted", help="Include restricted fields (direct lines, 24/7).")


# --- directory ------------------------------------------------------------------------------------------------------


@directory_app.command("list")
@exits
def directory_list(country: str = typer.Option(None, help="ISO3 code."),
                   competence: str = typer.Option(None, help="e.g. victim_assistance, mla_central_authority."),
                   restricted: bool = RestrictedOption, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """List directory entries (stale ones flagged)."""
    from tipnet.coop.directory import listing

    found = [a.view(restricted) for a in listing(_db(db), country=country, competence=competence)]
    if as_json:
        emit_json(found)
        return
    for a in found:
        flag = " [yellow]STALE[/yellow]" if a["stale"] else ""
        console.print(f"{a['id']:>5} {a['country']} {a['name']} — {', '.join(a['competences'])} "
                      f"(verified {a['last_verified']}){flag}")


@directory_app.command("show")
@exits
def directory_show(authority_id: int = typer.Argument(...), db: str = DbOption, as_json: bool = JsonOption) -> None:
    """One entry with every field and its history of changes."""
    from tipnet.coop.directory import get, history

    database = _db(db)
    data = {**get(database, authority_id).view(True), "history": history(database, authority_id, True)}
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        if key != "history":
            console.print(f"[bold]{key}[/bold]: {value}")
    for h in data["history"]:
        console.print(f"v{h['version']} {h['action']} {h['changed_at']} by {h['changed_by']}: {', '.join(h['fields'])}")


@directory_app.command("route")
@exits
def directory_route(country: str = typer.Argument(..., help="Requested state (ISO3)."),
                    measure: str = typer.Argument(..., help="e.g. search_seizure, extradition."),
                    crime: str = typer.Argument("trafficking_in_persons", help="e.g. trafficking_in_persons."),
                    db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Who do I ask in COUNTRY for MEASURE about CRIME: competent authorities, ranked, with reasons."""
    from tipnet.coop.directory_routing import route

    result = route(_db(db), country, measure, crime)
    if as_json:
        emit_json(result)
        return
    if not result["authorities"]:
        console.print("no competent authority in the directory")
    for item in result["authorities"]:
        a = item["authority"]
        console.print(f"[bold]{item['rank']}. {a['name']}[/bold] (id {a['id']}, score {item['score']})")
        for r in item["reasons"] + item["conditions"]:
            console.print(f"   - {r['text']}")
    for item in result["excluded"]:
        console.print(f"[dim]not: {item['authority']['name']} — {item['reasons'][0]['text']}[/dim]")


@directory_app.command("export")
@exits
def directory_export(out: Path = typer.Argument(..., help="Output file."),
                     fmt: str = typer.Option("csv", "--format", help="csv, vcard, html or pdf."),
                     country: str = typer.Option(None, help="Only this country (ISO3)."),
                     lang: str = typer.Option("en", help="Language of the printable HTML."),
                     restricted: bool = RestrictedOption, db: str = DbOption) -> None:
    """Write the directory for republication (public fields unless --restricted)."""
    from tipnet.coop import directory_export as ex
    from tipnet.coop.directory import listing

    entries = listing(_db(db), country=country)
    if fmt == "csv":
        out.write_text(ex.to_csv(entries, restricted), encoding="utf-8", newline="")
    elif fmt == "vcard":
        out.write_text(ex.to_vcard(entries, restricted), encoding="utf-8", newline="")
    elif fmt == "html":
        out.write_text(ex.print_html(entries, lang, restricted), encoding="utf-8")
    elif fmt == "pdf":
        out.write_bytes(ex.to_pdf(entries, restricted))
    else:
        fail(f"unknown format {fmt!r}; choose csv, vcard, html or pdf")
    console.print(f"{len(entries)} entries written to {out}")


@directory_app.command("import")
@exits
def directory_import(file: Path = typer.Argument(..., help="CSV as written by `tipnet coop directory export`."),
                     db: str = DbOption) -> None:
    """Create entries from a CSV (every row is checked before any is written)."""
    from tipnet.coop.directory_export import import_csv

    added = import_csv(_db(db), _operator(), file.read_text(encoding="utf-8-sig"), file.name)
    console.print(f"{len(added)} entries added")


@directory_app.command("stale")
@exits
def directory_stale(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Entries not verified for more than six months."""
    from tipnet.coop.directory_reminders import stale

    found = [a.view(True) for a in stale(_db(db), _operator())]
    if as_json:
        emit_json(found)
        return
    for a in found:
        console.print(f"{a['id']:>5} {a['country']} {a['name']} — verified {a['last_verified']} "
                      f"(focal point {a['focal_point_email'] or '-'})")
    console.print(f"{len(found)} stale entries")


@directory_app.command("remind")
@exits
def directory_remind(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Remind the focal point of every stale entry (outbox records, no e-mail is sent); lists what was sent."""
    from tipnet.coop.directory_reminders import remind

    result = remind(_db(db), _operator())
    if as_json:
        emit_json(result)
        return
    for s in result["sent"]:
        console.print(f"sent to {s['recipient']}: {s['subject']}")
    console.print(f"{len(result['sent'])} reminders sent, {len(result['skipped'])} not due")


@directory_app.command("retire")
@exits
def directory_retire(authority_id: int = typer.Argument(...),
                     reason: str = typer.Option("", "--reason", help="e.g. the authority was merged or renamed."),
                     reinstate: bool = typer.Option(False, "--reinstate", help="Undo a retirement."),
                     db: str = DbOption) -> None:
    """Retire an entry (kept with its history, out of routing, listings and exports), or reinstate it."""
    from tipnet.coop import directory

    database = _db(db)
    a = (directory.reinstate(database, _operator(), authority_id) if reinstate
         else directory.retire(database, _operator(), authority_id, reason))
    console.print(f"{a.id} {a.name}: {'retired on ' + str(a.retired_on) if a.retired else 'listed'}")


@directory_app.command("seed-demo")
@exits
def directory_seed(db: str = DbOption) -> None:
    """Add the fictitious demo directory for the 35 OAS member states (countries without entries only)."""
    from tipnet.demo.directory import seed_directory

    result = seed_directory(_db(db), _operator())
    console.print(f"{result['added']} entries added")


# --- requests -------------------------------------------------------------------------------------------------------


@request_app.command("list")
@exits
def request_list(status: str = typer.Option(None, help="Only this status."),
                 overdue: bool = typer.Option(False, "--overdue", help="Only requests past their deadline."),
                 db: str = DbOption, as_json: bool = JsonOption) -> None:
    """The register of requests (every country: the operator holds the database)."""
    from tipnet.coop.requests import listing

    found = [r.to_dict() for r in listing(_db(db), _operator(), status=status, overdue_only=overdue)]
    if as_json:
        emit_json(found)
        return
    for r in found:
        late = " [red]OVERDUE[/red]" if r["overdue"] else ""
        console.print(f"{r['id']:>5} {r['reference']} {r['requesting_country']}->{r['requested_country']} "
                      f"{r['status']} deadline {r['deadline'] or '-'}{late}")


@request_app.command("overdue")
@exits
def request_overdue(remind: bool = typer.Option(False, "--remind", help="Write reminders to the outbox."),
                    db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Requests past their deadline; with --remind, an outbox reminder for each (at most weekly)."""
    from tipnet.coop.requests import listing, remind_overdue

    database = _db(db)
    late = [r.to_dict() for r in listing(database, _operator(), overdue_only=True)]
    sent = remind_overdue(database, _operator()) if remind else []
    if as_json:
        emit_json({"overdue": late, "sent": sent})
        return
    for r in late:
        console.print(f"{r['reference']} {r['status']} deadline {r['deadline']}")
    for s in sent:
        console.print(f"sent to {s['recipient']}: {s['subject']}")
    console.print(f"{len(late)} overdue, {len(sent)} reminders sent")


@request_app.command("register-incoming")
@exits
def request_register_incoming(
        requesting: str = typer.Option(..., "--from", help="Requesting state (ISO3)."),
        country: str = typer.Option(..., "--country", help="The registering (requested) state (ISO3)."),
        received: str = typer.Option(..., "--received", help="Date received, YYYY-MM-DD."),
        reference: str = typer.Option(..., "--reference", help="The requesting state's reference."),
        kind: str = typer.Option("mla", "--kind", help="mla or extradition."),
        measures: list[str] = typer.Option(..., "--measure", help="A measure asked for (repeat for several)."),
        crime: str = typer.Option("trafficking_in_persons", "--crime"),
        deadline: str = typer.Option(None, "--deadline", help="YYYY-MM-DD."),
        cases: str = typer.Option("", "--cases", help="Linked case ids, comma-separated."),
        notes: str = typer.Option("", "--notes"),
        scan: Path = typer.Option(None, "--scan", help="The scanned original (pdf, png, jpg, docx, odt, txt)."),
        db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Register a request received outside tipnet (paper, diplomatic channel): it enters as "received"."""
    from tipnet.coop.requests_incoming import register_incoming

    if scan is not None and not scan.is_file():
        fail(f"{scan}: no such file")
    req = register_incoming(_db(db), _operator(), kind, requesting, received, reference, measures, crime,
                            deadline=deadline, case_ids=cases, notes=notes, registering_country=country,
                            scan=(scan.name, scan.read_bytes()) if scan is not None else None)
    if as_json:
        emit_json(req.to_dict())
        return
    console.print(f"{req['reference']} registered: {req['requesting_country']} -> {req['requested_country']}, "
                  f"received {req['received_on']}, status {req['status']}")


@request_app.command("document")
@exits
def request_document(request_id: int = typer.Argument(...), out: Path = typer.Argument(...),
                     fmt: str = typer.Option("pdf", "--format", help="pdf or docx."), db: str = DbOption) -> None:
    """Write the formal request document."""
    from tipnet.coop import documents
    from tipnet.coop.requests import get

    database = _db(db)
    if fmt not in ("pdf", "docx"):
        fail(f"unknown format {fmt!r}; choose pdf or docx")
    req = get(database, _operator(), request_id)
    out.write_bytes(documents.document_for(database, req, fmt, dt.date.today().isoformat()))
    console.print(f"{req['reference']} written to {out}")
