"""Federation in one process: bundles, sharing policy, pseudonymisation, the hub's checks and receipts, the resumable
upload API, key rotation and revocation, linkage results back to nodes, the hub's pages.

The nodes and the hub have their own folders and databases; the end-to-end run over HTTP between separate
processes is in test_federation_e2e.py."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from auth_helpers import make_user, signed_in_client
from fastapi.testclient import TestClient
from federation_helpers import PLACE_MARK, add_aggregate_return, expected_table, people, write_records
from sqlalchemy import func, select

from tipnet.auth import tokens
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.federation import bundle as fmt
from tipnet.federation import hub as inbox
from tipnet.federation import node as nodes
from tipnet.federation import receipts, registry, results
from tipnet.federation.bundle import BundleError, Part
from tipnet.federation.keys import Identity, canonical
from tipnet.federation.policy import RECORD_FIELDS, PolicyError, parse
from tipnet.federation.share import Period
from tipnet.federation.summary import hemispheric
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.stats import CubeSpec, StatsSource
from tipnet.stats.figures import victims
from tipnet.store import Database
from tipnet.store.tables import aggregates, persons, submissions
from tipnet.store.tables_federation import fed_provenance, fed_tables
from tipnet.web.app import create_app

RECORDS_POLICY = """\
kinds: {aggregates: true, tables: true, records: true, clk: true}
tables: {dims: [year, sex, age_group], min_cell: 3}
clk: {secret_file: linkage.key}
"""
PER_ONLY, COL_ONLY, COMMON = 160, 120, 40
LINKAGE_SECRET = "a shared linkage secret known to the national authorities only\n"


class Site:
    def __init__(self, root: Path, country: str, hub: Identity, persons_: list, seed: int) -> None:
        self.country = country
        self.db = Database(f"sqlite:///{root / country / 'node.db'}")
        self.db.upgrade()
        self.settings = Settings.from_env(home=root / country / "home")
        self.file = root / f"{country}.csv"
        self.consenting = write_records(self.file, country, persons_, seed)
        self.persons = persons_
        report = import_file(self.file, self.db, ImportOptions(country=country), self.settings)
        assert report.rows_quarantined == 0, report.to_dict()
        self.node = nodes.init(self.settings.home / "federation", country, None, hub.public)

    def policy(self, text: str) -> None:
        (self.node.folder / "policy.yaml").write_text(text, encoding="utf-8")
        (self.node.folder / "linkage.key").write_text(LINKAGE_SECRET, encoding="utf-8")

    def bundle(self) -> fmt.Bundle:
        return nodes.make_bundle(self.node, self.db, Period())[0]


class World:
    def __init__(self, root: Path, hub_db: Database | None = None) -> None:
        self.hub_db = hub_db or Database(f"sqlite:///{root / 'hub' / 'hub.db'}")
        self.hub_db.upgrade()
        self.hub_settings = Settings.from_env(home=root / "hub" / "home")
        folder = self.hub_settings.home / "federation"
        inbox.init_hub(folder)
        hub = inbox.load_hub(self.hub_db, folder)
        assert hub is not None
        self.hub = hub
        common = people(COMMON, 99)  # people recorded in both countries (linkage must find them)
        self.per = Site(root, "PER", hub.identity, people(PER_ONLY, 1) + common, 11)
        self.col = Site(root, "COL", hub.identity, people(COL_ONLY, 2) + common, 22)
        for site in (self.per, self.col):
            registry.register(self.hub_db, site.node.identity.public)

    def count(self, table) -> int:  # type: ignore[no-untyped-def]
        with self.hub_db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def world(tmp_path: Path, settings: Settings, inprocess_imports: None) -> World:
    return World(tmp_path)


def _opened(w: World, b: fmt.Bundle) -> dict[str, bytes]:
    return {p.kind: p.data for p in fmt.open_parts(b, w.hub.identity)}


def _rezip(b: fmt.Bundle, manifest: dict, signature: dict, blobs: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", canonical(manifest))
        zf.writestr("signature.json", canonical(signature))
        for name, blob in (blobs or b.blobs).items():
            zf.writestr(f"parts/{name}", blob)
    return buf.getvalue()


def _rejected(w: World, doc: dict, code: str) -> dict:
    body = receipts.check(doc, w.hub.identity.public)  # signed by the hub, whatever the outcome
    assert body["status"] == "rejected" and body["reason_code"] == code, body
    assert body["reason"]
    return body


# --- format and policy ----------------------------------------------------------------------------------------------


def test_the_manifest_describes_the_bundle_and_a_changed_byte_is_found(world: World) -> None:
    b = world.per.bundle()
    m = b.manifest
    assert m["format"] == "tipnet-bundle" and m["format_version"] == 1 and m["standard_version"]
    assert (m["sender"], m["country"], m["sequence"], m["recipient"]) == ("per-node", "PER", 1, "hub")
    assert {p["kind"] for p in m["parts"]} == {"aggregates", "tables"}
    for p in m["parts"]:
        assert p["media_type"] and p["size"] == len(b.blobs[p["name"]]) and len(p["sha256"]) == 64
    fmt.verify(fmt.read(b.raw), world.per.node.identity.public)
    name = m["parts"][0]["name"]
    blobs = dict(b.blobs)
    blobs[name] = bytes([blobs[name][0] ^ 1]) + blobs[name][1:]
    with pytest.raises(BundleError) as err:
        fmt.verify(fmt.read(_rezip(b, m, b.signature, blobs)), world.per.node.identity.public)
    assert err.value.code == "tampered"
    changed = {**m, "sequence": 2}
    with pytest.raises(BundleError) as err:
        fmt.verify(fmt.read(_rezip(b, changed, b.signature)), world.per.node.identity.public)
    assert err.value.code == "bad-signature"


def _markers(site: Site) -> list[str]:
    out = [PLACE_MARK, "given_names", "family_names", "birth_date", "place_of_birth",
           "recruitment_place", "identification_date", f"{site.country}-R1", f"{site.country}-C1"]
    out += [p.birth.isoformat() for p in site.persons] + [p.given for p in site.persons]
    out += [p.family for p in site.persons]
    return out


@pytest.mark.parametrize("policy", ["default", "records"])
def test_nothing_identifying_leaves_a_node(world: World, policy: str) -> None:
    """Every byte of the bundle, opened with the hub's key: no name, birth date, free text, place or record id."""
    site = world.per
    if policy == "records":
        site.policy(RECORDS_POLICY)
    add_aggregate_return(site.db, "PER", 2022, 41)
    b = site.bundle()
    opened = _opened(world, b)
    assert set(opened) == ({"aggregates", "tables"} if policy == "default" else
                           {"aggregates", "tables", "records", "clk"})
    everything = canonical(b.manifest).decode() + "".join(d.decode("utf-8", "replace") for d in opened.values())
    leaked = [m for m in _markers(site) if m in everything]
    assert not leaked, leaked
    if policy == "records":
        rows = [json.loads(x) for x in opened["records"].decode().splitlines()]
        assert len(rows) == sum(site.consenting.values())  # consenting victims only
        assert all(r["consent_share_hub"] is True for r in rows)
        assert all(set(r) <= {"record_id", "case_id", *RECORD_FIELDS} for r in rows)
        assert "age" not in RECORD_FIELDS and "birth_date" not in RECORD_FIELDS
        assert all(len(r["record_id"]) == 32 for r in rows)  # keyed pseudonyms


