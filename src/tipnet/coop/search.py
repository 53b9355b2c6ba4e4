"""Faceted full-text search over the compendium and the public part of the agency registry.

One index (`coop_search_docs`) serves both: each document has a source, a kind, a country, a year and tags (facets),
and accent-folded title and text. SQLite finds and scores the matches with FTS5 (bm25, titles weighted 5 to 1),
PostgreSQL with a `tsvector` over the 'simple' configuration (ts_rank, weights A and B). Every query word matches as
a prefix and all words must match. Filters, facet counts over the whole result and the choice of the best hits are
array operations over the facet columns held in memory (`search_facets`), so a word found in most documents costs
one pass of the full-text engine, not one per facet. Relevance is computed for at most RANK_WINDOW matches
(PostgreSQL: RANK_WINDOW_POSTGRES): when more documents match, the most recently indexed ones are ranked by relevance
and the others follow, newest first (totals and facet counts always cover every match).

Only public text goes into this index; restricted registry data (case links, complaints) never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, CursorResult, bindparam, delete, insert, select

from tipnet.coop import search_facets
from tipnet.coop.search_text import fold, fts5_query, nfc, snippet, terms, tsquery
from tipnet.store import Database
from tipnet.store.tables_compendium import coop_search_docs, coop_search_tags

FACETS = ("source", "kind", "country", "year", "tag")
RANK_WINDOW = 10_000  # a query matching more documents is ranked among the most recently indexed 10,000 of them
# PostgreSQL's ts_rank reads each ranked document's tsvector from the TOAST table (about 6 us a document), where
# FTS5's bm25 reads its own index: it ranks a smaller window of the newest matches.
RANK_WINDOW_POSTGRES = 4_000
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
    title, body = nfc(doc.title), nfc(doc.body)
    return {"source": doc.source, "source_id": doc.source_id, "kind": doc.kind, "country": doc.country,
            "year": doc.year, "title": title, "body": body, "title_folded": fold(title), "body_folded": fold(body),
            "created_at": doc.created_at or dt.datetime.now(dt.UTC)}


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
    search_facets.bump(conn)
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
    search_facets.bump(conn)


def remove(conn: Connection, source: str, source_id: int) -> None:
    old = conn.execute(select(coop_search_docs.c.id).where(coop_search_docs.c.source == source,
                                                           coop_search_docs.c.source_id == source_id)).first()
    if old is not None:
        conn.execute(delete(coop_search_tags).where(coop_search_tags.c.doc_id == old.id))
        conn.execute(delete(coop_search_docs).where(coop_search_docs.c.id == old.id))
        search_facets.bump(conn)


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


def _numbers(joined: str | None, dtype: Any) -> np.ndarray:
    return np.fromstring(joined, dtype=dtype, sep=",") if joined else np.zeros(0, dtype=dtype)


def _matches(db: Database, conn: Connection, words: list[str]) -> np.ndarray:
    """The ids of every document matching all the words (sorted). A common word matches most of the index, so the
    engine joins the numbers into one string, read in one piece rather than row by row."""
    if db.backend_name == "sqlite":
        rows = search_facets.raw_rows(conn, "SELECT group_concat(rowid) FROM coop_search_fts "
                                            "WHERE coop_search_fts MATCH ?", (fts5_query(words),))
    else:
        rows = search_facets.raw_rows(conn, "SELECT string_agg(id::text, ',') FROM coop_search_docs "
                                            "WHERE tsv @@ to_tsquery('simple', %s)", (tsquery(words),))
    ids = _numbers(rows[0][0], np.int64)
    ids.sort()
    return ids


def _window_scores(db: Database, conn: Connection, words: list[str], ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relevance of the RANK_WINDOW most recently indexed matches (higher is better). SQLite: FTS5 bm25 (titles
    weighted 5 to 1), the engine walking the matches newest first and stopping at the window; PostgreSQL: ts_rank
    (weights A and B) of the matches from the window's oldest id on. A document's score does not depend on which
    others are scored."""
    if db.backend_name == "postgresql":  # ts_rank only for the window: the newest matching ids
        if not ids.shape[0]:
            return ids, np.zeros(0, dtype=np.float64)
        # The window's ids, looked up by primary key: only their tsvectors are read (a range of ids filtered by
        # the query could read every tsvector in the range).
        window = ids[-min(RANK_WINDOW, RANK_WINDOW_POSTGRES):]
        rows = search_facets.raw_rows(conn, "SELECT string_agg(id::text, ','), string_agg(ts_rank(tsv, q)::text, ',') "
                                            "FROM coop_search_docs, to_tsquery('simple', %s) AS q "
                                            "WHERE id = ANY(string_to_array(%s, ',')::bigint[])",
                                      (tsquery(words), ",".join(map(str, window.tolist()))))
    else:
        rows = search_facets.raw_rows(conn, "SELECT group_concat(r), group_concat(s) FROM (SELECT rowid AS r, "
                                            "-bm25(coop_search_fts, 5.0, 1.0) AS s FROM coop_search_fts "
                                            "WHERE coop_search_fts MATCH ? ORDER BY rowid DESC LIMIT ?)",
                                      (fts5_query(words), RANK_WINDOW))
    window, relevance = _numbers(rows[0][0], np.int64), np.nan_to_num(_numbers(rows[0][1], np.float64))
    order = np.argsort(window)
    return window[order], relevance[order]


