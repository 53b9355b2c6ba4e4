"""`tipnet mse`: multiple systems estimation of the dark figure. Builds tipnet.mse objects and renders them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import fail
from tipnet.cli.render import console, emit_json


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def _render_estimate(name: str, est: Any) -> None:
    fit = est.fit
    lists = ", ".join(est.lists)
    console.print(f"[bold]{name}[/bold]: {len(est.lists)} lists ({lists}), {est.observed:,} cases observed")
    sel = est.selection
    head = f"stepwise, p < {sel.pthresh:g}" if sel else est.method
    console.print(f"model ({head}): [bold]{fit.describe()}[/bold]")
    if sel:
        for k, s in enumerate(sel.steps, 1):
            console.print(f"  step {k}: add {s.term}  p = {s.pvalue:.3g} "
                          f"(overlap {s.observed_overlap} observed, {s.expected_overlap:.2f} expected)")
        if sel.stopped_at:
            s = sel.stopped_at
            console.print(f"  stop: best remaining {s.term} has p = {s.pvalue:.3g} >= {sel.pthresh:g}")
        for term, ierr in sel.failed_checks.items():
            console.print(f"  skipped {term}: fails the checks (ierr {ierr})")
    chk = fit.check
    if chk is not None:
        console.print(f"checks: {chk.message()} (LP objective {chk.lp_objective:.3g}, "
                      f"rank deficiency {chk.rank_deficiency})")
    for term, p in fit.empty_overlap_pvalues.items():
        console.print(f"non-overlapping pair {term}: effect at -inf, histories deleted; P(empty overlap) = {p:.3g}")
    table = Table("term", "estimate", "s.e.")
    for row in fit.to_dict()["coefficients"]:
        table.add_row(row["term"], f"{row['estimate']:.4f}", f"{row['se']:.4f}")
    console.print(table)
    lo, hi = est.interval(0.95)
    console.print(f"dark figure {_fmt(est.dark_figure)}; [bold]total {_fmt(est.total)}[/bold]; "
                  f"95% interval {_fmt(lo)} - {_fmt(hi)} (conditional on the model)")
    if est.bootstrap:
        b = est.bootstrap
        lim = b["limits"]
        console.print(f"BCa 95% interval {_fmt(lim['0.025'])} - {_fmt(lim['0.975'])} "
                      f"({b['nboot']} replicates with model selection repeated, seed {b['seed']}, "
                      f"{b['failed']} without an estimate)")


def _render_strata(rows: list[dict[str, Any]]) -> None:
    table = Table("country", "year", "observed", "lists", "model", "total", "95% interval", "status")
    for r in rows:
        ok = r["status"] == "estimated"
        table.add_row(
            r["country"], str(r["year"]), str(r["observed"]), ",".join(r["lists"]), r["model"] or "",
            _fmt(r["total"]) if ok else "", f"{_fmt(r['ci95_low'])} - {_fmt(r['ci95_high'])}" if ok else "",
            "estimated" if ok else f"[yellow]refused: {r['reason']}[/yellow]",
        )
    console.print(table)


def _bootstrap(m: Any, table: Any, nboot: int, pthresh: float, method: str, pairs: list[str], seed: int,
               quiet: bool) -> Any:
    if quiet:
        return m.bootstrap_bca(table, nboot=nboot, pthresh=pthresh, method=method, pairs=pairs, seed=seed)
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(TextColumn("bootstrap"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console, transient=True) as bar:
        task = bar.add_task("bootstrap", total=nboot)
        return m.bootstrap_bca(table, nboot=nboot, pthresh=pthresh, method=method, pairs=pairs, seed=seed,
                               progress=lambda n: bar.advance(task, n))


def mse(
    file: Path = typer.Argument(..., help="Capture-history CSV: one 0/1 column per list, the last column the count."),
    method: str = typer.Option("stepwise", "--method", help="stepwise, main (main effects only) or fixed."),
    pthresh: float = typer.Option(0.02, "--pthresh", help="Stepwise threshold for the Poisson p-value."),
    terms: str = typer.Option(None, "--terms", help="For --method fixed: two-list effects, e.g. 'D:E,A:C'."),
    bootstrap: int = typer.Option(0, "--bootstrap", help="BCa bootstrap replicates (SparseMSE uses 1000); 0: none."),
    seed: int = typer.Option(1234, "--seed", help="Bootstrap random seed."),
    records: bool = typer.Option(False, "--records", help="FILE holds linked records (country, year, person, "
                                 "source): estimate per country and year."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Estimate how many victims no list has seen (multiple systems estimation, as the R package SparseMSE)."""
    from tipnet import mse as m

    try:
        if records:
            strata = [s.to_dict() for s in m.estimate_by_stratum(m.read_list_records(file), method, pthresh)]
            emit_json({"strata": strata}) if as_json else _render_strata(strata)
            return
        table = m.read_capture_csv(file)
        pairs = [t for t in (terms or "").split(",") if t.strip()]
        est = m.estimate_population(table, method=method, pairs=pairs, pthresh=pthresh)
        if bootstrap:
            boot = _bootstrap(m, table, bootstrap, pthresh, method, pairs, seed, as_json)
            est = replace(est, bootstrap=boot.to_dict())
    except m.EstimateDoesNotExist as exc:
        fail(str(exc), as_json=as_json, code=exc.code, details={"ierr": exc.ierr})
    except (m.MSEError, ValueError, OSError) as exc:
        code = exc.code if isinstance(exc, m.MSEError) else "bad-request"
        fail(str(exc), as_json=as_json, code=code, exit_code=2)
    emit_json({"file": str(file), **est.to_dict()}) if as_json else _render_estimate(file.name, est)