def test_a_policy_cannot_let_identifying_fields_out(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"records\.fields.*given_names"):
        parse("records: {fields: [sex, given_names]}", "policy.yaml")
    with pytest.raises(PolicyError, match=r"policy\.yaml: kinds\.names"):
        parse("kinds: {names: true}", "policy.yaml")
    p = parse("kinds: {records: false}\ncountries: {PER: {kinds: {records: true}}}")
    assert p.for_country("PER").allows("records") and not p.for_country("COL").allows("records")


# --- the hub: apply, provenance, rejections -------------------------------------------------------------------------


def test_the_hub_holds_the_union_of_what_was_shared_with_provenance(world: World) -> None:
    for site in (world.per, world.col):
        site.policy(RECORDS_POLICY.replace("clk: true", "clk: false"))
    add_aggregate_return(world.per.db, "PER", 2022, 41)
    add_aggregate_return(world.col.db, "COL", 2022, 17)
    for site in (world.per, world.col):
        body = receipts.check(inbox.receive_file(world.hub, site.bundle().raw), world.hub.identity.public)
        assert body["status"] == "accepted", body
    by_country = {r["country"]: r["victims"] for r in victims(StatsSource(world.hub_db),
                                                              CubeSpec(("country",), margins=False))}
    assert by_country == {"PER": sum(world.per.consenting.values()), "COL": sum(world.col.consenting.values())}
    by_year = {(r["country"], r["year"]): r["victims"] for r in victims(StatsSource(world.hub_db),
                                                                        CubeSpec(("country", "year"), margins=False))}
    assert by_year == {(s.country, y): n for s in (world.per, world.col) for y, n in s.consenting.items()}
    with world.hub_db.engine.connect() as conn:
        agg = dict(conn.execute(select(aggregates.c.country, aggregates.c.value)).all())
        named = conn.execute(select(func.count()).where(persons.c.given_names.is_not(None)
                                                        | persons.c.birth_date.is_not(None))).scalar_one()
        prov = conn.execute(select(fed_provenance.c.kind, fed_provenance.c.submission_id, submissions.c.filename)
                            .join(submissions, submissions.c.id == fed_provenance.c.submission_id)).all()
    assert agg == {"PER": 41, "COL": 17} and named == 0
    assert {k for k, _, _ in prov} == {"records", "aggregates"} and all("bundle " in f for _, _, f in prov)
    tables = {(r["country"], r["year"]): r["victims"] for r in hemispheric(world.hub_db, ("country", "year"))}
    for site in (world.per, world.col):
        for year, n in expected_table(site.file, 3).items():
            assert tables[(site.country, year)] == n


