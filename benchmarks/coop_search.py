"""Cooperation search benchmark: faceted full-text search over 100,000 compendium and registry entries.

Builds a store with generated compendium items (titles and texts in four languages, tags from the standard's
vocabularies, countries, years) and agencies (public registry entries), indexed by `tipnet.coop.search`, then times
`search.search(...)` (hits, snippets and the four facet counts, as the web page asks for them) over a few hundred
varied queries: common, rare, accented and prefix words, phrases, facet filters with and without words, registry
name searches and unfiltered browsing. Reports p50 / p95 / p99 / max per kind of query and overall, on SQLite and,
when TIPNET_TEST_PG_URL is set, on PostgreSQL (a throwaway database, dropped afterwards).

    python benchmarks/coop_search.py --entries 100000 --queries 400 [--write]

`--write` puts the "Cooperation search" section into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import insert, text  # noqa: E402

from tipnet.coop import search  # noqa: E402
from tipnet.coop.compendium import KINDS, TAG_VOCABULARIES  # noqa: E402
from tipnet.standard import load_standard  # noqa: E402
from tipnet.standard.countries import OAS_MEMBERS  # noqa: E402
from tipnet.store import Database  # noqa: E402
from tipnet.store.tables_compendium import agencies, compendium_items  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
TARGET_P95_MS = 100.0

# Words of the field in four languages (accents included), then a long tail of generated words (rare terms).
_DOMAIN = """trafficking persons victims exploitation recruitment prosecution cooperation assistance extradition
mutual legal protocol convention ratification border labour inspection children migrants smuggling investigation
court sentence verdict charges facts agency licence sanction complaint evidence testimony shelter repatriation
trata personas víctimas explotación captación enjuiciamiento cooperación asistencia extradición jurídica protocolo
convención ratificación frontera trabajo inspección niñas niños migrantes tráfico investigación tribunal condena
sentencia cargos hechos agencia licencia sanción denuncia prueba testimonio albergue repatriación
traite êtres humains victimes exploitation recrutement poursuites coopération assistance extradition entraide
protocole convention ratification frontière travail inspection enfants migrants trafic enquête tribunal peine
jugement accusation faits agence licence sanction plainte preuve témoignage hébergement rapatriement
tráfico pessoas vítimas exploração aliciamento persecução cooperação assistência extradição jurídica protocolo
convenção ratificação fronteira trabalho inspeção crianças migrantes contrabando investigação tribunal pena
sentença acusações fatos agência licença sanção denúncia prova testemunho abrigo repatriação""".split()


def vocabulary(rng: random.Random, tail: int = 6000) -> list[str]:
    words = list(dict.fromkeys(_DOMAIN))
    for vid in TAG_VOCABULARIES:
        voc = load_standard().vocabularies[vid]
        for v in voc.values:
            for label in v.labels.values():
                words.extend(w for w in re.findall(r"[^\W\d_]{4,}", label.lower()) if w not in words)
    syll = ("ra", "mo", "ta", "li", "pe", "su", "ca", "no", "vi", "de", "ga", "lu", "ti", "zo", "ñe", "çã")
    seen = set(words)
    while len(words) < len(seen) + tail and len(seen) < 20000:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(3, 5)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Texts:
    """Zipf-like word choice: the first words are common, the generated tail rare."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words = words
        self.rng = rng
        weights = [1.0 / (i + 1) ** 0.9 for i in range(len(words))]
        total = sum(weights)
        self.cum = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def take(self, n: int) -> list[str]:
        import bisect

        return [self.words[min(bisect.bisect(self.cum, self.rng.random()), len(self.words) - 1)] for _ in range(n)]

    def sentence(self, lo: int, hi: int) -> str:
        ws = self.take(self.rng.randint(lo, hi))
        return (" ".join(ws)).capitalize() + "."


def all_tags() -> list[str]:
    std = load_standard()
    return [f"{v}:{c}" for v in TAG_VOCABULARIES for c in std.vocabularies[v].codes]


