"""Faceted full-text search over the compendium and the public part of the agency registry.

One index (`coop_search_docs`) serves both: each document has a source, a kind, a country, a year and tags (facets),
and accent-folded title and text. SQLite answers with FTS5 (bm25, titles weighted 5 to 1), PostgreSQL with a
`tsvector` over the 'simple' configuration (ts_rank, weights A and B). Every query word matches as a prefix and all
words must match. Facet counts are taken over the whole result (after the filters), in one statement that reads the
full-text match once.

Only public text goes into this index; restricted registry data (case links, complaints) never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, CursorResult, bindparam, delete, insert, select, text

from tipnet.coop.search_text import fold, fts5_query, snippet, terms, tsquery
from tipnet.store import Database
from tipnet.store.tables_compendium import coop_search_docs, coop_search_tags

FACETS = ("source", "kind", "country", "year", "tag")
MAX_LIMIT = 100


@dataclass(frozen=True)
class Doc:
    source: str
    source_id: int
    kind: str
    title: str
    body: str
    country: str | None = None
    year: int | None = None
    tags: tuple[str, ...] = ()
    created_at: dt.datetime | None = None


def _row(doc: Doc) -> dict[str, Any]:
    return {"source": doc.source, "source_id": doc.source_id, "kind": doc.kind, "country": doc.country,
            "year": doc.year, "title": doc.title, "body": doc.body, "title_folded": fold(doc.title),
            "body_folded": fold(doc.body), "created_at": doc.created_at or dt.datetime.now(dt.UTC)}


def new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just added."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def put(conn: Connection, doc: Doc) -> int:
    """Index (or re-index) one document inside the caller's transaction; returns its index id."""
    remove(conn, doc.source, doc.source_id)
    doc_id = new_id(conn.execute(insert(coop_search_docs).values(**_row(doc))))
    if doc.tags:
        conn.execute(insert(coop_search_tags), [{"doc_id": doc_id, "tag": t} for t in sorted(set(doc.tags))])
    return doc_id


def put_many(conn: Connection, docs: Sequence[Doc]) -> None:
    """Index new documents in bulk (none of them indexed yet)."""
    if not docs:
        return
    conn.execute(insert(coop_search_docs), [_row(d) for d in docs])
    keys = select(coop_search_docs.c.id, coop_search_docs.c.source, coop_search_docs.c.source_id).where(
        coop_search_docs.c.source == bindparam("s"), coop_search_docs.c.source_id.in_(bindparam("ids", expanding=True)))
    by_source: dict[str, list[Doc]] = {}
    for d in docs:
        by_source.setdefault(d.source, []).append(d)
    tag_rows: list[dict[str, Any]] = []
    for source, group in by_source.items():
        tagged = {d.source_id: d.tags for d in group if d.tags}
        ids = list(tagged)
        for i in range(0, len(ids), 5000):
            for r in conn.execute(keys, {"s": source, "ids": ids[i:i + 5000]}):
                tag_rows.extend({"doc_id": r.id, "tag": t} for t in sorted(set(tagged[r.source_id])))
    if tag_rows:
        conn.execute(insert(coop_search_tags), tag_rows)


def remove(conn: Connection, source: str, source_id: int) -> None:
    old = conn.execute(select(coop_search_docs.c.id).where(coop_search_docs.c.source == source,
                                                           coop_search_docs.c.source_id == source_id)).first()
    if old is not None:
        conn.execute(delete(coop_search_tags).where(coop_search_tags.c.doc_id == old.id))
        conn.execute(delete(coop_search_docs).where(coop_search_docs.c.id == old.id))


@dataclass
class Filters:
    source: str | None = None
    kind: str | None = None
    country: str | None = None
    year: int | None = None
    tags: tuple[str, ...] = ()

    def active(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v not in (None, (), "")}
        if "tags" in out:
            out["tags"] = list(out["tags"])
        return out