def test_the_hub_applies_on_each_backend(tmp_path: Path, settings: Settings, inprocess_imports: None,
                                         db: Database) -> None:
    """The hub's store on SQLite and PostgreSQL: records, aggregates, tables, encodings, results, the register."""
    w = World(tmp_path, db)
    for site in (w.per, w.col):
        site.policy(RECORDS_POLICY)
        add_aggregate_return(site.db, site.country, 2022, 5)
        assert inbox.receive_file(w.hub, site.bundle().raw)["receipt"]["status"] == "accepted"
    by_country = {r["country"]: r["victims"] for r in victims(StatsSource(db), CubeSpec(("country",), margins=False))}
    assert by_country == {"PER": sum(w.per.consenting.values()), "COL": sum(w.col.consenting.values())}
    assert {(r["country"], r["victims"]) for r in hemispheric(db)} == {
        (s.country, sum(expected_table(s.file, 3).values())) for s in (w.per, w.col)}
    sent = results.link(w.hub)["sent"]
    assert len(sent) == 2 and results.pending(w.hub, "per-node")[0]["size"] > 0
    assert {n["node_id"]: n["bundles_accepted"] for n in registry.nodes(db)} == {"per-node": 1, "col-node": 1}
    _rejected(w, inbox.receive_file(w.hub, w.per.bundle().raw.replace(b"PK", b"PK", 1)[:-30]), "malformed")


