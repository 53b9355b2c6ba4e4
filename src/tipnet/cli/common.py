"""What every command group shares: the --db and --json options, opening the store, the operator principal, and the
one way a command fails (a red message, or the JSON error shape with --json, and an exit status).

Domain errors (`tipnet.errors.TipnetError`) are mapped to that exit once, by `exits`: a command wrapped in it lets
them propagate instead of catching them itself.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer

from tipnet.auth.principal import Principal
from tipnet.cli.render import console, emit_json
from tipnet.errors import TipnetError
from tipnet.store import Database

if TYPE_CHECKING:
    from tipnet.stats.source import StatsSource

DbOption = typer.Option(None, "--db", help="Database URL (default: TIPNET_DB or the embedded SQLite file).")
JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")

P = ParamSpec("P")
R = TypeVar("R")


def open_db(url: str | None) -> Database:
    """The store at this URL (default: TIPNET_DB or the embedded SQLite file), its schema brought up to date."""
    db = Database(url) if url else Database()
    db.upgrade()
    return db


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def operator() -> Principal:
    """The principal a command line acts as: the operator who holds the database, named after the OS user. Its
    audit entries say they came from the command line."""
    from tipnet.auth.principal import operator as cli_operator

    return cli_operator(os_user())


def stats_source(db: Database) -> StatsSource:
    """The statistics source of the operator's scope (the whole store), through the scoped door."""
    from tipnet.auth.sources import SourceCache

    return SourceCache(db).for_principal(operator())


def fail(message: str, *, as_json: bool = False, code: str = "invalid-request", status: int = 422,
         details: Any = None, exit_code: int = 1) -> NoReturn:
    """Print the message in red (or, with --json, the error shape {"error": {status, code, message, details}}) and
    exit with `exit_code`."""
    if as_json:
        emit_json({"error": {"status": status, "code": code, "message": message, "details": details}})
    else:
        console.print(f"[red]{message}[/red]")
    raise typer.Exit(exit_code)


def fail_on(exc: TipnetError, *, as_json: bool = False, exit_code: int = 1) -> NoReturn:
    """Exit on a domain error: its message, code, status and details (as text: the message, then the details)."""
    text = exc.message if as_json or not exc.details else f"{exc.message} {exc.details}"
    fail(text, as_json=as_json, code=exc.code, status=exc.status, details=exc.details, exit_code=exit_code)


def exits(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that a domain error ends it through `fail` (as JSON when the command got --json)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TipnetError as exc:
            fail_on(exc, as_json=bool(kwargs.get("as_json", False)))

    return run
