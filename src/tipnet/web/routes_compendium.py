"""The compendium pages: faceted search (public), items (public), the Atom feed of new items (public); adding items
and recording ratifications for COMPENDIUM_EDIT holders. The logic lives in `tipnet.coop.compendium` and
`tipnet.coop.search`; this module reads requests and assembles page data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.roles import Permission
from tipnet.coop import compendium, compendium_feed, search
from tipnet.coop.compendium import KINDS, RATIFICATION_STATUSES, TAG_VOCABULARIES, CompendiumError
from tipnet.coop.search_text import snippet
from tipnet.i18n import locale_of
from tipnet.standard import load_standard
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.store import Database, paging
from tipnet.web import pager
from tipnet.web.deps import Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
EDIT = needs(Permission.COMPENDIUM_EDIT)
PAGE_SIZE = 20
_LISTS = ("tags", "parties", "charges")  # fields given as one value per line in forms
T = TypeVar("T")


def checked(fn: Callable[..., T], *args: Any) -> T:
    """Run a domain call; bad input becomes the one JSON error shape (422, naming the field and value)."""
    try:
        return fn(*args)
    except CompendiumError as exc:
        raise ApiError(422, "invalid-request", str(exc)) from None


async def payload(request: Request) -> dict[str, Any]:
    """A form or a JSON object, as a mapping of fields (empty fields left out)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict):
            raise ApiError(422, "invalid-request", "the body must be a JSON object")
        return body
    form = await request.form()
    out: dict[str, Any] = {}
    for key in set(form.keys()) - {"csrf_token"}:
        values = [str(v).strip() for v in form.getlist(key) if str(v).strip()]
        if not values:
            continue
        if key in _LISTS:
            out[key] = [line.strip() for v in values for line in v.replace("\r", "").split("\n") if line.strip()]
        else:
            out[key] = values[0]
    return out


def tag_label(tag: str, lang: str) -> str:
    vocab, _, code = tag.partition(":")
    try:
        voc = load_standard().vocabularies[vocab]
        return f"{voc.labels.get(lang) or voc.labels.get('en')}: {voc.get(code).label(lang)}"
    except KeyError:
        return tag