def test_replays_gaps_bad_signatures_and_revoked_keys_get_signed_rejections(world: World) -> None:
    per = world.per
    first = per.bundle()
    assert receipts.check(inbox.receive_file(world.hub, first.raw), world.hub.identity.public)["status"] == "accepted"
    tables_before = world.count(fed_tables)
    # the same bundle again: the same receipt, nothing applied twice
    again = inbox.receive_file(world.hub, first.raw)
    assert again["receipt"]["status"] == "accepted" and world.count(fed_tables) == tables_before
    # the same bundle processed twice at once (two commits racing): the second finds it applied
    assert inbox.process(world.hub, first.raw, first.bundle_id, None) == again
    assert world.count(fed_tables) == tables_before
    # an old sequence number under a new bundle: a replay
    parts = fmt.open_parts(first, world.hub.identity)
    old = fmt.build(per.node.identity, world.hub.identity.public, parts, sequence=1, bundle_type="share",
                    country="PER")
    _rejected(world, inbox.receive_file(world.hub, old.raw), "replay")
    # a gap: number 5 while 2 is due (may pass later, once 2..4 arrived)
    gap = fmt.build(per.node.identity, world.hub.identity.public, parts, sequence=5, bundle_type="share",
                    country="PER")
    _rejected(world, inbox.receive_file(world.hub, gap.raw), "gap")
    # a key the hub does not know, claiming to be PER's node
    rogue = Identity.generate("per-node", "PER")
    forged = fmt.build(rogue, world.hub.identity.public, parts, sequence=2, bundle_type="share", country="PER")
    _rejected(world, inbox.receive_file(world.hub, forged.raw), "unknown-key")
    # ... or naming PER's registered key id, signed by another key
    m = {**forged.manifest, "sender_key_id": per.node.identity.public.key_id}
    sig = {**forged.signature, "signature": rogue.sign(canonical(m))}
    _rejected(world, inbox.receive_file(world.hub, _rezip(forged, m, sig)), "bad-signature")
    # a changed part
    b2 = per.bundle()
    name = b2.manifest["parts"][0]["name"]
    blobs = {**b2.blobs, name: b2.blobs[name][:-1] + bytes([b2.blobs[name][-1] ^ 0xFF])}
    _rejected(world, inbox.receive_file(world.hub, _rezip(b2, b2.manifest, b2.signature, blobs)), "tampered")
    # the untouched bundle 2 still goes through (nothing of the rejected ones was applied)
    assert inbox.receive_file(world.hub, b2.raw)["receipt"]["status"] == "accepted"
    assert world.count(fed_tables) == tables_before + 1
    # revoked: nothing signed by the node is accepted any more
    registry.revoke(world.hub_db, "per-node", "laptop stolen")
    _rejected(world, inbox.receive_file(world.hub, per.bundle().raw), "revoked-key")
    assert world.count(fed_tables) == tables_before + 1


def test_a_rotated_key_replaces_the_old_one(world: World) -> None:
    per = world.per
    old = Identity.load(per.node.folder / "identity.json")
    statement = nodes.rotate(per.node)
    registry.rotate(world.hub_db, statement)
    assert receipts.check(inbox.receive_file(world.hub, per.bundle().raw),
                          world.hub.identity.public)["status"] == "accepted"
    stale = fmt.build(old, world.hub.identity.public, [], sequence=2, bundle_type="share", country="PER")
    _rejected(world, inbox.receive_file(world.hub, stale.raw), "retired-key")
    forged = {**statement, "signature": Identity.generate("x", "PER").sign(canonical(statement["statement"]))}
    with pytest.raises((BundleError, registry.RegistryError)):
        registry.rotate(world.hub_db, forged)


def _malicious(world: World, rows: list[dict], seq: int = 1) -> bytes:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    b = fmt.build(world.per.node.identity, world.hub.identity.public,
                  [Part("records.jsonl", "records", "application/x-ndjson", data)], sequence=seq,
                  bundle_type="share", country="PER")
    return b.raw


def test_the_hub_refuses_records_a_correct_node_would_never_send(world: World) -> None:
    good = {"record_id": "a" * 32, "case_id": "b" * 32, "reporting_country": "PER", "role": "victim",
            "sex": "female", "consent_share_hub": True, "identification_year": 2022}
    _rejected(world, inbox.receive_file(world.hub, _malicious(world, [{**good, "given_names": "Ana"}])),
              "forbidden-field")
    _rejected(world, inbox.receive_file(world.hub, _malicious(world, [{**good, "consent_share_hub": False}], 2)),
              "no-consent")
    body = _rejected(world, inbox.receive_file(world.hub, _malicious(world, [{**good, "sex": "purple"}], 3)),
                     "invalid-data")
    assert "sex" in json.dumps(body["details"]) and "purple" in json.dumps(body["details"])
    assert world.count(persons) == 0
    assert receipts.check(inbox.receive_file(world.hub, _malicious(world, [good], 4)),
                          world.hub.identity.public)["status"] == "accepted"
    assert world.count(persons) == 1


