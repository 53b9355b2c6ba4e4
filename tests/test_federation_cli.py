"""`tipnet node ...` and `tipnet hub ...` by file (a closed line), the apps mounted alone: keys exchanged as files,
registration, a bundle and its receipt, linkage results exported and imported, rotation and revocation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from federation_helpers import people, write_records
from typer.testing import CliRunner

from tipnet.cli.node import hub_app, node_app
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database

app = typer.Typer()
app.add_typer(node_app, name="node")
app.add_typer(hub_app, name="hub")
runner = CliRunner()
POLICY = "kinds: {aggregates: true, tables: true, records: true, clk: true}\nclk: {secret_file: linkage.key}\n"


def _run(home: Path, *args: str, code: int = 0) -> dict | list:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"], env={"TIPNET_HOME": str(home)})
    assert result.exit_code == code, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.fixture
def homes(tmp_path: Path, inprocess_imports: None) -> dict[str, Path]:
    out = {"hub": tmp_path / "hub"}
    common = people(30, 7)
    for i, country in enumerate(("PER", "CHL")):
        home = tmp_path / country
        db = Database(f"sqlite:///{home / 'node.db'}")
        db.upgrade()
        f = tmp_path / f"{country}.csv"
        write_records(f, country, people(50, i) + common, i)
        assert import_file(f, db, ImportOptions(country=country), Settings.from_env(home=home)).rows_quarantined == 0
        db.dispose()
        out[country] = home
    return out


def test_a_closed_line_exchange_by_files(homes: dict[str, Path], tmp_path: Path) -> None:
    hub = homes["hub"]
    hub_db = f"sqlite:///{hub / 'hub.db'}"
    hub_keys = tmp_path / "hub.json"
    hub_pub = _run(hub, "hub", "init", "--export", str(hub_keys))
    assert json.loads(hub_keys.read_text())["key_id"] == hub_pub["key_id"]
    for country in ("PER", "CHL"):
        home = homes[country]
        db = f"sqlite:///{home / 'node.db'}"
        made = _run(home, "node", "init", "--country", country, "--hub-keys", str(hub_keys))
        assert made["hub"] == hub_pub["key_id"] and made["node_id"] == f"{country.lower()}-node"
        (home / "federation" / "policy.yaml").write_text(POLICY)
        (home / "federation" / "linkage.key").write_text("the shared linkage secret of the region\n")
        node_keys = tmp_path / f"{country}-node.json"
        _run(home, "node", "keys", "--export", str(node_keys))
        assert _run(hub, "hub", "register", str(node_keys), "--db", hub_db)["country"] == country
        shared = _run(home, "node", "share", "--db", db)
        assert shared["parts"]["records"] > 0 and shared["sequence"] == 1
        bundle = tmp_path / f"{country}.bundle"
        _run(home, "node", "export", "--out", str(bundle), "--db", db)
        receipt = tmp_path / f"{country}-receipt.json"
        _run(hub, "hub", "import", str(bundle), "--receipt", str(receipt), "--db", hub_db)
        assert _run(home, "node", "import", str(receipt), "--db", db)["status"] == "accepted"
        assert _run(home, "node", "status", "--db", db)["outbox"][0]["status"] == "accepted"
    assert {r["node_id"]: r["last_seq"] for r in _run(hub, "hub", "nodes", "--db", hub_db)} == \
        {"per-node": 1, "chl-node": 1}
    tables = _run(hub, "hub", "tables", "--db", hub_db)
    assert {r["country"] for r in tables} == {"PER", "CHL"} and all(r["victims"] > 0 for r in tables)
    linked = _run(hub, "hub", "link", "--db", hub_db)
    assert linked["linked_records"] > 0 and len(linked["sent"]) == 2
    out = tmp_path / "to-per"
    (path,) = _run(hub, "hub", "export", "per-node", "--out", str(out), "--db", hub_db)
    got = _run(homes["PER"], "node", "import", path, "--db", f"sqlite:///{homes['PER'] / 'node.db'}")
    assert got["status"] == "imported" and got["linked_records"] > 0
    # rotation handed over by file, then a bundle signed with the new key is accepted
    per, per_db = homes["PER"], f"sqlite:///{homes['PER'] / 'node.db'}"
    rotated = _run(per, "node", "keys", "--rotate")
    assert rotated["rotation"] and rotated["key_id"] != made["key_id"]
    assert _run(hub, "hub", "rotate", rotated["rotation"], "--db", hub_db)["keys"][-1]["key_id"] == rotated["key_id"]
    _run(per, "node", "share", "--db", per_db)
    bundle = tmp_path / "per-2.bundle"
    _run(per, "node", "export", "--out", str(bundle), "--db", per_db)
    assert _run(hub, "hub", "import", str(bundle), "--db", hub_db)["receipt"]["status"] == "accepted"
    # revoked: the next bundle is refused, and the command says so
    _run(hub, "hub", "revoke", "per-node", "--reason", "lost laptop", "--db", hub_db)
    assert _run(per, "node", "share", "--db", per_db)["sequence"] == 3
    _run(per, "node", "export", "--out", str(bundle), "--sequence", "3", "--db", per_db)
    refused = _run(hub, "hub", "import", str(bundle), "--db", hub_db, code=1)
    assert refused["receipt"]["reason_code"] == "revoked-key"


def test_a_bad_policy_is_named_with_its_file(homes: dict[str, Path], tmp_path: Path) -> None:
    hub_keys = tmp_path / "hub.json"
    _run(homes["hub"], "hub", "init", "--export", str(hub_keys))
    home = homes["PER"]
    _run(home, "node", "init", "--country", "PER", "--hub-keys", str(hub_keys))
    (home / "federation" / "policy.yaml").write_text("records: {fields: [given_names]}\n")
    err = _run(home, "node", "share", "--db", f"sqlite:///{home / 'node.db'}", code=1)
    assert "policy.yaml" in err["error"]["message"] and "given_names" in err["error"]["message"]