def build(db: Database, entries: int, registry_share: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    texts = Texts(words, rng)
    tags = all_tags()
    kinds = list(KINDS)
    n_reg = int(entries * registry_share)
    n_comp = entries - n_reg
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    batch = 5000
    agency_names: list[str] = []
    with db.engine.begin() as conn:
        for start in range(0, n_comp, batch):
            rows, docs = [], []
            for i in range(start, min(start + batch, n_comp)):
                kind = rng.choice(kinds)
                year = rng.randint(1948, 2026)
                country = None if kind in ("treaty", "declaration") else rng.choice(OAS_MEMBERS)
                item_tags = sorted(set(rng.sample(tags, rng.randint(0, 4))))
                title = texts.sentence(4, 11).rstrip(".")
                summary = " ".join(texts.sentence(8, 20) for _ in range(2))
                body = " ".join(texts.sentence(8, 22) for _ in range(rng.randint(2, 6)))
                created = now - dt.timedelta(minutes=i)
                rows.append({"kind": kind, "title": title, "summary": summary, "body": body, "country": country,
                             "year": year, "tags": json.dumps(item_tags), "details": "{}", "created_at": created,
                             "updated_at": created})
                docs.append((kind, title, summary + "\n" + body, country, year, tuple(item_tags), created))
            ids = conn.execute(insert(compendium_items).returning(compendium_items.c.id), rows).scalars().all()
            search.put_many(conn, [search.Doc("compendium", int(i), k, t, b, c, y, tg, cr)
                                   for i, (k, t, b, c, y, tg, cr) in zip(ids, docs, strict=True)])
        for start in range(0, n_reg, batch):
            rows, docs = [], []
            for i in range(start, min(start + batch, n_reg)):
                kind = rng.choice(("recruitment", "travel"))
                name = " ".join(w.capitalize() for w in texts.take(rng.randint(2, 4))) + rng.choice(
                    (" S.A.", " SAC", " Ltda.", " Inc.", " S.R.L.", ""))
                agency_names.append(name)
                country = rng.choice(OAS_MEMBERS)
                status = rng.choice(("licensed", "licensed", "licensed", "suspended", "revoked", "expired",
                                     "unknown"))
                year = rng.randint(2005, 2026)
                created = now - dt.timedelta(minutes=i)
                rows.append({"kind": kind, "name": name, "country": country, "identifier": f"B-{country}-{i}",
                             "licence_status": status, "licence_issued_on": dt.date(year, 1, 1),
                             "created_at": created, "updated_at": created})
                body = f"B-{country}-{i}\nlicence {status}\n" + (texts.sentence(6, 14) if status in (
                    "suspended", "revoked") else "")
                docs.append((f"{kind}_agency", name, body, country, year, created))
            ids = conn.execute(insert(agencies).returning(agencies.c.id), rows).scalars().all()
            search.put_many(conn, [search.Doc("registry", int(i), k, t, b, c, y, (), cr)
                                   for i, (k, t, b, c, y, cr) in zip(ids, docs, strict=True)])
    built = time.perf_counter() - t0
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {"compendium": n_comp, "registry": n_reg, "build_s": built, "words": words, "tags": tags,
            "agency_names": agency_names}


def _strip(word: str) -> str:
    from tipnet.coop.search_text import fold

    return fold(word)


def queries(meta: dict[str, Any], n: int, seed: int) -> list[tuple[str, str | None, search.Filters]]:
    rng = random.Random(seed + 1)
    words = meta["words"]
    common, rare = words[:60], words[len(words) // 2:]
    accented = [w for w in words[:400] if _strip(w) != w]
    tags, kinds, names = meta["tags"], list(KINDS), meta["agency_names"]
    plan: list[tuple[str, str | None, search.Filters]] = []
    makers = {
        "common word": lambda: (rng.choice(common), search.Filters()),
        "rare word": lambda: (rng.choice(rare), search.Filters()),
        "two or three words": lambda: (" ".join(rng.sample(words[:800], rng.randint(2, 3))), search.Filters()),
        "accent-folded word": lambda: (_strip(rng.choice(accented)).upper(), search.Filters()),
        "prefix": lambda: (rng.choice(words[:800])[:4], search.Filters()),
        "facets only": lambda: (None, search.Filters(kind=rng.choice(kinds), country=rng.choice(OAS_MEMBERS))),
        "tag and year": lambda: (None, search.Filters(tags=(rng.choice(tags),), year=rng.randint(1990, 2026))),
        "words and facets": lambda: (rng.choice(words[:300]), search.Filters(
            source="compendium", kind=rng.choice(kinds), tags=(rng.choice(tags),) if rng.random() < 0.5 else ())),
        "registry name": lambda: (" ".join(rng.choice(names).split()[:2]), search.Filters(source="registry")),
        "registry by country": lambda: (None, search.Filters(source="registry", country=rng.choice(OAS_MEMBERS))),
        "browse everything": lambda: (None, search.Filters()),
    }
    names_list = list(makers)
    per = max(1, n // len(names_list))
    for name in names_list:
        count = max(3, per // 4) if name == "browse everything" else per
        for _ in range(count):
            q, f = makers[name]()
            plan.append((name, q, f))
    rng.shuffle(plan)
    return plan


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def run(db: Database, plan: list[tuple[str, str | None, search.Filters]]) -> dict[str, Any]:
    for _, q, f in plan[:20]:  # warm-up: caches, prepared plans
        search.search(db, q, f, limit=20)
    by_kind: dict[str, list[float]] = defaultdict(list)
    totals: dict[str, list[int]] = defaultdict(list)
    load_start = os.getloadavg()
    for name, q, f in plan:
        t0 = time.perf_counter()
        res = search.search(db, q, f, limit=20)
        ms = (time.perf_counter() - t0) * 1000
        by_kind[name].append(ms)
        totals[name].append(res.total)
    every = [x for v in by_kind.values() for x in v]
    rows = {name: {"n": len(v), "p50": statistics.median(v), "p95": pct(v, 95), "p99": pct(v, 99), "max": max(v),
                   "median_hits": statistics.median(totals[name])} for name, v in sorted(by_kind.items())}
    rows["all queries"] = {"n": len(every), "p50": statistics.median(every), "p95": pct(every, 95),
                           "p99": pct(every, 99), "max": max(every),
                           "median_hits": statistics.median([t for v in totals.values() for t in v])}
    return {"rows": rows, "load_start": load_start, "load_end": os.getloadavg()}


def machine(pg_version: str | None) -> dict[str, str]:
    info = {"date": dt.date.today().isoformat(), "nproc": str(os.cpu_count()), "python": platform.python_version(),
            "os": platform.platform(), "sqlite": sqlite3.sqlite_version, "postgresql": pg_version or "not run"}
    try:
        info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                            if ln.startswith("model name")), "unknown")
        mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        info["ram"] = f"{int(mem.group(1)) / 1024**2:.1f} GiB" if mem else "unknown"
    except OSError:
        info["cpu"], info["ram"] = "unknown", "unknown"
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src/tipnet/coop",
                                "src/tipnet/store"], capture_output=True, text=True, check=True).stdout.strip()
        info["commit"] = commit + (" (with uncommitted changes under src/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "unknown"
    return info


def _pg_database(url: str) -> tuple[Database, Any, str]:
    import sqlalchemy as sa

    name = f"tipnet_bench_{uuid.uuid4().hex[:8]}"
    admin = Database(url).engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    target = sa.engine.make_url(Database(url).url).set(database=name).render_as_string(hide_password=False)
    return Database(target), admin, name


def markdown(results: dict[str, dict[str, Any]], meta: dict[str, Any], info: dict[str, str], args: Any) -> str:
    lines = ["## Cooperation search", "",
             f"Measured {info['date']} at commit {info['commit']} on {info['nproc']} cores ({info['cpu']}), "
             f"{info['ram']} RAM, shared with other work; Python {info['python']}, SQLite {info['sqlite']}, "
             f"PostgreSQL {info['postgresql']}; {info['os']}.", "",
             f"Input: {meta['compendium'] + meta['registry']:,} generated entries ({meta['compendium']:,} compendium "
             f"items with titles and 3-8 sentences of text in four languages drawn Zipf-like from "
             f"{len(meta['words']):,} words, 0-4 vocabulary tags, 9 kinds, 35 countries, years 1948-2026; "
             f"{meta['registry']:,} agencies, public fields only), indexed through `tipnet.coop.search` and "
             f"`ANALYZE`d. Each query is one `search.search(db, words, filters, limit=20)` call as the "
             f"/compendium page makes it: ranked hits with highlighted snippets plus the kind, country, year and "
             f"tag facet counts over the whole result. {meta['queries']} queries of 11 kinds (seed {args.seed}), "
             f"after 20 warm-up queries; one run.", ""]
    for backend, res in results.items():
        load = " / ".join(f"{x:.2f}" for x in res["load_start"])
        load_end = " / ".join(f"{x:.2f}" for x in res["load_end"])
        lines += [f"**{backend}** (index built in {res['build_s']:.0f} s; load average 1/5/15 min before the "
                  f"queries {load}, after {load_end}):", "",
                  "| queries | n | median hits | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in res["rows"].items():
            bold = "**" if name == "all queries" else ""
            lines.append(f"| {bold}{name}{bold} | {r['n']} | {r['median_hits']:,.0f} | {r['p50']:.1f} | "
                         f"{r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |")
        p95 = res["rows"]["all queries"]["p95"]
        lines += ["", f"Target p95 < {TARGET_P95_MS:.0f} ms over all queries: {p95:.1f} ms — "
                      f"{'met' if p95 < TARGET_P95_MS else '**not met**'}.", ""]
    lines += ["Reproduce (with TIPNET_TEST_PG_URL set, PostgreSQL is measured too; `--write` puts this section here):",
              "", "```", f"python benchmarks/coop_search.py --entries {args.entries} --queries {args.queries}",
              "```", ""]
    return "\n".join(lines)


def update_benchmarks_md(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"  # re-read before writing
    pattern = re.compile(r"^## Cooperation search\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _m: section.rstrip() + "\n\n", current, count=1)
    else:
        current = current.rstrip() + "\n\n" + section
    path.write_text(current.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--registry-share", type=float, default=0.2)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-pg", action="store_true", help="SQLite only, even when TIPNET_TEST_PG_URL is set.")
    ap.add_argument("--write", action="store_true", help="Write the section into BENCHMARKS.md.")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    meta: dict[str, Any] = {}

    path = OUT / f"coop-search-{args.entries}-{uuid.uuid4().hex[:6]}.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    meta = build(db, args.entries, args.registry_share, args.seed)
    plan = queries(meta, args.queries, args.seed)
    meta["queries"] = len(plan)
    results["SQLite (FTS5)"] = {**run(db, plan), "build_s": meta["build_s"]}
    db.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    pg_version = None
    url = os.environ.get("TIPNET_TEST_PG_URL")
    if url and not args.no_pg:
        pg, admin, name = _pg_database(url)
        try:
            pg.upgrade()
            with pg.engine.connect() as conn:
                pg_version = str(conn.execute(text("SHOW server_version")).scalar())
            pmeta = build(pg, args.entries, args.registry_share, args.seed)
            results["PostgreSQL (tsvector, GIN)"] = {**run(pg, plan), "build_s": pmeta["build_s"]}
        finally:
            pg.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    info = machine(pg_version)
    section = markdown(results, meta, info, args)
    (OUT / "coop_search.json").write_text(json.dumps({"info": info, "results": results}, indent=2, default=str),
                                          encoding="utf-8")
    print(section)
    if args.write:
        update_benchmarks_md(section)


if __name__ == "__main__":
    main()