# --- linkage results back to the nodes ------------------------------------------------------------------------------


def test_linkage_cluster_ids_come_back_resolvable_only_by_each_country(world: World) -> None:
    for site in (world.per, world.col):
        site.policy(RECORDS_POLICY)
        assert inbox.receive_file(world.hub, site.bundle().raw)["receipt"]["status"] == "accepted"
    out = results.link(world.hub)
    assert {s["node_id"] for s in out["sent"]} == {"per-node", "col-node"}
    resolved = {}
    for site in (world.per, world.col):
        (item,) = results.pending(world.hub, site.node.node_id)
        raw = results.fetch(world.hub, site.node.node_id, item["sequence"])
        assert raw is not None
        got = nodes.import_result(site.node, site.db, raw)
        assert got["status"] == "imported"
        assert nodes.import_result(site.node, site.db, raw)["status"] == "already-imported"
        (inbox_row,) = nodes.results(site.db)
        resolved[site.country] = {r["record_id"]: r["cluster_id"] for r in inbox_row["content"]["linkage"]}
        assert "releases" in inbox_row["content"]
    # the common people are the last of each file; linked only where both consented (i % 4 == 0 or 1)
    per_ids = {i: f"PER-R{PER_ONLY + i}" for i in range(COMMON)}
    col_ids = {i: f"COL-R{COL_ONLY + i}" for i in range(COMMON)}
    both = [i for i in range(COMMON) if (PER_ONLY + i) % 4 in (0, 1) and (COL_ONLY + i) % 4 in (0, 1)]
    assert len(both) == COMMON // 2
    found = [i for i in both if resolved["PER"].get(per_ids[i]) and
             resolved["PER"].get(per_ids[i]) == resolved["COL"].get(col_ids[i])]
    assert len(found) >= len(both) - 1, (both, found)
    false_links = set(resolved["PER"]) - {per_ids[i] for i in both}
    assert len(false_links) <= 1, false_links
    # the other node cannot open a bundle sealed to PER
    (item,) = results.pending(world.hub, "per-node")
    raw = results.fetch(world.hub, "per-node", item["sequence"])
    assert raw is not None
    with pytest.raises(BundleError):
        nodes.import_result(world.col.node, world.col.db, raw)


# --- the hub's API and pages ----------------------------------------------------------------------------------------


def _token(db: Database, country: str) -> str:
    acct = make_user(db, "analyst", country)
    owner = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.ANALYST, country=country)
    return str(tokens.issue(db, owner, "node", 30)["token"])


