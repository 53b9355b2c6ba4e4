"""What links give: cross-border routes of linked victims, and networks of linked perpetrators and recruiters.

Input rows are records with their country, record id, cluster id (from the hub, resolved by each country for its
own records; ``None`` when unlinked) and route fields of the case-data standard (``role``, ``case_id``,
``citizenship``, ``recruitment_country``, ``transit_countries``, ``exploitation_country``, ``identification_date``).

- :func:`routes`: one reconstructed route per linked victim seen in two or more countries: origin = the recruitment
  country (else citizenship) most records agree on, destination = the exploitation country most records agree on;
  when neither is reported, the country that registered the person first is taken as the origin and the last as the
  destination. :func:`route_flows` counts them by origin -> destination, in the row shape of
  :func:`tipnet.routes.flows.flows` (``origin``, ``destination``, ``victims``, ``minors``, ``via_transit``).
- :func:`networks`: persons (a cluster, or a single unlinked record) are joined when they appear in the same case;
  components holding at least one perpetrator are returned with the countries they span and their central actors
  (degree and betweenness centrality, Brandes' algorithm; no graph library needed).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]


def _person(row: Row) -> str:
    cid = row.get("cluster_id")
    return str(cid) if cid else f"{row['country']}:{row['record_id']}"


def _majority(values: Iterable[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def routes(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Reconstructed routes of linked victims recorded in two or more countries."""
    by_cluster: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.get("cluster_id") and (r.get("role") or "victim") == "victim":
            by_cluster[str(r["cluster_id"])].append(r)
    out = []
    for cid, recs in sorted(by_cluster.items()):
        countries = sorted({str(r["country"]) for r in recs})
        if len(countries) < 2:
            continue
        recs = sorted(recs, key=lambda r: (str(r.get("identification_date") or ""), str(r["country"])))
        origin = _majority(r.get("recruitment_country") for r in recs) or _majority(
            r.get("citizenship") for r in recs)
        destination = _majority(r.get("exploitation_country") for r in recs)
        inferred = False
        if origin is None or destination is None or origin == destination:
            inferred = origin is None or destination is None
            origin = origin or str(recs[0]["country"])
            destination = destination if destination and destination != origin else next(
                (str(r["country"]) for r in reversed(recs) if str(r["country"]) != origin), origin)
        transit = sorted({t for r in recs for t in str(r.get("transit_countries") or "").split(";") if t}
                         - {origin, destination})
        minor = any(str(r.get("age_group") or "") == "minor" or _age(r.get("age")) < 18 for r in recs)
        out.append({"cluster_id": cid, "origin": origin, "destination": destination, "transit": transit,
                    "minor": minor,
                    "countries": countries, "records": len(recs), "inferred_from_registrations": inferred,
                    "first_seen": recs[0].get("identification_date"), "last_seen": recs[-1].get("identification_date")})
    return out


def _age(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")


def route_flows(reconstructed: Iterable[Mapping[str, Any]], min_victims: int = 1) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    transit: Counter[tuple[str, str]] = Counter()
    minors: Counter[tuple[str, str]] = Counter()
    for r in reconstructed:
        key = (r["origin"], r["destination"])
        counts[key] += 1
        transit[key] += bool(r["transit"])
        minors[key] += bool(r.get("minor"))
    rows = [{"origin": o, "destination": d, "victims": n, "minors": minors[(o, d)], "via_transit": transit[(o, d)]}
            for (o, d), n in counts.items() if n >= min_victims]
    return sorted(rows, key=lambda r: (-r["victims"], r["origin"], r["destination"]))


def _betweenness(adj: Mapping[str, set[str]]) -> dict[str, float]:
    """Brandes' betweenness centrality for an unweighted, undirected graph (normalised to [0, 1])."""
    bc = dict.fromkeys(adj, 0.0)
    for s in adj:
        stack: list[str] = []
        preds: dict[str, list[str]] = {v: [] for v in adj}
        sigma = dict.fromkeys(adj, 0)
        sigma[s] = 1
        dist = dict.fromkeys(adj, -1)
        dist[s] = 0
        q = deque([s])
        while q:
            v = q.popleft()
            stack.append(v)
            for w in adj[v]:
                if dist[w] < 0:
                    dist[w] = dist[v] + 1
                    q.append(w)
                if dist[w] == dist[v] + 1:
                    sigma[w] += sigma[v]
                    preds[w].append(v)
        delta = dict.fromkeys(adj, 0.0)
        while stack:
            w = stack.pop()
            for v in preds[w]:
                delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
            if w != s:
                bc[w] += delta[w]
    n = len(adj)
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0  # undirected: pairs counted twice, so no factor 2
    return {v: b * scale for v, b in bc.items()}


def networks(rows: Iterable[Row], top: int = 5) -> list[dict[str, Any]]:
    """Components of persons joined by shared cases, with at least one perpetrator, largest first."""
    roles: dict[str, set[str]] = defaultdict(set)
    countries: dict[str, set[str]] = defaultdict(set)
    cases: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        p = _person(r)
        roles[p].add(str(r.get("role") or "victim"))
        countries[p].add(str(r["country"]))
        if r.get("case_id"):
            cases[(str(r["country"]), str(r["case_id"]))].add(p)
    adj: dict[str, set[str]] = {p: set() for p in roles}
    for members in cases.values():
        for a in members:
            adj[a] |= members - {a}
    seen: set[str] = set()
    out = []
    for start in sorted(adj):
        if start in seen:
            continue
        comp, q = [], deque([start])
        seen.add(start)
        while q:
            v = q.popleft()
            comp.append(v)
            for w in adj[v] - seen:
                seen.add(w)
                q.append(w)
        perps = [p for p in comp if "perpetrator" in roles[p]]
        if not perps or len(comp) < 2:
            continue
        sub = {v: adj[v] for v in comp}
        bc = _betweenness(sub)
        central = sorted(perps, key=lambda p: (-bc[p], -len(adj[p]), p))[:top]
        out.append({
            "persons": len(comp), "perpetrators": len(perps), "victims": sum("victim" in roles[p] for p in comp),
            "countries": sorted(set().union(*(countries[p] for p in comp))),
            "linked_across_borders": any(len(countries[p]) > 1 for p in comp),
            "central_actors": [{"person": p, "degree": len(adj[p]), "betweenness": round(bc[p], 4),
                                "countries": sorted(countries[p])} for p in central],
        })
    return sorted(out, key=lambda c: (-c["persons"], c["countries"]))


def link_report(rows: Iterable[Row], min_victims: int = 1, top: int = 5) -> dict[str, Any]:
    """Routes, flows and networks from one set of linked records (what ``tipnet link report --records`` shows).
    ``flows`` has the row shape of :func:`tipnet.routes.flows.flows`, so the routes views can draw it."""
    rows = list(rows)
    recon = routes(rows)
    nets = networks(rows, top=top)
    return {"linked_victims_across_borders": len(recon), "routes": recon,
            "flows": route_flows(recon, min_victims=min_victims), "networks": nets,
            "networks_across_borders": sum(n["linked_across_borders"] for n in nets)}
