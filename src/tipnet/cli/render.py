"""Render reports for the terminal (rich) — the only place besides the CLI that writes to stdout."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from tipnet.ingest.report import Report

console = Console()


def emit_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def emit(data: Any, as_json: bool, text: str) -> None:
    """The result as JSON with --json, else the line(s) of text."""
    if as_json:
        emit_json(data)
    else:
        console.print(text)


def report_table(report: Report, limit: int = 50) -> None:
    d = report.to_dict()
    status = "[green]valid[/green]" if report.valid else "[red]invalid[/red]"
    console.print(
        f"[bold]{report.path}[/bold] ({report.format or '?'}, profile {report.profile or '?'}): {status}"
    )
    console.print(
        f"rows: {report.rows_total} total, {report.rows_valid} valid, {report.rows_invalid} invalid"
    )
    if report.submission_id is not None:
        console.print(
            f"submission {report.submission_id}: {report.rows_accepted} accepted "
            f"({report.rows_held} held for review), {report.rows_quarantined} quarantined"
        )
    if report.quarantine_path:
        console.print(f"quarantine: {report.quarantine_path}")
    if report.duplicate_of is not None:
        console.print(f"[yellow]already imported as submission {report.duplicate_of}; nothing added[/yellow]")
    if not d["problems"]:
        return
    table = Table("row", "code", "field", "column", "value", "message")
    for p in d["problems"][:limit]:
        table.add_row(
            str(p["row"] or ""),
            p["code"],
            p["field"] or "",
            p["column"] or "",
            p["value"] or "",
            p["message"],
        )
    console.print(table)
    hidden = sum(report.problem_counts.values()) - min(limit, len(d["problems"]))
    if hidden > 0:
        console.print(f"... and {hidden} more problems (use --json for the full list)")
    console.print("counts: " + ", ".join(f"{k}={v}" for k, v in d["problem_counts"].items()))