def test_a_push_resumes_at_the_hubs_offset_and_is_idempotent(world: World) -> None:
    app = create_app(world.hub_db, world.hub_settings)
    client = TestClient(app)
    per, col = _token(world.hub_db, "PER"), _token(world.hub_db, "COL")
    b = world.per.bundle()
    H = {"authorization": f"Bearer {per}"}
    base = f"/api/federation/uploads/{b.bundle_id}"
    r = client.post("/api/federation/uploads", json={"bundle_id": b.bundle_id, "size": len(b.raw),
                                                     "sha256": b.sha256}, headers=H)
    assert r.status_code == 200 and r.json()["offset"] == 0
    half = len(b.raw) // 2
    assert client.put(f"{base}?offset=0", content=b.raw[:half], headers=H).json()["offset"] == half
    wrong = client.put(f"{base}?offset=0", content=b.raw[:half], headers=H)
    assert wrong.status_code == 409 and wrong.json()["error"]["details"]["offset"] == half
    early = client.post(f"{base}/commit", headers=H)
    assert early.status_code == 409 and early.json()["error"]["code"] == "incomplete"
    assert client.get(base, headers={"authorization": f"Bearer {col}"}).status_code == 404  # another country's
    assert client.get(base, headers=H).json()["offset"] == half
    assert client.put(f"{base}?offset={half}", content=b.raw[half:], headers=H).json()["offset"] == len(b.raw)
    receipt = client.post(f"{base}/commit", headers=H).json()
    assert receipts.check(receipt, world.hub.identity.public)["status"] == "accepted"
    again = client.post("/api/federation/uploads", json={"bundle_id": b.bundle_id, "size": len(b.raw),
                                                         "sha256": b.sha256}, headers=H).json()
    assert again["receipt"] == receipt and client.post(f"{base}/commit", headers=H).json() == receipt
    assert world.count(fed_tables) == 1
    # a COL token cannot push PER's bundle
    b2 = world.per.bundle()
    HC = {"authorization": f"Bearer {col}"}
    client.post("/api/federation/uploads", json={"bundle_id": b2.bundle_id, "size": len(b2.raw),
                                                 "sha256": b2.sha256}, headers=HC)
    client.put(f"/api/federation/uploads/{b2.bundle_id}?offset=0", content=b2.raw, headers=HC)
    _rejected(world, client.post(f"/api/federation/uploads/{b2.bundle_id}/commit", headers=HC).json(),
              "wrong-country")
    assert client.get("/api/federation/hub").json()["key_id"] == world.hub.identity.public.key_id
    # key rotation over the API: only for one's own country's node, and only signed by the current key
    statement = nodes.rotate(world.per.node)
    assert client.post("/api/federation/nodes/per-node/keys", json=statement, headers=HC).status_code == 404
    forged = {**statement, "signature": Identity.generate("x", "PER").sign(canonical(statement["statement"]))}
    assert client.post("/api/federation/nodes/per-node/keys", json=forged, headers=H).status_code == 422
    r = client.post("/api/federation/nodes/per-node/keys", json=statement, headers=H)
    assert r.status_code == 200 and r.json()["keys"][-1]["key_id"] == world.per.node.identity.public.key_id
    assert r.json()["keys"][0]["retired_at"]


def test_the_register_pages(world: World) -> None:
    app = create_app(world.hub_db, world.hub_settings)
    inbox.receive_file(world.hub, world.per.bundle().raw)
    hub_client, _ = signed_in_client(app, world.hub_db, "hub_admin")
    listed = hub_client.get("/federation/nodes.json").json()["nodes"]
    assert {n["node_id"] for n in listed} == {"per-node", "col-node"}
    page = hub_client.get("/federation/nodes/per-node")
    assert page.status_code == 200 and "per-node" in page.text
    detail = hub_client.get("/federation/nodes/per-node.json").json()
    assert detail["last_seq"] == 1 and detail["shared_rows"]["tables"] > 0 and detail["bundles"][0]["status"] == \
        "accepted"
    tables = hub_client.get("/federation/tables.json").json()
    assert {r["country"] for r in tables["rows"]} == {"PER"}
    assert tables["victims_total"] == sum(expected_table(world.per.file, 5).values())
    assert hub_client.get("/federation/tables").status_code == 200
    focal, _ = signed_in_client(app, world.hub_db, "focal_point", "COL")
    assert focal.get("/federation/tables.json").json()["rows"] == []  # PER's table is not COL's to see
    assert [n["node_id"] for n in focal.get("/federation/nodes.json").json()["nodes"]] == ["col-node"]
    assert focal.get("/federation/nodes/per-node.json").status_code == 404
    assert focal.post("/federation/nodes/per-node/revoke.json", data={"reason": "x"}).status_code == 404
    r = hub_client.post("/federation/nodes/per-node/revoke.json", data={"reason": "compromised"})
    assert r.status_code == 200 and r.json()["revoked_at"] and all(k["revoked_at"] for k in r.json()["keys"])
