"""`tipnet user` (accounts, API tokens, demo log-ins) and `tipnet audit` (verify and read the audit log).

The command line acts as the operator who holds the database, with a hub administrator's rights over accounts: it
goes through `tipnet.auth.admin` like the web, and every change it makes is written to the audit log as
`cli:<login name>`, marked as coming from the command line. No logic lives here.
"""

from __future__ import annotations

import sys

import typer

from tipnet.cli.common import DbOption, JsonOption, exits, fail
from tipnet.cli.common import open_db as _db
from tipnet.cli.common import operator as _operator
from tipnet.cli.render import console, emit_json
from tipnet.store import Database

user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)



def _user(db: Database, email: str, as_json: bool = False):  # type: ignore[no-untyped-def]
    from tipnet.auth import users

    user = users.by_email(db, email)
    if user is None:
        fail(f"no user {email}", as_json=as_json, code="not-found", status=404)
    return user


@user_app.command("add")
@exits
def user_add(
    email: str = typer.Option(..., "--email", help="The person's e-mail address (their sign-in name)."),
    role: str = typer.Option(..., "--role", help="hub_admin, hub_analyst, focal_point, analyst, investigator, "
                                                 "service_provider."),
    country: str = typer.Option(None, "--country", help="ISO3 code (every role but the hub's)."),
    name: str = typer.Option(None, "--name", help="Display name."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input instead of generating a "
                                             "temporary one."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create an account. Without --password-stdin a temporary password is printed once; it must be changed at the
    first sign-in, where the second factor is also set up."""
    from tipnet.auth import admin

    database, me = _db(db), _operator()
    try:
        if password_stdin:
            user, password = admin.create_with_password(database, me, email, role, country, name,
                                                        sys.stdin.readline().rstrip("\n")), None
        else:
            user, password = admin.create(database, me, email, role, country, name)
    except ValueError as exc:
        fail(str(exc), as_json=as_json)
    out = {"user": user.public(), "temporary_password": None if password_stdin else password}
    if as_json:
        emit_json(out)
        return
    console.print(f"created {user.email} ({user.role.value}{', ' + user.country if user.country else ''})")
    if not password_stdin:
        console.print(f"temporary password (shown once): {password}")


@user_app.command("list")
def user_list(country: str = typer.Option(None, "--country"), db: str = DbOption, as_json: bool = JsonOption) -> None:
    """List accounts."""
    from rich.table import Table

    from tipnet.auth import admin

    rows = [u for u in admin.listing(_db(db), _operator()) if not country or u["country"] == country.upper()]
    if as_json:
        emit_json(rows)
        return
    t = Table("id", "email", "role", "country", "2FA", "disabled")
    for r in rows:
        t.add_row(str(r["id"]), r["email"], r["role"], r["country"] or "hub", str(r["totp_enabled"]),
                  str(r["disabled"]))
    console.print(t)


@exits
def _change(email: str, action: str, db: str | None, as_json: bool) -> None:
    from tipnet.auth import admin

    database = _db(db)
    user = _user(database, email, as_json)
    done = admin.change(database, _operator(), user.id, action)
    out: dict[str, object] = {"email": user.email, "action": action}
    if "temporary_password" in done:
        out["temporary_password"] = done["temporary_password"]
    if as_json:
        emit_json(out)
    else:
        console.print(" ".join(f"{k}={v}" for k, v in out.items()))


@user_app.command("disable")
def user_disable(email: str, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Disable an account, end its sessions and revoke its API tokens (enabling it again does not bring them back)."""
    _change(email, "disable", db, as_json=as_json)


@user_app.command("enable")
def user_enable(email: str, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Enable a disabled account (its sign-in only: API tokens revoked by the disable stay revoked)."""
    _change(email, "enable", db, as_json=as_json)


@user_app.command("reset-password")
def user_reset_password(email: str, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Give the account a temporary password (printed once) and end its sessions."""
    _change(email, "reset_password", db, as_json=as_json)


@user_app.command("reset-totp")
def user_reset_totp(email: str, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Remove the account's second factor: it is set up again at the next sign-in."""
    _change(email, "reset_totp", db, as_json=as_json)


@user_app.command("token")
@exits
def user_token(
    email: str,
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. 'police nightly export'."),
    days: int = typer.Option(365, "--days", help="Lifetime in days."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create an API token for a country user's machine submissions (printed once)."""
    from tipnet.auth import tokens
    from tipnet.auth.principal import Principal, Via

    database = _db(db)
    user = _user(database, email, as_json)
    owner = Principal(via=Via.SYSTEM, user_id=user.id, email=user.email, role=user.role, country=user.country)
    issued = tokens.issue(database, owner, name, days, actor=_operator())
    if as_json:
        emit_json(issued)
    else:
        console.print(f"token for {user.email} ({issued['country']}), expires {issued['expires_at']}:")
        console.print(issued["token"])


@user_app.command("demo")
def user_demo(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Create the demo accounts (published passwords and TOTP secrets: demo stores only)."""
    from tipnet.demo.users import create_demo_users

    logins = create_demo_users(_db(db))
    if as_json:
        emit_json(logins)
    else:
        print_logins(logins)


def print_logins(logins: list[dict[str, object]]) -> None:
    """The demo log-ins as a table (also used by `tipnet demo`)."""
    # One line per account, never cut to the terminal's width: a truncated password or secret is useless.
    console.print("demo log-ins (demo only): e-mail  password  role  country  TOTP secret", soft_wrap=True)
    for u in logins:
        console.print(f"  {u['email']}  {u['password']}  {u['role']}  {u['country'] or 'hub'}  {u['totp_secret']}",
                      soft_wrap=True, markup=False, highlight=False)
    console.print("one-time codes: an authenticator app with the secret, or `tipnet user otp SECRET`")


@user_app.command("otp")
def user_otp(secret: str) -> None:
    """Print the current one-time code for a TOTP secret (for demos and tests)."""
    from tipnet.auth import totp

    console.print(totp.current_code(secret.strip().replace(" ", "").upper()))


@audit_app.command("verify")
def audit_verify(
    expect_head: str = typer.Option(None, "--expect-head",
                                    help="SEQ:HASH printed by an earlier run: it must still be in the chain."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Recompute the hash chain; report the first broken row. Exits 1 when the log was altered."""
    from tipnet.auth import audit

    result = audit.verify(_db(db), expect_head)
    if as_json:
        emit_json(result.to_dict())
    elif result.ok:
        console.print(f"[green]audit log intact[/green]: {result.rows} rows; head {result.head_seq}:{result.head_hash}")
    else:
        console.print(f"[red]audit log broken at row {result.broken_seq}[/red]: {result.reason} "
                      f"({result.rows} rows verified before it)")
    raise typer.Exit(0 if result.ok else 1)


@audit_app.command("show")
def audit_show(
    action: str = typer.Option(None, "--action", help="Actions starting with this, e.g. 'records.'."),
    actor: str = typer.Option(None, "--actor", help="E-mail (or part of it)."),
    country: str = typer.Option(None, "--country", help="Whose data (subject country)."),
    limit: int = typer.Option(50, "--limit"),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """The newest entries, filtered."""
    from rich.table import Table
    from sqlalchemy import true

    from tipnet.auth import audit

    filters = {"action": action or "", "actor": actor or "", "subject_country": (country or "").upper()}
    rows = audit.search(_db(db), true(), filters, limit)
    if as_json:
        emit_json(rows)
        return
    t = Table("seq", "at", "actor", "role", "country", "action", "outcome", "object", "data of", "ip")
    for r in rows:
        t.add_row(str(r["seq"]), r["at"], r["actor"] or "", r["role"] or "", r["country"] or "", r["action"],
                  r["outcome"], f"{r['object_type'] or ''} {r['object_id'] or ''}".strip(),
                  r["subject_country"] or "", r["ip"] or "")
    console.print(t)
