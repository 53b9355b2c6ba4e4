"""`tipnet message`: secure messaging from the command line, as one authority account (`--as EMAIL`).

The command line is that person's client (tipnet.messaging.client): their passphrase unlocks their keys here, in this
process; encryption, signatures and checks happen here; the store receives ciphertext only. It reads the passphrase
from the terminal, or one line from standard input with --passphrase-stdin. No logic lives here.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from tipnet.cli.common import DbOption, JsonOption, exits, fail, open_db
from tipnet.cli.render import console, emit, emit_json

message_app = typer.Typer(help="End-to-end encrypted messages between authority accounts.", no_args_is_help=True)

AsOption = typer.Option(..., "--as", help="The account (e-mail) whose client this is.")
StdinOption = typer.Option(False, "--passphrase-stdin", help="Read the passphrase from one line of standard input.")


def _client(email: str, db_url: str | None, as_json: bool):  # type: ignore[no-untyped-def]
    from tipnet.auth import users
    from tipnet.auth.principal import Principal, Via
    from tipnet.messaging.client import Client, LocalTransport

    database = open_db(db_url)
    user = users.by_email(database, email)
    if user is None:
        fail(f"no user {email}", as_json=as_json, code="not-found", status=404)
    who = Principal(via=Via.SYSTEM, user_id=user.id, email=user.email, role=user.role, country=user.country)
    return database, Client(LocalTransport(database, who), user.id)


def _passphrase(from_stdin: bool, prompt: str = "Passphrase: ", confirm: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise typer.BadParameter("the two passphrases differ")
    return value


@message_app.command("init")
@exits
def init(email: str = AsOption, passphrase_stdin: bool = StdinOption, db: str = DbOption,
         as_json: bool = JsonOption) -> None:
    """Make this account's keys (first time, or after a revocation); the private keys are stored passphrase-wrapped."""
    _, client = _client(email, db, as_json)
    passphrase = _passphrase(passphrase_stdin, confirm=True)
    if len(passphrase) < 12:
        fail("the passphrase must have at least 12 characters", as_json=as_json)
    key = client.create_identity(passphrase)
    emit({"key": key}, as_json, f"key fingerprint (compare it by telephone): {key}")


@message_app.command("rotate")
@exits
def rotate(email: str = AsOption, passphrase_stdin: bool = StdinOption, db: str = DbOption,
           as_json: bool = JsonOption) -> None:
    """Replace the current key with a new one signed by it; the old one still opens old messages."""
    _, client = _client(email, db, as_json)
    passphrase = _passphrase(passphrase_stdin)
    client.unlock(passphrase)
    key = client.rotate(passphrase)
    emit({"key": key}, as_json, f"new key fingerprint: {key}")


