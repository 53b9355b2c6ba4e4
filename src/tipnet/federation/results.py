"""What goes back to nodes: results bundles signed by the hub and sealed to each node's current key.

`link` matches the newest encodings each country shared and sends every node the cluster ids of its own
pseudonyms (only that country can map them back to records); every results bundle also lists the hub's published
releases. Each node's results are numbered 1, 2, 3 ... so it can tell a replay or a gap.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from tipnet.federation import bundle as fmt
from tipnet.federation.bundle import Part
from tipnet.federation.hub import Hub
from tipnet.federation.registry import current_key
from tipnet.store.tables_federation import fed_clks, fed_nodes, fed_results


def _releases(hub: Hub) -> list[dict[str, Any]]:
    from tipnet.disclosure import repo

    return [{"id": r["id"], "title": r["title"], "dataset": r["dataset"], "version": r["version"],
             "method": r["method"], "published_at": r["published_at"], "content_sha256": r["content_sha256"]}
            for r in repo.list_releases(hub.db, status=repo.PUBLISHED)]


def send(hub: Hub, node_id: str, parts: list[Part]) -> dict[str, Any]:
    """Seal `parts` (plus the release list) to the node's current key and queue them for it."""
    pub = current_key(hub.db, node_id)
    if pub is None:
        raise ValueError(f"node {node_id} has no active key")
    releases = Part("releases.json", "releases", "application/json",
                    json.dumps({"releases": _releases(hub)}, sort_keys=True, default=str).encode())
    with hub.db.engine.begin() as conn:
        seq = int(conn.execute(select(func.coalesce(func.max(fed_results.c.sequence), 0))
                               .where(fed_results.c.node_id == node_id)).scalar_one()) + 1
        b = fmt.build(hub.identity, pub, [*parts, releases], sequence=seq, bundle_type="result",
                      country=pub.country)
        conn.execute(fed_results.insert().values(node_id=node_id, sequence=seq, bundle_id=b.bundle_id,
                                                 kinds=json.dumps(sorted({p.kind for p in [*parts, releases]})),
                                                 data=b.raw, created_at=datetime.now(UTC)))
    return {"node_id": node_id, "sequence": seq, "bundle_id": b.bundle_id, "size": len(b.raw)}


def link(hub: Hub, threshold: float | None = None) -> dict[str, Any]:
    """Match the newest encodings of every country and send each node its own cluster ids.

    ``threshold`` is a match probability from the trained model; by default the same one as ``tipnet link match``
    (:class:`MatchSettings`), so a hub run and a country's own run accept the same pairs."""
    from tipnet.link.clk import read_encoded
    from tipnet.link.match import MatchSettings, link_many

    with hub.db.engine.connect() as conn:
        newest = select(fed_clks.c.country, func.max(fed_clks.c.id).label("id")).group_by(fed_clks.c.country).subquery()
        rows = conn.execute(select(fed_clks.c.country, fed_clks.c.data)
                            .join(newest, newest.c.id == fed_clks.c.id).order_by(fed_clks.c.country)).all()
        nodes = conn.execute(select(fed_nodes.c.node_id, fed_nodes.c.country)
                             .where(fed_nodes.c.revoked_at.is_(None))).all()
    if len(rows) < 2:
        raise ValueError("linkage needs encodings from two countries or more")
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        for r in rows:
            path = Path(tmp) / f"{r.country}.parquet"
            path.write_bytes(r.data)
            sets.append(read_encoded(path))
    settings = MatchSettings() if threshold is None else MatchSettings(threshold=threshold)
    clusters = link_many(sets, settings)
    sent = []
    for n in nodes:
        if n.country not in {s.country for s in sets}:
            continue
        mine = clusters.for_country(n.country)
        part = Part("linkage.json", "linkage", "application/json",
                    json.dumps({"rows": mine}, sort_keys=True, default=str).encode())
        sent.append(send(hub, n.node_id, [part]) | {"linked_records": len(mine)})
    return {"countries": [s.country for s in sets], "clusters": len({r["cluster_id"] for r in clusters.rows}),
            "linked_records": len(clusters.rows), "sent": sent}


def pending(hub: Hub, node_id: str, after: int = 0) -> list[dict[str, Any]]:
    q = (select(fed_results.c.sequence, fed_results.c.bundle_id, fed_results.c.kinds, fed_results.c.created_at,
                func.length(fed_results.c.data).label("size"))
         .where(fed_results.c.node_id == node_id, fed_results.c.sequence > after).order_by(fed_results.c.sequence))
    with hub.db.engine.connect() as conn:
        return [{"sequence": int(r.sequence), "bundle_id": r.bundle_id, "kinds": json.loads(r.kinds),
                 "size": int(r.size), "created_at": str(r.created_at)} for r in conn.execute(q)]


def fetch(hub: Hub, node_id: str, sequence: int) -> bytes | None:
    with hub.db.engine.begin() as conn:
        data = conn.execute(select(fed_results.c.data).where(fed_results.c.node_id == node_id,
                                                             fed_results.c.sequence == sequence)).scalar()
        if data is not None:
            conn.execute(update(fed_results).where(fed_results.c.node_id == node_id,
                                                   fed_results.c.sequence == sequence,
                                                   fed_results.c.pulled_at.is_(None))
                         .values(pulled_at=datetime.now(UTC)))
    return bytes(data) if data is not None else None
