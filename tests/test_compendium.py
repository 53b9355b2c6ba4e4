"""The compendium: structured items, seeding from the 2009 OAS resolution, faceted accent-insensitive full-text search
on SQLite (FTS5) and PostgreSQL (tsvector), and the Atom feed of new items."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree as ET

import pytest
from conftest import SHARED
from sqlalchemy import select, text

from tipnet.auth import audit
from tipnet.auth.principal import system
from tipnet.coop import compendium, compendium_feed, compendium_seed, search
from tipnet.coop.compendium import CompendiumError
from tipnet.coop.search_text import fold, snippet, terms
from tipnet.store.tables_auth import audit_log

RESOLUTION = SHARED / "reference" / "oas-resolution-trafficking-2009.txt"
ATOM = "{http://www.w3.org/2005/Atom}"
ME = system("test")


def _flat(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _add(db, **kw):
    return compendium.add(db, ME, {"kind": "guideline", **kw})


# --- text ------------------------------------------------------------------------------------------------------------


def test_folding_keeps_positions_and_drops_accents():
    s = "Tráfico de PERSONAS en São Paulo: l'exploitation forcée, ĲSSEL İstanbul"
    f = fold(s)
    assert len(f) == len(s)
    assert f.startswith("trafico de personas en sao paulo: l'exploitation forcee")
    assert terms("  Trata, TRÁFICO; tráfico  niñas ") == ["trata", "trafico", "ninas"]
    parts = snippet("Protección de las niñas y niños víctimas de trata", ["ninos", "vict"])
    assert [p.text for p in parts if p.hit] == ["niños", "víctimas"]


# --- items -----------------------------------------------------------------------------------------------------------


def test_bad_items_are_refused_with_the_field_and_value(db):
    with pytest.raises(CompendiumError, match=r"kind: 'statute'"):
        compendium.add(db, ME, {"kind": "statute", "title": "x"})
    with pytest.raises(CompendiumError, match=r"tags: 'exploitation_form:nonsense'"):
        _add(db, title="x", tags=["exploitation_form:nonsense"])
    with pytest.raises(CompendiumError, match=r"tags: 'colour:red'"):
        _add(db, title="x", tags=["colour:red"])
    with pytest.raises(CompendiumError, match=r"country: 'Atlantis'"):
        _add(db, title="x", country="Atlantis")
    with pytest.raises(CompendiumError, match=r"date: '2009-13-01'"):
        _add(db, title="x", date="2009-13-01")
    with pytest.raises(CompendiumError, match=r"verdict: not a field of a guideline"):
        _add(db, title="x", verdict="guilty")
    assert compendium.count(db) == 0


def test_a_case_law_brief_keeps_its_structure_and_every_change_is_audited(db):
    item_id = compendium.add(db, ME, {
        "kind": "case_law", "title": "Fiscalía c. Agencia Horizonte", "country": "PER", "date": "2019-06-03",
        "court": "Corte Superior de Lima", "parties": ["Fiscalía", "Agencia Horizonte S.A.C."],
        "charges": ["trata de personas agravada"], "verdict": "condena", "sentence": "15 años",
        "facts": "Captación de mujeres mediante ofertas de empleo falsas en el extranjero.",
        "tags": ["means_of_control:false_promises", "recruitment_method:employment_agency"]})
    item = compendium.get(db, item_id)
    assert item["kind"] == "case_law" and item["year"] == 2019 and item["date"] == "2019-06-03"
    assert item["details"]["parties"] == ["Fiscalía", "Agencia Horizonte S.A.C."]
    assert item["details"]["sentence"] == "15 años"
    assert item["tags"] == ["means_of_control:false_promises", "recruitment_method:employment_agency"]
    compendium.change(db, ME, item_id, {"verdict": "condena confirmada en apelación"})
    assert compendium.get(db, item_id)["details"]["verdict"] == "condena confirmada en apelación"
    hit = search.search(db, "apelacion").hits
    assert [h["id"] for h in hit] == [item_id]  # the index follows the change
    with db.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert actions == ["compendium.create", "compendium.update"]
    assert audit.verify(db).ok


def test_ratification_status_is_kept_per_country_with_dates(db):
    treaty = compendium.add(db, ME, {"kind": "treaty", "title": "A treaty", "date": "2000-11-15"})
    compendium.set_ratification(db, ME, treaty, "PER", "signed", signed_on="2000-12-14")
    compendium.set_ratification(db, ME, treaty, "PER", "ratified", signed_on="2000-12-14", ratified_on="2002-01-23")
    compendium.set_ratification(db, ME, treaty, "col", "acceded", ratified_on="2004-08-04")
    rats = compendium.get(db, treaty)["ratifications"]
    assert [(r["country"], r["status"], r["signed_on"], r["ratified_on"]) for r in rats] == [
        ("COL", "acceded", None, "2004-08-04"), ("PER", "ratified", "2000-12-14", "2002-01-23")]
    guide = _add(db, title="not a treaty")
    with pytest.raises(CompendiumError, match="treaties only"):
        compendium.set_ratification(db, ME, guide, "PER", "ratified")
    with pytest.raises(CompendiumError, match="status: 'maybe'"):
        compendium.set_ratification(db, ME, treaty, "PER", "maybe")


# --- search ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(db):
    ids = {
        "es_law": compendium.add(db, ME, {
            "kind": "legislation", "title": "Ley contra la trata de personas", "country": "PER", "year": 2007,
            "language": "es", "summary": "Tipifica la trata de personas y el tráfico ilícito de migrantes.",
            "tags": ["exploitation_form:sexual_exploitation", "exploitation_form:forced_labour"]}),
        "pt_law": compendium.add(db, ME, {
            "kind": "legislation", "title": "Lei de enfrentamento ao tráfico de pessoas", "country": "BRA",
            "year": 2016, "language": "pt", "summary": "Prevenção e repressão ao tráfico interno e internacional.",
            "tags": ["exploitation_form:forced_labour"]}),
        "fr_guide": compendium.add(db, ME, {
            "kind": "guideline", "title": "Guide d'identification des victimes", "country": "HTI", "year": 2016,
            "language": "fr", "body": "Les victimes de traite sont orientées vers une assistance médicale.",
            "tags": ["assistance_type:medical"]}),
        "en_case": compendium.add(db, ME, {
            "kind": "case_law", "title": "State v. Recruiter", "country": "USA", "year": 2016, "language": "en",
            "facts": "Forced labour on farms; workers recruited with false promises of trafico-free legal jobs.",
            "tags": ["exploitation_form:forced_labour", "means_of_control:false_promises"]}),
        "mention": compendium.add(db, ME, {
            "kind": "best_practice", "title": "Training of labour inspectors", "country": "PER", "year": 2016,
            "body": "Inspectors also learn the basics of the law on trata."}),
    }
    return ids


def test_search_is_accent_and_case_insensitive_in_four_languages(db, corpus):
    def found(q: str) -> set[int]:
        return {h["id"] for h in search.search(db, q).hits}

    assert found("trafico") == found("TRÁFICO") == {corpus["es_law"], corpus["pt_law"], corpus["en_case"]}
    assert found("prevencao repressao") == {corpus["pt_law"]}
    assert found("orientees") == found("ORIENTÉES") == {corpus["fr_guide"]}
    assert found("médicale") == {corpus["fr_guide"]}
    assert found("traf") >= found("trafico")  # every word is also a prefix
    assert found("trata personas ley") == {corpus["es_law"]}  # all words must match
    assert found("nothing-like-this") == set()


def test_results_are_ranked_title_first_with_highlighted_snippets(db, corpus):
    res = search.search(db, "trata")
    assert [h["id"] for h in res.hits] == [corpus["es_law"], corpus["mention"]]  # title beats a mention in the text
    assert res.hits[0]["score"] > res.hits[1]["score"]
    hits = [p["text"] for p in res.hits[1]["snippet_parts"] if p["hit"]]
    assert hits == ["trata"]
    res = search.search(db, "trafico")
    pt = next(h for h in res.hits if h["id"] == corpus["pt_law"])
    assert [p["text"] for p in pt["snippet_parts"] if p["hit"]] == ["tráfico"]  # shown as written


def test_facets_count_the_whole_result_and_filters_narrow_it(db, corpus):
    res = search.search(db, "", limit=2)
    assert res.total == 5 and len(res.hits) == 2
    assert {f["value"]: f["count"] for f in res.facets["kind"]} == {
        "legislation": 2, "guideline": 1, "case_law": 1, "best_practice": 1}
    assert res.facets["year"][0] == {"value": 2016, "count": 4}  # newest first
    tags = {f["value"]: f["count"] for f in res.facets["tag"]}
    assert tags["exploitation_form:forced_labour"] == 3 and tags["assistance_type:medical"] == 1
    res = search.search(db, "", search.Filters(year=2016, tags=("exploitation_form:forced_labour",)))
    assert {h["id"] for h in res.hits} == {corpus["pt_law"], corpus["en_case"]}
    assert {f["value"]: f["count"] for f in res.facets["country"]} == {"BRA": 1, "USA": 1}
    res = search.search(db, "trata", search.Filters(country="PER", kind="best_practice"))
    assert [h["id"] for h in res.hits] == [corpus["mention"]] and res.total == 1
    assert {f["value"]: f["count"] for f in res.facets["source"]} == {"compendium": 1}


def test_the_full_text_index_follows_inserts_updates_and_deletes(db, corpus):
    compendium.change(db, ME, corpus["fr_guide"], {"title": "Guide pour les inspecteurs"})
    assert not search.search(db, "identification").hits
    assert [h["id"] for h in search.search(db, "inspecteurs").hits] == [corpus["fr_guide"]]
    with db.engine.begin() as conn:
        search.remove(conn, "compendium", corpus["fr_guide"])
    assert not search.search(db, "inspecteurs").hits
    if db.backend_name == "sqlite":  # the FTS5 table agrees with its content table
        with db.engine.connect() as conn:
            conn.execute(text("INSERT INTO coop_search_fts(coop_search_fts, rank) VALUES ('integrity-check', 1)"))


# --- seeding ---------------------------------------------------------------------------------------------------------


def test_seed_files_quote_the_resolution_and_number_every_recommendation():
    source = _flat(RESOLUTION.read_text(encoding="utf-8"))
    recs = compendium_seed.read_data(compendium_seed.RECOMMENDATIONS)["recommendations"]
    conclusions = [r["number"] for r in recs if r["document"] == "conclusions"]
    assert conclusions == list(range(1, 52))
    assert [r["number"] for r in recs if r["document"] == "resolution"] == list(range(1, 10))
    for r in recs:
        assert _flat(r["text"]) in source, r["ref"]
    for inst in compendium_seed.read_data(compendium_seed.INSTRUMENTS)["instruments"]:
        assert _flat(inst["cited_as"]) in source, inst["ref"]
        assert not inst.get("parties"), "no list of parties is shipped without a source"
    rec30 = next(r for r in recs if r["ref"] == "recommendation:rtp-ii-30")
    assert rec30["text"].startswith("To strengthen measures for monitoring travel agencies and employment recruiters")
    assert rec30["domain"] == "prevention_and_protection"
    assert next(r for r in recs if r["ref"] == "recommendation:rtp-ii-14")["domain"] == "prosecution_and_cooperation"


def test_seeding_creates_structured_entries_once(db):
    first = compendium_seed.seed(db, ME)
    assert first.recommendations == 60 and first.instruments >= 30 and first.created == first.instruments + 60
    again = compendium_seed.seed(db, ME)
    assert again.created == 0 and compendium.count(db) == first.created
    res = search.search(db, "Palermo", search.Filters(kind="treaty"))
    titles = {h["title"] for h in res.hits}
    assert "Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially Women and Children" in titles
    untoc = next(h for h in search.search(db, "transnational organized crime convention").hits
                 if h["title"] == "United Nations Convention against Transnational Organized Crime")
    item = compendium.get(db, untoc["id"])
    assert item["date"] == "2000-11-15" and item["details"]["short_name"] == "Palermo Convention"
    assert item["ratifications"] == []  # not invented
    top = search.search(db, "travel agencies recruiters").hits[0]
    rec = compendium.get(db, top["id"])
    assert rec["details"]["number"] == 30 and rec["kind"] == "recommendation"
    assert "perpetrator_role:recruiter" in rec["tags"]
    by_kind = {f["value"]: f["count"] for f in search.search(db, "").facets["kind"]}
    assert by_kind["recommendation"] == 60 and by_kind["mechanism"] >= 5


# --- feed ------------------------------------------------------------------------------------------------------------


def test_the_atom_feed_parses_and_lists_the_newest_items_first(db, monkeypatch):
    stamps = iter(dt.datetime(2026, 1, d, 12, tzinfo=dt.UTC) for d in range(1, 10))
    monkeypatch.setattr(compendium, "_now", lambda: next(stamps))
    old = _add(db, title="Old guide")
    mid = _add(db, title="Middle guide", tags=["assistance_type:legal"])
    new = compendium.add(db, ME, {"kind": "treaty", "title": "New & <important> treaty", "summary": "Résumé"})
    xml = compendium_feed.atom(compendium.newest(db, 2), "https://tipnet.example.org/")
    root = ET.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") and root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://tipnet.example.org/compendium/feed.atom"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["New & <important> treaty", "Middle guide"]
    assert root.findtext(f"{ATOM}updated") == "2026-01-03T12:00:00Z"
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == f"urn:tipnet:compendium:item:{new}"
    assert first.find(f"{ATOM}link").get("href") == f"https://tipnet.example.org/compendium/{new}"
    assert first.findtext(f"{ATOM}summary") == "Résumé"
    assert first.findtext(f"{ATOM}published") == "2026-01-03T12:00:00Z"
    assert {c.get("term") for c in entries[1].findall(f"{ATOM}category")} == {"guideline", "assistance_type:legal"}
    for e in entries:  # RFC 4287 4.1.2: every entry has id, title and updated
        assert all(e.find(f"{ATOM}{t}") is not None for t in ("id", "title", "updated"))
    assert old not in {mid, new}


def test_a_very_large_result_is_ranked_within_the_newest_window(db, monkeypatch):
    for i in range(6):  # documents without the word, so that it is rare enough to score
        _add(db, title=f"Guía {i}", body="explotación laboral")
    a = _add(db, title="Trata de personas", body="trata")  # the most relevant, but the oldest
    b = _add(db, title="Informe", body="La trata y la trata.")
    c = _add(db, title="Anexo", body="Otras palabras largas sobre la trata en la región y en el mundo.")
    assert [h["id"] for h in search.search(db, "trata").hits] == [a, b, c]
    monkeypatch.setattr(search, "RANK_WINDOW", 2)  # relevance only for the 2 most recently indexed matches
    res = search.search(db, "trata")
    assert [h["id"] for h in res.hits] == [b, c, a] and res.total == 3
    assert res.hits[0]["score"] > res.hits[1]["score"] > 0 and res.hits[2]["score"] == 0
    assert [h["id"] for h in search.search(db, "trata", limit=1, offset=2).hits] == [a]
    # PostgreSQL ranks a smaller window of its own (ts_rank reads each ranked document's tsvector)
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    monkeypatch.setattr(search, "RANK_WINDOW_POSTGRES", 1)
    expected = [c, b, a] if db.backend_name == "postgresql" else [a, b, c]
    assert [h["id"] for h in search.search(db, "trata").hits] == expected


def test_the_facet_snapshot_follows_changes_made_through_another_handle(db):
    from tipnet.store import Database

    first = _add(db, title="Guía uno", tags=["assistance_type:legal"])
    assert search.search(db, "").facets["tag"] == [{"value": "assistance_type:legal", "count": 1}]
    other = Database(db.url)  # another process's view of the same store
    try:
        compendium.add(other, ME, {"kind": "guideline", "title": "Guía dos", "tags": ["assistance_type:legal"]})
    finally:
        other.dispose()
    res = search.search(db, "guia", search.Filters(tags=("assistance_type:legal",)))
    assert res.total == 2 and res.facets["tag"] == [{"value": "assistance_type:legal", "count": 2}]
    assert first in {h["id"] for h in res.hits}


def test_decomposed_accents_match_composed_ones(db):
    item = _add(db, title="Guía sobre el tra\u0301fico de nin\u0303os")  # accents typed as combining marks
    for q in ("tráfico niños", "trafico ninos", "tra\u0301fico"):
        assert [h["id"] for h in search.search(db, q).hits] == [item], q
    hit = search.search(db, "ninos").hits[0]
    assert [p["text"] for p in hit["snippet_parts"] if p["hit"]] == []  # the title is not in the text snippet
    assert hit["title"] == "Guía sobre el tráfico de niños"  # stored composed


def test_postgres_keeps_search_rows_narrow_and_the_texts_out_of_line(db):
    """On PostgreSQL a word found in many documents is answered from the GIN index and narrow heap rows: the
    texts and the tsvector live in the TOAST table, so finding the matching ids never reads (or inflates) them."""
    if db.backend_name != "postgresql":
        pytest.skip("PostgreSQL storage settings")
    body = "La trata de personas es un delito. " * 40  # about 1.4 kB of text, like a real entry
    ids = [_add(db, title=f"Guía {i} sobre la trata", body=body) for i in range(30)]
    with db.engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'coop_search_docs'")).scalar()
        storage = dict(conn.execute(text(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'coop_search_docs'::regclass "
            "AND attname IN ('title', 'body', 'title_folded', 'body_folded', 'tsv')")).all())
        heap, toast = conn.execute(text(
            "SELECT pg_relation_size(c.oid), pg_relation_size(c.reltoastrelid) FROM pg_class AS c "
            "WHERE c.relname = 'coop_search_docs'")).one()
    assert "toast_tuple_target=128" in (options or [])
    assert storage == {c: "e" for c in ("title", "body", "title_folded", "body_folded", "tsv")}
    # 30 rows of about 3 kB inline would fill 14 heap pages; their facets and TOAST pointers fit in one
    assert heap == 8192 and toast >= 30 * 2000
    res = search.search(db, "trata")
    assert res.total == 30 and len(res.hits) == 20 and {h["id"] for h in res.hits} <= set(ids)
    assert "trata" in res.hits[0]["snippet"].lower()