def _int(name: str, value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 6:
        raise ApiError(422, "invalid-request", f"{name}: {value!r} is not a whole number")
    return int(value)


def search_page(request: Request, db: Database, lang: str, source: str) -> dict[str, Any]:
    """Run the search the query string asks for; hits and facets with the links that narrow or widen it."""
    q = request.query_params
    tags = tuple(t for t in q.getlist("tag") if t)
    filters = search.Filters(source=source, kind=q.get("kind") or None, country=(q.get("country") or "").upper()
                             or None, year=_int("year", q.get("year")), tags=tags)
    req = pager.page_request(request, PAGE_SIZE)
    result = search.search(db, paging.search_text(q.get("q")), filters, limit=req.per_page, offset=req.offset)
    req.check(result.total)
    page = req.page
    base: list[tuple[str, str]] = [(k, v) for k, v in q.multi_items() if k not in ("page", "lang") and v]

    def link(drop: str | None = None, add: tuple[str, str] | None = None, value: str | None = None) -> str:
        params = [(k, v) for k, v in base if not (k == drop and (value is None or v == value))]
        if add:
            params.append(add)
        return f"?{urlencode(params)}" if params else "?"

    facets: dict[str, list[dict[str, Any]]] = {}
    for name, values in result.facets.items():
        if name == "source":
            continue
        key = "tag" if name == "tag" else name
        out = []
        for v in values[:30]:
            if v["value"] is None:
                continue
            value = str(v["value"])
            selected = value in tags if name == "tag" else q.get(key, "").upper() == value.upper()
            label = (tag_label(value, lang) if name == "tag" else country_name(value, lang) if name == "country"
                     else value)
            out.append({**v, "label": label, "selected": selected,
                        "href": link(drop=key, value=value if name == "tag" else None) if selected
                        else link(drop=None if name == "tag" else key, add=(key, value))})
        facets[name] = out
    pages = max(1, -(-result.total // req.per_page))
    return {"query": q.get("q", ""), "filters": result.filters, "total": result.total, "hits": result.hits,
            "facets": facets, "page": page, "pages": pages, "per_page": req.per_page,
            "prev": link(drop="page", add=("page", str(page - 1))) if page > 1 else None,
            "next": link(drop="page", add=("page", str(page + 1))) if page < pages else None,
            "clear": "?", "words": result.words}


def search_context(request: Request, data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The HTML-only extras of a search page: its pager and the names of the countries of its hits."""
    first = (data["page"] - 1) * data["per_page"] + 1 if data["hits"] else 0
    last = first + len(data["hits"]) - 1 if data["hits"] else 0
    return {"pager": pager.pager(request, data["page"], data["pages"], data["total"], first, last, data["per_page"]),
            "country_names": {h["country"]: country_name(h["country"], lang) for h in data["hits"] if h["country"]}}


@router.page("/compendium")
@access(PUBLIC)
def compendium_search(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    data = search_page(request, db, lang, "compendium")
    data["can_edit"] = me.can(Permission.COMPENDIUM_EDIT)
    data["kinds"] = list(KINDS)
    data["kind_fields"] = {k: list(v) for k, v in KINDS.items()}
    data["tag_vocabularies"] = list(TAG_VOCABULARIES)
    data["countries"] = list(OAS_MEMBERS)
    _localize_hits(db, data, lang)
    return Page("compendium_search.html", data, context=search_context(request, data, lang))


def _localize_hits(db: Database, data: dict[str, Any], lang: str) -> None:
    """Hits with a text in the reader's language show its title and a snippet of it."""
    texts = compendium.translations_of(db, [h["id"] for h in data["hits"]], lang)
    for h in data["hits"]:
        text = texts.get(h["id"])
        if text:
            parts = snippet(text.get("body") or text.get("summary") or "", data["words"])
            h.update(title=text["title"], translated=True, snippet="".join(p.text for p in parts),
                     snippet_parts=[{"text": p.text, "hit": p.hit} for p in parts])


@router.get("/compendium/feed.atom")
@access(PUBLIC)
def compendium_atom(request: Request, db: Db) -> Response:
    items = compendium.newest(db, 50)
    base = str(request.base_url)
    return Response(compendium_feed.atom(items, base), media_type="application/atom+xml; charset=utf-8")


def _item_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no compendium item {value}")
    return int(value)


def _item(db: Database, item_id: int) -> dict[str, Any]:
    item = compendium.get(db, item_id)
    if item is None:
        raise ApiError(404, "not-found", f"no compendium item {item_id}")
    return item


@router.page("/compendium/{item_id}")
@access(PUBLIC)
def compendium_item(request: Request, item_id: str, db: Db, me: Me, lang: Lang) -> Page:
    """An item in the reader's language where a translation exists (its JSON twin too: `translated_from` says so)."""
    found = compendium.get(db, _item_id(item_id))
    if found is None:
        raise ApiError(404, "not-found", f"no compendium item {item_id}")
    item = compendium.localized(found, lang)
    item["tag_labels"] = {t: tag_label(t, lang) for t in item["tags"]}
    item["can_edit"] = me.can(Permission.COMPENDIUM_EDIT)
    item["statuses"] = list(RATIFICATION_STATUSES)
    item["countries"] = list(OAS_MEMBERS)
    original = item.get("translated_from")
    context = {"country_name": country_name(item["country"], lang) if item.get("country") else "",
               "original_language": locale_of(lang).languages.get(original, original) if original else ""}
    return Page("compendium_item.html", item, context=context)


@router.page("/compendium/items", methods=["POST"])
@access(EDIT)
async def compendium_create(request: Request, db: Db, me: Me) -> Done:
    raw = await payload(request)
    item_id = await run_in_threadpool(checked, compendium.add, db, me, raw)
    return Done(await run_in_threadpool(_item, db, item_id), redirect=f"/compendium/{item_id}", status=201)


@router.page("/compendium/{item_id}/ratifications", methods=["POST"])
@access(EDIT)
async def compendium_ratification(request: Request, item_id: str, db: Db, me: Me) -> Done:
    iid = _item_id(item_id)
    raw = await payload(request)
    _item(db, iid)
    await run_in_threadpool(checked, compendium.set_ratification, db, me, iid,
                            raw.get("country", ""), raw.get("status", ""), raw.get("signed_on"),
                            raw.get("ratified_on"), raw.get("in_force_on"), raw.get("notes"))
    return Done(await run_in_threadpool(_item, db, iid), redirect=f"/compendium/{iid}")