@dataclass
class Result:
    query: str
    words: list[str]
    filters: dict[str, Any]
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    offset: int = 0
    limit: int = 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _where(dialect: str, words: list[str], f: Filters) -> tuple[str, str, str, dict[str, Any]]:
    """FROM clause, WHERE clause, score expression and parameters for a query on this backend."""
    params: dict[str, Any] = {}
    conds: list[str] = []
    if words and dialect == "sqlite":
        source = "coop_search_fts JOIN coop_search_docs d ON d.id = coop_search_fts.rowid"
        conds.append("coop_search_fts MATCH :m")
        params["m"] = fts5_query(words)
        score = "-bm25(coop_search_fts, 5.0, 1.0)"
    elif words:
        source = "coop_search_docs d"
        conds.append("d.tsv @@ to_tsquery('simple', :m)")
        params["m"] = tsquery(words)
        score = "ts_rank(d.tsv, to_tsquery('simple', :m))"
    else:
        source, score = "coop_search_docs d", "0.0"
    for name in ("source", "kind", "country", "year"):
        value = getattr(f, name)
        if value not in (None, ""):
            conds.append(f"d.{name} = :{name}")
            params[name] = value
    for i, tag in enumerate(f.tags):
        conds.append(f"d.id IN (SELECT doc_id FROM coop_search_tags WHERE tag = :tag{i})")
        params[f"tag{i}"] = tag
    return source, " AND ".join(conds) or "1 = 1", score, params


def search(db: Database, query: str | None = None, filters: Filters | None = None, *, limit: int = 20,
           offset: int = 0, facets: bool = True) -> Result:
    """Ranked hits (best first; without words: newest year first) with snippets, and facet counts."""
    f = filters or Filters()
    words = terms(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    source, where, score, params = _where(db.backend_name, words, f)
    order = "score DESC, d.id DESC" if words else "d.year DESC, d.id DESC"
    top_sql = (f"SELECT d.id, d.source, d.source_id, d.kind, d.country, d.year, d.title, d.body, {score} AS score "
               f"FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset")
    with db.engine.connect() as conn:
        rows = conn.execute(text(top_sql), {**params, "limit": limit, "offset": offset}).all()
        counts = _facets(conn, source, where, params) if facets else {}
        total = sum(c["count"] for c in counts.get("source", [])) if facets else _count(conn, source, where, params)
        tags = _tags_of(conn, [r.id for r in rows])
    hits = []
    for r in rows:
        parts = snippet(r.body, words)
        hits.append({"source": r.source, "id": r.source_id, "kind": r.kind, "country": r.country, "year": r.year,
                     "title": r.title, "score": round(float(r.score or 0.0), 6), "tags": tags.get(r.id, []),
                     "snippet": "".join(p.text for p in parts),
                     "snippet_parts": [{"text": p.text, "hit": p.hit} for p in parts]})
    return Result(query or "", words, f.active(), total, hits, counts, offset, limit)


def _count(conn: Connection, source: str, where: str, params: dict[str, Any]) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {source} WHERE {where}"), params).scalar_one())


def _facets(conn: Connection, source: str, where: str, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    hits = f"SELECT d.id, d.source, d.kind, d.country, d.year FROM {source} WHERE {where}"
    sql = (f"WITH hits AS MATERIALIZED ({hits}) "
           "SELECT 'source' AS facet, source AS value, count(*) AS n FROM hits GROUP BY source "
           "UNION ALL SELECT 'kind', kind, count(*) FROM hits GROUP BY kind "
           "UNION ALL SELECT 'country', country, count(*) FROM hits GROUP BY country "
           "UNION ALL SELECT 'year', CAST(year AS VARCHAR(8)), count(*) FROM hits GROUP BY year "
           "UNION ALL SELECT 'tag', t.tag, count(*) FROM hits JOIN coop_search_tags t ON t.doc_id = hits.id "
           "GROUP BY t.tag")
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in FACETS}
    for facet, value, n in conn.execute(text(sql), params):
        if facet == "year" and value is not None:
            value = int(value)
        out[facet].append({"value": value, "count": int(n)})
    for name, values in out.items():
        if name == "year":
            values.sort(key=lambda v: (v["value"] is None, -(v["value"] or 0)))
        else:
            values.sort(key=lambda v: (-v["count"], str(v["value"])))
    return out


def _tags_of(conn: Connection, doc_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(doc_ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    q = select(coop_search_tags.c.doc_id, coop_search_tags.c.tag).where(coop_search_tags.c.doc_id.in_(ids))
    for doc_id, tag in conn.execute(q.order_by(coop_search_tags.c.tag)):
        out.setdefault(int(doc_id), []).append(tag)
    return out