@message_app.command("revoke")
@exits
def revoke(email: str = AsOption, key: str = typer.Option(None, "--key", help="Key id (default: the current key)."),
           db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Revoke a key (lost passphrase, suspected compromise). No passphrase needed; make a new key with `init`."""
    _, client = _client(email, db, as_json)
    target = key or client.transport.own_keys()["current"]
    if not target:
        fail("this account has no current key", as_json=as_json, code="not-found", status=404)
    client.revoke(target)
    emit({"revoked": target}, as_json, f"revoked {target}")


@message_app.command("keys")
@exits
def keys(email: str = AsOption, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """This account's keys (fingerprints, rotation chain, state)."""
    _, client = _client(email, db, as_json)
    mine = client.transport.own_keys()
    rows = [{"key": k["bundle"]["key"], "prev": k["bundle"]["prev"], "created_at": k["created_at"],
             "retired_at": k["retired_at"], "revoked_at": k["revoked_at"],
             "current": k["bundle"]["key"] == mine["current"]} for k in mine["keys"]]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = "current" if r["current"] else "revoked" if r["revoked_at"] else "retired"
        console.print(f"{r['key']}  {state}  created {r['created_at']}")


@message_app.command("send")
@exits
def send(
    email: str = AsOption,
    to: list[str] = typer.Option(..., "--to", help="Recipient e-mail (repeat for several)."),
    subject: str = typer.Option(..., "--subject"),
    text: str = typer.Option(None, "--text", help="The message (or --text-file)."),
    text_file: Path = typer.Option(None, "--text-file", help="Read the message from this UTF-8 file."),
    attach: list[Path] = typer.Option([], "--attach", help="A file to attach (repeat for several)."),
    urgent: bool = typer.Option(False, "--urgent", help="Alert the recipients (operational contacts)."),
    passphrase_stdin: bool = StdinOption,
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Encrypt, sign and send a message."""
    from tipnet.auth import users
    from tipnet.messaging.envelope import Attachment, Plain

    database, client = _client(email, db, as_json)
    recipients = []
    for address in to:
        person = users.by_email(database, address)
        if person is None:
            fail(f"no user {address}", as_json=as_json, code="not-found", status=404)
        recipients.append(person.id)
    body = text_file.read_text(encoding="utf-8") if text_file else (text or "")
    files = []
    for path in attach:
        if not path.is_file():
            fail(f"{path}: no such file", as_json=as_json, code="not-found", status=404)
        files.append(Attachment(path.name, path.read_bytes()))
    passphrase = _passphrase(passphrase_stdin)
    client.unlock(passphrase)
    sent = client.send(recipients, Plain(subject, body, files), urgent)
    emit(sent, as_json, f"sent {sent['id']} (envelope {sent['envelope_hash'][:16]})")


@message_app.command("inbox")
@exits
def inbox(email: str = AsOption, sent: bool = typer.Option(False, "--sent", help="The sent folder instead."),
          passphrase_stdin: bool = StdinOption, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """List messages (opened and checked here)."""
    _, client = _client(email, db, as_json)
    passphrase = _passphrase(passphrase_stdin)
    client.unlock(passphrase)
    box = client.mailbox()
    rows = []
    for m in box["sent" if sent else "inbox"]:
        if isinstance(m, dict):
            rows.append(m)
            continue
        kinds = sorted({r["receipt"]["kind"] for r in m.receipts})
        rows.append({"id": m.id, "from": m.sender, "subject": m.subject, "sent_at": m.sent_at, "urgent": m.urgent,
                     "attachments": len(m.attachments), "receipts": kinds})
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        flag = "URGENT " if r.get("urgent") else ""
        console.print(f"{r['id']}  {flag}{r.get('sent_at', '')}  {r.get('subject', r.get('error'))}")


@message_app.command("read")
@exits
def read(message_id: str, email: str = AsOption,
         save_dir: Path = typer.Option(None, "--save-dir", help="Write the attachments into this folder."),
         passphrase_stdin: bool = StdinOption, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Open a message and its attachments; signs delivery and read receipts."""
    _, client = _client(email, db, as_json)
    passphrase = _passphrase(passphrase_stdin)
    client.unlock(passphrase)
    opened = client.read(message_id)
    saved = []
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        for meta, content in zip(opened.attachments, opened.contents, strict=True):
            target = save_dir / Path(str(meta["name"])).name
            target.write_bytes(content)
            saved.append(str(target))
    data = {"id": opened.id, "from": opened.sender, "subject": opened.subject, "text": opened.text,
            "sent_at": opened.sent_at, "urgent": opened.urgent, "attachments": opened.attachments, "saved": saved}
    emit(data, as_json, f"{opened.subject}\n\n{opened.text}")


@message_app.command("receipts")
@exits
def receipts(message_id: str, email: str = AsOption, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """The receipts of a message, each signature checked against the signer's key history."""
    _, client = _client(email, db, as_json)
    got = client.verified_receipts(message_id)
    if as_json:
        emit_json(got)
        return
    for r in got:
        console.print(f"{r['kind']}  user {r['user']}  {r['at']}  signature verified")
