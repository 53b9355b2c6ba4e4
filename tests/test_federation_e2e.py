"""Federation end to end: a hub and three national nodes as separate processes on loopback, each with its own
SQLite database and home folder. The hub runs `tipnet serve`; the nodes run `tipnet node push|pull|export`; the
hub's operator runs `tipnet hub import`. (Bundles are made and receipts filed in the test process with the library
calls `tipnet node share|import` make, to keep the run short.)

- PER and COL push over HTTP, ARG sends its bundle by file: the hub's hemispheric figures are the union of what
  was shared (records of consenting victims, protected tables, aggregate returns), checked against the source files.
- A pushing client is killed between chunks, then a connection is cut in the middle of a chunk; the next push
  continues from the hub's offset, and nothing is applied twice.
- The hub is killed (SIGKILL) while it applies a bundle: nothing of it is left; the next push applies it once.
- Linkage results come back to a node by pull; a replayed bundle gets the same receipt; a revoked node's bundle
  is rejected with a signed receipt saying why.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import make_user
from federation_helpers import add_aggregate_return, expected_table, people, write_records
from served import free_port
from sqlalchemy import func, select

from tipnet.auth import tokens
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.federation import hub as inbox
from tipnet.federation import node as nodes
from tipnet.federation import receipts, registry, results, transport
from tipnet.federation.summary import hemispheric
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.stats import CubeSpec, StatsSource
from tipnet.stats.figures import victims
from tipnet.store import Database
from tipnet.store.tables import aggregates
from tipnet.store.tables_federation import fed_bundles, fed_nodes, fed_provenance

TIPNET = str(Path(sys.executable).with_name("tipnet"))
LINKAGE = "kinds: {aggregates: true, tables: true, records: true, clk: true}\nclk: {secret_file: linkage.key}\n"
POLICIES = {"PER": LINKAGE, "COL": None, "ARG": LINKAGE}  # None: the default policy (no record-level data)


class HubProcess:
    def __init__(self, home: Path, db_url: str) -> None:
        self.home, self.db_url, self.proc = home, db_url, None  # type: ignore[var-annotated]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, **env: str) -> None:
        log = (self.home / "serve.log").open("ab")
        self.proc = subprocess.Popen([TIPNET, "serve", "--port", str(self.port), "--db", self.db_url],
                                     env={**os.environ, "TIPNET_HOME": str(self.home), **env},
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.home / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        raise RuntimeError("the hub did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)


class NodeSite:
    def __init__(self, root: Path, country: str, n: int, seed: int) -> None:
        self.country = country
        self.home = root / country
        self.db_url = f"sqlite:///{self.home / 'node.db'}"
        self.db = Database(self.db_url)
        self.db.upgrade()
        self.node: nodes.Node
        self.file = root / f"{country}.csv"
        self.consenting = write_records(self.file, country, people(n, seed) + people(15, 999), seed)
        report = import_file(self.file, self.db, ImportOptions(country=country), Settings.from_env(home=self.home))
        assert report.rows_quarantined == 0

    def run(self, *args: str, check: bool = True) -> dict[str, Any] | list[Any]:
        done = subprocess.run([TIPNET, "node", *args, "--db", self.db_url, "--json"], capture_output=True, text=True,
                              env={**os.environ, "TIPNET_HOME": str(self.home)}, timeout=180)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def share(self) -> dict[str, Any]:
        """`tipnet node share` in this process (the same code; saves starting a process)."""
        b, path, counts = nodes.make_bundle(self.node, self.db)
        return {"bundle_id": b.bundle_id, "sequence": b.sequence, "path": str(path), "parts": counts}

    def popen(self, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen([TIPNET, "node", *args, "--db", self.db_url, "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "TIPNET_HOME": str(self.home), **env})


class Net:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.hub_home = root / "hub"
        self.hub_db = Database(f"sqlite:///{self.hub_home / 'hub.db'}")
        self.hub_db.upgrade()
        hub_id = inbox.init_hub(self.hub_home / "federation")
        self.hub_pub = hub_id.public
        self.server = HubProcess(self.hub_home, self.hub_db.url)
        self.sites: dict[str, NodeSite] = {}
        for i, country in enumerate(POLICIES):
            site = NodeSite(root, country, 60 + 20 * i, i + 1)
            acct = make_user(self.hub_db, "analyst", country)
            owner = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.ANALYST,
                              country=country)
            token = tokens.issue(self.hub_db, owner, "node", 30)["token"]
            node = nodes.init(site.home / "federation", country, None, self.hub_pub, self.server.url, token)
            if POLICIES[country]:
                (node.folder / "policy.yaml").write_text(POLICIES[country] or "", encoding="utf-8")
                (node.folder / "linkage.key").write_text("the shared linkage secret of the region\n")
            registry.register(self.hub_db, node.identity.public)
            site.node = node
            self.sites[country] = site
        add_aggregate_return(self.sites["PER"].db, "PER", 2022, 41)
        add_aggregate_return(self.sites["COL"].db, "COL", 2022, 17)
        add_aggregate_return(self.sites["ARG"].db, "ARG", 2023, 9)

    def hub(self) -> inbox.Hub:
        h = inbox.load_hub(self.hub_db, self.hub_home / "federation")
        assert h is not None
        return h

    def count(self, table, *where) -> int:  # type: ignore[no-untyped-def]
        with self.hub_db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("federation")
    mp.setenv("TIPNET_HOME", str(root / "hub"))
    n = Net(root)
    n.server.start()
    yield n
    n.server.kill()
    mp.undo()


def _hub_figures(net: Net) -> dict[str, Any]:
    records = {(r["country"], r["year"]): r["victims"]
               for r in victims(StatsSource(net.hub_db), CubeSpec(("country", "year"), margins=False))}
    tables = {(r["country"], r["year"]): r["victims"] for r in hemispheric(net.hub_db, ("country", "year"))}
    with net.hub_db.engine.connect() as conn:
        agg = {(r.country, r.year): r.value for r in conn.execute(select(aggregates))}
    return {"records": records, "tables": tables, "aggregates": agg}


def _expected(net: Net, countries: list[str]) -> dict[str, Any]:
    records = {(c, y): n for c in countries if POLICIES[c] for y, n in net.sites[c].consenting.items()}
    tables = {(c, y): n for c in countries for y, n in expected_table(net.sites[c].file, 5).items()}
    agg = {("PER", 2022): 41, ("COL", 2022): 17, ("ARG", 2023): 9}
    return {"records": records, "tables": tables, "aggregates": {k: v for k, v in agg.items() if k[0] in countries}}


def test_pushes_and_a_file_transfer_give_the_hub_the_union_of_what_was_shared(net: Net) -> None:
    per, col, arg = net.sites["PER"], net.sites["COL"], net.sites["ARG"]
    assert per.share()["sequence"] == 1 and col.share()["sequence"] == 1
    pushes = [per.popen("push", TIPNET_FED_CHUNK_BYTES="8192"), col.popen("push")]  # two nodes at once
    for p in pushes:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, out + err
        (receipt,) = json.loads(out)
        assert receipt["status"] == "accepted" and receipt["applied"]
    assert _hub_figures(net) == _expected(net, ["PER", "COL"])
    # ARG's line is closed: the bundle goes by file, the receipt comes back by file
    arg.share()
    bundle_file = net.root / "arg-bundle.tipnet-bundle"
    arg.run("export", "--out", str(bundle_file))
    receipt_file = net.root / "arg-receipt.json"
    done = subprocess.run([TIPNET, "hub", "import", str(bundle_file), "--receipt", str(receipt_file), "--db",
                           net.hub_db.url], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "TIPNET_HOME": str(net.hub_home)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert nodes.record_receipt(arg.node, arg.db, json.loads(receipt_file.read_text()))["status"] == "accepted"
    assert nodes.outbox(arg.db)[0]["status"] == "accepted"
    assert _hub_figures(net) == _expected(net, ["PER", "COL", "ARG"])
    # the same bundle file again: the same receipt, nothing applied twice
    again = inbox.receive_file(net.hub(), bundle_file.read_bytes())
    assert again == json.loads(receipt_file.read_text())
    assert _hub_figures(net) == _expected(net, ["PER", "COL", "ARG"])


_KILLED_CLIENT = """
import os, signal, sys
from pathlib import Path
from tipnet.federation.transport import Client
url, token, bundle_id, sha, path = sys.argv[1:]
raw = Path(path).read_bytes()
c = Client(url, token)
c.post_json("/api/federation/uploads", {"bundle_id": bundle_id, "size": len(raw), "sha256": sha})
c.request("PUT", f"/api/federation/uploads/{bundle_id}?offset=0", raw[: len(raw) // 3], "application/octet-stream")
os.kill(os.getpid(), signal.SIGKILL)  # the client dies between two chunks
"""


def _put_half_and_cut(url: str, token: str, bundle_id: str, offset: int, rest: bytes) -> None:
    """Send a chunk's headers and half its body, then drop the connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        head = (f"PUT /api/federation/uploads/{bundle_id}?offset={offset} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(rest)}\r\n\r\n").encode()
        s.sendall(head + rest[:len(rest) // 2])
        time.sleep(0.5)


def test_a_push_cut_mid_chunk_resumes_and_nothing_is_applied_twice(net: Net) -> None:
    from tipnet.federation.transport import Client

    per = net.sites["PER"]
    made = per.share()
    raw = Path(made["path"]).read_bytes()
    node = nodes.Node.load(per.home / "federation")
    client = Client(net.server.url, node.token)
    status = f"/api/federation/uploads/{made['bundle_id']}"
    # a client process sends the first chunk and is killed
    killed = subprocess.run([sys.executable, "-c", _KILLED_CLIENT, net.server.url, str(node.token),
                             made["bundle_id"], nodes.file_sha256(Path(made["path"])), made["path"]],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    first = client.request("GET", status)["offset"]
    assert first == len(raw) // 3
    # then a connection is cut in the middle of the next chunk
    _put_half_and_cut(net.server.url, str(node.token), made["bundle_id"], first, raw[first:])
    deadline = time.monotonic() + 20
    offset = first
    while time.monotonic() < deadline and offset == first:
        offset = client.request("GET", status)["offset"]
        time.sleep(0.2)
    assert first < offset < len(raw)  # the hub kept what arrived before the cut
    before = _hub_figures(net)
    (receipt,) = per.run("push")
    assert receipt["status"] == "accepted" and receipt["sequence"] == 2
    after = _hub_figures(net)
    per_records = {k: v for k, v in after["records"].items() if k[0] == "PER"}
    assert per_records == {k: 2 * v for k, v in before["records"].items() if k[0] == "PER"}  # the second share
    assert after["tables"] == before["tables"]  # the newest table of each country: the same figures
    assert net.count(fed_provenance, fed_provenance.c.bundle_id == made["bundle_id"]) == 4  # one row per part
    assert transport.push(per.node, per.db) == []  # nothing left to push


def test_killing_the_hub_mid_apply_leaves_nothing_partial(net: Net) -> None:
    col = net.sites["COL"]
    made = col.share()
    net.server.kill()
    net.server.start(TIPNET_FED_APPLY_PAUSE="60")
    before = _hub_figures(net), net.count(fed_provenance)
    push = col.popen("push")
    marker = net.hub_home / "federation" / f"applying-{made['bundle_id']}"
    deadline = time.monotonic() + 90
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the hub never reached the apply step"
    net.server.kill()  # SIGKILL inside the open transaction
    push.kill()
    push.communicate(timeout=30)
    assert (_hub_figures(net), net.count(fed_provenance)) == before
    with net.hub_db.engine.connect() as conn:
        status = conn.execute(select(fed_bundles.c.status).where(fed_bundles.c.bundle_id == made["bundle_id"])).scalar()
        last = conn.execute(select(fed_nodes.c.last_seq).where(fed_nodes.c.node_id == "col-node")).scalar()
    assert status == "received" and last == 1
    marker.unlink()
    net.server.start()
    (receipt,) = col.run("push")
    assert receipt["status"] == "accepted" and receipt["sequence"] == 2
    assert net.count(fed_provenance, fed_provenance.c.bundle_id == made["bundle_id"]) == 2  # aggregates, tables
    assert _hub_figures(net)["aggregates"] == before[0]["aggregates"] | {("COL", 2022): 17}
    assert net.count(aggregates, aggregates.c.country == "COL") == 2  # the return, once per accepted bundle


def test_results_come_back_by_pull_and_a_revoked_node_is_refused(net: Net) -> None:
    per, col = net.sites["PER"], net.sites["COL"]
    out = results.link(net.hub())
    assert {s["node_id"] for s in out["sent"]} == {"per-node", "arg-node"}
    (pulled,) = per.run("pull")
    assert pulled["status"] == "imported" and pulled["linked_records"] > 0
    linked = nodes.results(per.db)[0]["content"]["linkage"]
    assert all(r["record_id"].startswith("PER-R") and r["cluster_id"] for r in linked)
    assert {c for r in linked for c in r.get("countries", ["ARG"])} >= {"ARG"}
    assert transport.pull(per.node, per.db) == []
    contact = {n["node_id"]: n["last_contact_at"] for n in registry.nodes(net.hub_db)}
    assert contact["per-node"] and contact["per-node"] > contact["arg-node"]  # PER pulled after ARG's last bundle
    registry.revoke(net.hub_db, "col-node", "the node's server was compromised")
    col.share()
    done = subprocess.run([TIPNET, "node", "push", "--db", col.db_url, "--json"], capture_output=True, text=True,
                          env={**os.environ, "TIPNET_HOME": str(col.home)}, timeout=180)
    assert done.returncode == 1
    (receipt,) = json.loads(done.stdout)
    assert receipt["status"] == "rejected" and receipt["reason_code"] == "revoked-key"
    doc = nodes.outbox(col.db)[-1]["receipt"]  # the node filed the signed receipt with the bundle
    assert receipts.check(doc, net.hub_pub)["reason"].startswith("node col-node's key")