def _ranked_keys(scored_ids: np.ndarray, scores: np.ndarray, chosen_ids: np.ndarray) -> np.ndarray:
    """Sort keys for the chosen matches: relevance inside the rank window, then the others, newest first
    (`scored_ids` sorted)."""
    keys = chosen_ids.astype(np.float64) / 1e12  # outside the window: newest first, below every scored hit
    if scored_ids.shape[0] and chosen_ids.shape[0]:
        at = np.minimum(np.searchsorted(scored_ids, chosen_ids), scored_ids.shape[0] - 1)
        inside = scored_ids[at] == chosen_ids
        keys[inside] = 1e6 + scores[at[inside]]
    return keys


def _mask(snap: search_facets.Snapshot, f: Filters) -> np.ndarray | None:
    conds = [snap.equals(name, getattr(f, name)) for name in ("source", "kind", "country")
             if getattr(f, name) not in (None, "")]
    if f.year is not None:
        conds.append(snap.years == int(f.year))
    conds.extend(snap.has_tag(t) for t in f.tags)
    if not conds:
        return None
    out = conds[0]
    for c in conds[1:]:
        out = out & c
    return out


def _top(keys: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest (key, id) pairs, largest first."""
    if k <= 0 or keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if keys.shape[0] > k:
        cut = np.partition(keys, keys.shape[0] - k)[keys.shape[0] - k]
        cand = np.nonzero(keys >= cut)[0]
    else:
        cand = np.arange(keys.shape[0])
    order = np.lexsort((-ids[cand], -keys[cand]))
    return cand[order][:k]


def search(db: Database, query: str | None = None, filters: Filters | None = None, *, limit: int = 20,
           offset: int = 0, facets: bool = True) -> Result:
    """Ranked hits (best first; without words: newest year first) with snippets, and facet counts."""
    f = filters or Filters()
    words = terms(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    with db.engine.connect() as conn:  # one connection: a page of results costs a handful of round trips
        snap = search_facets.snapshot(db, conn)
        if words and db.backend_name == "postgresql":
            # The matches come from the GIN index and narrow heap rows. For a word found in most documents the
            # planner would scan the table instead, reading every out-of-line tsvector (10x slower at 100,000
            # documents): it cannot weigh that cost. For the rest of this read-only transaction only.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        all_ids = _matches(db, conn, words) if words else snap.ids
        pos, _ = snap.positions(all_ids)
        mask = _mask(snap, f)
        if mask is not None:
            pos = pos[mask[pos]]
        total = int(pos.shape[0])
        counts = _facet_counts(snap, pos) if facets else {}
        if words:
            keys = _ranked_keys(*_window_scores(db, conn, words, all_ids), snap.ids[pos])
        else:
            keys = snap.years[pos].astype(np.float64)  # browsing: newest year first
        chosen = _top(keys, snap.ids[pos], offset + limit)[offset:]
        top_ids = [int(snap.ids[pos[i]]) for i in chosen]
        top_keys = {int(snap.ids[pos[i]]): float(keys[i]) for i in chosen}
        d = coop_search_docs.c
        rows = {r.id: r for r in conn.execute(select(d.id, d.source, d.source_id, d.kind, d.country, d.year,
                                                     d.title, d.body).where(d.id.in_(top_ids)))} if top_ids else {}
        tags = _tags_of(conn, top_ids)
    hits = []
    for doc_id in top_ids:
        r = rows.get(doc_id)
        if r is None:  # removed since the snapshot
            continue
        parts = snippet(r.body, words)
        hits.append({"source": r.source, "id": r.source_id, "kind": r.kind, "country": r.country, "year": r.year,
                     "title": r.title, "score": round(max(top_keys[doc_id] - 1e6, 0.0), 6) if words else 0.0,
                     "tags": tags.get(doc_id, []), "snippet": "".join(p.text for p in parts),
                     "snippet_parts": [{"text": p.text, "hit": p.hit} for p in parts]})
    return Result(query or "", words, f.active(), total, hits, counts, offset, limit)


def _facet_counts(snap: search_facets.Snapshot, pos: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    counts = {"source": snap.counts("source", pos), "kind": snap.counts("kind", pos),
              "country": snap.counts("country", pos), "year": snap.year_counts(pos), "tag": snap.tag_counts(pos)}
    for name, values in counts.items():
        if name == "year":
            values.sort(key=lambda v: (v["value"] is None, -(v["value"] or 0)))
        else:
            values.sort(key=lambda v: (-v["count"], str(v["value"])))
    return counts


def _tags_of(conn: Connection, doc_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(doc_ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    q = select(coop_search_tags.c.doc_id, coop_search_tags.c.tag).where(coop_search_tags.c.doc_id.in_(ids))
    for doc_id, tag in conn.execute(q.order_by(coop_search_tags.c.tag)):
        out.setdefault(int(doc_id), []).append(tag)
    return out
