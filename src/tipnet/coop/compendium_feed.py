"""An Atom 1.0 feed (RFC 4287) of the newest compendium items, written with the standard library's XML tools."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:tipnet:compendium"


def _q(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _stamp(value: str | dt.datetime | None) -> str:
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def atom(items: list[dict[str, Any]], base_url: str, title: str = "tipnet: cooperation compendium") -> bytes:
    """The feed document; `items` newest first (as `compendium.newest` returns them)."""
    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/")
    feed = ET.Element(_q("feed"))
    _sub(feed, "id", FEED_ID)
    _sub(feed, "title", title)
    _sub(feed, "updated", max((_stamp(i["updated_at"]) for i in items), default=_stamp(None)))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/compendium/feed.atom")
    _sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/compendium")
    author = _sub(feed, "author")
    _sub(author, "name", "Organization of American States: tipnet")
    _sub(feed, "generator", "tipnet")
    for item in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{FEED_ID}:item:{item['id']}")
        _sub(entry, "title", item["title"])
        _sub(entry, "published", _stamp(item["created_at"]))
        _sub(entry, "updated", _stamp(item["updated_at"]))
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/compendium/{item['id']}")
        _sub(entry, "category", term=item["kind"], scheme=f"{base}/compendium#kind")
        for tag in item.get("tags") or []:
            _sub(entry, "category", term=tag, scheme=f"{base}/compendium#tag")
        if item.get("country"):
            _sub(entry, "category", term=item["country"], scheme=f"{base}/compendium#country")
        summary = item.get("summary") or (item.get("body") or "")[:500]
        if summary:
            _sub(entry, "summary", summary, type="text")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
