"""`tipnet review`: figures held by the import's plausibility checks - list them, confirm or correct them.

Acts as the operator (audited as the command line); the rules live in `tipnet.auth.review`.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import DbOption, JsonOption, exits, operator
from tipnet.cli.common import open_db as _db
from tipnet.cli.render import console, emit, emit_json

review_app = typer.Typer(help="Review figures held out of statistics by the import's plausibility checks.",
                         no_args_is_help=True)


@review_app.command("list")
@exits
def list_(submission: int = typer.Option(None, "--submission", "-s", help="One submission's held figures."),
          include_reviewed: bool = typer.Option(False, "--all", help="Also figures already confirmed or corrected."),
          db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Held figures of a submission (without --submission: the submissions that hold figures, and how many)."""
    from tipnet.auth import review

    database = _db(db)
    if submission is None:
        rows = review.submissions_with_held(database, operator())
        if as_json:
            emit_json(rows)
            return
        t = Table("submission", "held")
        for r in rows:
            t.add_row(str(r["submission_id"]), str(r["held"]))
        console.print(t if rows else "no figures are held for review")
        return
    page = review.held_figures(database, operator(), submission, include_reviewed)
    if as_json:
        emit_json(page)
        return
    _table(page["figures"])


def _table(figures: list[dict[str, Any]]) -> None:
    t = Table("id", "row", "area", "indicator", "dimension", "category", "sex", "age", "year", "value", "checks",
              "review")
    for f in figures:
        t.add_row(*(str(f[k] if f[k] is not None else "") for k in (
            "id", "source_row", "area_code", "indicator", "dimension", "category", "sex", "age", "year", "raw_value")),
            ", ".join(f["checks"]), f["review"] or "held")
    console.print(t if figures else "no figures are held for review in this submission")


@review_app.command("confirm")
@exits
def confirm(figure: list[int] = typer.Argument(..., help="Id(s) of the held figure(s), from `tipnet review list`."),
            reason: str = typer.Option(None, "--reason", help="Why the figure is right as written (audited)."),
            db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Release held figures into statistics as the source wrote them (audited)."""
    from tipnet.auth import review

    database, me = _db(db), operator()
    done = [review.confirm(database, me, f, reason) for f in figure]
    emit(done, as_json, "\n".join(f"figure {d['id']} confirmed: {d['raw_value']} now counts" for d in done))


@review_app.command("correct")
@exits
def correct(figure: int = typer.Argument(..., help="Id of the held figure, from `tipnet review list`."),
            value: str = typer.Option(..., "--value", help="The right count: a whole number, or '<5'."),
            reason: str = typer.Option(None, "--reason", help="Where the right value comes from (audited)."),
            db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Give a held figure its right value and release it; the value the source wrote stays on record (audited)."""
    from tipnet.auth import review

    d = review.correct(_db(db), operator(), figure, value, reason)
    emit(d, as_json, f"figure {d['id']} corrected: {d['raw_value']} -> {value} (the source's value is kept)")
