"""`tipnet release`: plan, create, audit and publish disclosure-controlled releases; privacy budgets.

Builds `tipnet.disclosure.release.Releases` and renders what it returns; no logic lives here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import DbOption, JsonOption, fail, operator
from tipnet.cli.common import open_db as _db
from tipnet.cli.render import console, emit_json
from tipnet.settings import Settings

release_app = typer.Typer(help="Disclosure-controlled releases for the public portal.", no_args_is_help=True)

TablesOption = typer.Option(None, "--table", "-t",
                            help="A table: dimensions, optional filters, e.g. 'country,year' or "
                                 "'sex,age_group@country=PER'. Repeat for several tables.")


def _releases(url: str | None) -> Any:
    from tipnet.auth.publishers import PublisherSources
    from tipnet.disclosure.release import Releases

    db = _db(url)
    return Releases(db, PublisherSources(db), Settings.from_env().home, operator())


def _spec(spec_file: Path | None, title: str, method: str, tables: list[str] | None, dataset: str, threshold: int,
          min_width: int, epsilon: float | None, rho: float | None, max_forms: int, alpha: float,
          years: str | None, k: int, l_div: int, max_suppression: float, publisher: str = "hub") -> Any:
    from tipnet.disclosure.cells import TableSpec
    from tipnet.disclosure.dp import DPParams
    from tipnet.disclosure.kanon import KAnonParams
    from tipnet.disclosure.spec import ReleaseSpec

    if spec_file is not None:
        import yaml

        return ReleaseSpec.from_dict(yaml.safe_load(spec_file.read_text(encoding="utf-8")))
    dp = None
    if method == "dp":
        span = tuple(int(y) for y in years.split("-", 1)) if years else None
        if epsilon is not None and rho is not None:
            raise ValueError("give --epsilon (pure DP) or --rho (zCDP), not both")
        dp = DPParams(measure="pure" if epsilon is not None else "zcdp",
                      budget=epsilon if epsilon is not None else (rho if rho is not None else 0.5),
                      max_forms=max_forms, alpha=alpha, years=span)  # type: ignore[arg-type]
    kanon = KAnonParams(k=k, l_diversity=l_div, max_suppression=max_suppression) if method == "kanon" else None
    return ReleaseSpec(title=title, method=method, tables=tuple(TableSpec.parse(t) for t in tables or []),
                       dataset=dataset, threshold=threshold, min_width=min_width, dp=dp, kanon=kanon,
                       publisher=publisher)


_SPEC_OPTIONS: dict[str, Any] = {
    "spec_file": typer.Option(None, "--spec", help="Release spec as YAML/JSON (overrides the options below)."),
    "title": typer.Option("Detected victims of trafficking in persons", "--title", help="Title of the release."),
    "method": typer.Option("threshold", "--method", "-m", help="threshold | dp | kanon"),
    "dataset": typer.Option("victims", "--dataset", help="Dataset whose privacy budget and versions apply."),
    "threshold": typer.Option(5, "--threshold", help="Counts 1..threshold-1 are suppressed (threshold method)."),
    "min_width": typer.Option(1, "--min-width", help="Least width of a suppressed cell's provable range."),
    "epsilon": typer.Option(None, "--epsilon", help="Pure-DP epsilon of this release (discrete Laplace)."),
    "rho": typer.Option(None, "--rho", help="zCDP rho of this release (discrete Gaussian; default 0.5)."),
    "max_forms": typer.Option(3, "--max-forms", help="Forms counted per victim in tables split by form (DP)."),
    "alpha": typer.Option(0.05, "--alpha", help="Confidence intervals at 1 - alpha (DP)."),
    "years": typer.Option(None, "--years", help="Public year range for DP tables split by year, e.g. 2015-2024."),
    "k": typer.Option(11, "--k", help="k of the k-anonymous extract."),
    "l_div": typer.Option(1, "--l", help="Least distinct forms of exploitation per group (l-diversity)."),
    "max_suppression": typer.Option(0.5, "--max-suppression", help="Share of records the extract may drop."),
    "publisher": typer.Option("hub", "--publisher", "-p",
                              help="Who publishes: 'hub' (built from records shared with the hub and consented) or "
                                   "a country code (a national release of that country's own records)."),
}


def _plan_view(plan: dict[str, Any]) -> None:
    spec = plan["spec"]
    console.print(f"[bold]{spec['title']}[/bold] — method {spec['method']}, dataset {spec['dataset']}, "
                  f"publisher {spec['publisher']}, {plan['submissions']} submissions")
    console.print(plan["built_from"]["line"])
    if "suppression" in plan:
        s = plan["suppression"]
        t = Table("table", "split by", "cells", "suppressed")
        for row in plan["tables"]:
            t.add_row(row["name"], ", ".join(row["dims"]), str(row["cells"]), str(row["suppressed"]))
        console.print(t)
        a = s["audit"]
        console.print(f"suppressed {s['suppressed']} (primary {s['primary']}, change {s['change']}, secondary "
                      f"{s['secondary']}); audit {'passed' if a['passed'] else 'FAILED'} over {a['targets']} "
                      f"targets, {a['linear_programmes']} LPs in {a['seconds']}s")
    if "dp" in plan:
        d = plan["dp"]
        cost = f"epsilon {d['epsilon']:.4g}" if d["epsilon"] is not None else f"rho {d['rho']:.4g}"
        console.print(f"{d['measure']}: {d['queries']} queries, {d['cells']} cells, spends {cost}; "
                      f"mean |error| {plan['expected_abs_error']}; 95% interval half-width up to "
                      f"{d['half_width_max']}")
        b = plan["budget"]
        console.print(f"budget: {json.dumps(b) if b else 'none set'} -> "
                      f"{'[green]allowed[/green]' if plan['allowed'] else '[red]would be refused[/red]'}")
    if "extract" in plan:
        e = plan["extract"]
        console.print(f"extract: levels {e['levels']}, {e['released']} of {e['total']} records "
                      f"({e['share_suppressed']:.1%} suppressed); achieved {e['achieved']}")


def _release_view(rel: dict[str, Any]) -> None:
    console.print(f"release {rel['id']}: {rel['title']} ({rel['dataset']} v{rel['version']}, {rel['method']}) "
                  f"[bold]{rel['status']}[/bold]")
    summary = rel.get("summary") or {}
    if summary.get("built_from"):
        console.print(f"publisher {summary.get('publisher')}; built from {summary['built_from']}")
    console.print(f"content sha256 {rel['content_sha256']}; package {rel['package_path']}")
    for f in rel.get("files", []):
        console.print(f"  {f['path']}  {f['bytes']} bytes")


def _spec_command(name: str, doc: str, code: str, run: Callable[[Any, Any], dict[str, Any]],
                  view: Callable[[dict[str, Any]], None]) -> None:
    """A command that builds a release spec from the options (or --spec) and hands it to `run`."""

    def command(spec_file: Path = _SPEC_OPTIONS["spec_file"], title: str = _SPEC_OPTIONS["title"],
                method: str = _SPEC_OPTIONS["method"], table: list[str] = TablesOption,
                dataset: str = _SPEC_OPTIONS["dataset"], threshold: int = _SPEC_OPTIONS["threshold"],
                min_width: int = _SPEC_OPTIONS["min_width"], epsilon: float = _SPEC_OPTIONS["epsilon"],
                rho: float = _SPEC_OPTIONS["rho"], max_forms: int = _SPEC_OPTIONS["max_forms"],
                alpha: float = _SPEC_OPTIONS["alpha"], years: str = _SPEC_OPTIONS["years"],
                k: int = _SPEC_OPTIONS["k"], l_div: int = _SPEC_OPTIONS["l_div"],
                max_suppression: float = _SPEC_OPTIONS["max_suppression"],
                publisher: str = _SPEC_OPTIONS["publisher"], db: str = DbOption, as_json: bool = JsonOption) -> None:
        try:
            spec = _spec(spec_file, title, method, table, dataset, threshold, min_width, epsilon, rho, max_forms,
                         alpha, years, k, l_div, max_suppression, publisher)
            result = run(_releases(db), spec)
        except (ValueError, RuntimeError) as exc:
            fail(str(exc), as_json=as_json, code=code)
        emit_json(result) if as_json else view(result)

    command.__doc__ = doc
    release_app.command(name)(command)


_spec_command("plan", "What a release would publish and cost (suppressed cells, DP error, budget left). Writes "
              "nothing.", "invalid-release", lambda releases, spec: releases.plan(spec), _plan_view)
_spec_command("create", "Create a draft release and its package. A DP release spends its privacy budget now.",
              "release-refused", lambda releases, spec: releases.create(spec), _release_view)


@release_app.command()
def audit(release_id: int = typer.Argument(..., help="Release id."), db: str = DbOption,
          as_json: bool = JsonOption) -> None:
    """Re-check a release against the store, its package and every published release. Exits 1 when it fails."""
    try:
        result = _releases(db).audit(release_id)
    except (ValueError, RuntimeError) as exc:
        fail(str(exc), as_json=as_json, code="not-found")
    if as_json:
        emit_json(result)
    else:
        for c in result["checks"]:
            mark = "[green]ok[/green]" if c["passed"] else "[red]FAILED[/red]"
            console.print(f"{mark}  {c['check']}")
    raise typer.Exit(0 if result["passed"] else 1)


@release_app.command()
def publish(release_id: int = typer.Argument(..., help="Release id."), db: str = DbOption,
            as_json: bool = JsonOption) -> None:
    """Audit and publish a draft: it appears on the public portal and never changes again."""
    try:
        rel = _releases(db).publish(release_id)
    except (ValueError, RuntimeError) as exc:
        fail(str(exc), as_json=as_json, code="release-refused")
    emit_json(rel) if as_json else _release_view(rel)


@release_app.command("list")
def list_(status: str = typer.Option(None, "--status", help="draft | published"), db: str = DbOption,
          as_json: bool = JsonOption) -> None:
    """Releases in the store."""
    from tipnet.disclosure import repo

    rows = repo.list_releases(_db(db), status=status)
    if as_json:
        emit_json(rows)
        return
    t = Table("id", "dataset", "version", "method", "status", "title", "created")
    for r in rows:
        t.add_row(str(r["id"]), r["dataset"], str(r["version"]), r["method"], r["status"], r["title"],
                  str(r["created_at"]))
    console.print(t)


@release_app.command()
def budget(dataset: str = typer.Argument("victims", help="Dataset."),
           rho: float = typer.Option(None, "--rho", help="Set the zCDP budget (rho)."),
           epsilon: float = typer.Option(None, "--epsilon", help="Set the pure-DP budget (epsilon)."),
           db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Show a dataset's privacy budget and ledger, or set its budget."""
    from tipnet.disclosure import ledger

    database = _db(db)
    try:
        b = ledger.set_budget(database, dataset, epsilon=epsilon, rho=rho) if (rho or epsilon) else \
            ledger.get_budget(database, dataset)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code="invalid-budget")
    entries = ledger.entries(database, dataset)
    if as_json:
        emit_json({"budget": b.to_dict() if b else None, "ledger": entries})
        return
    console.print(json.dumps(b.to_dict()) if b else f"dataset {dataset!r} has no privacy budget")
    for e in entries:
        console.print(f"  {e['created_at']}  {e['measure']}  epsilon={e['epsilon']}  rho={e['rho']:.6g}  "
                      f"{e['description']}")
