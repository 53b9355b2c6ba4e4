"""What every command group shares: the --db and --json options, opening the store, the operator principal."""

from __future__ import annotations

import getpass
from typing import Any

import typer

from tipnet.cli.render import console
from tipnet.store import Database

DbOption = typer.Option(None, "--db", help="Database URL (default: TIPNET_DB or the embedded SQLite file).")
JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")


def open_db(url: str | None) -> Database:
    """The store at this URL (default: TIPNET_DB or the embedded SQLite file), its schema brought up to date."""
    db = Database(url) if url else Database()
    db.upgrade()
    return db


def operator() -> Any:
    """The principal a command line acts as: the system, named after the OS user (for the audit log)."""
    from tipnet.auth.principal import system

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return system(f"cli:{name}")


def fail(message: str) -> None:
    """Print the message in red and exit with status 1."""
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(1)
