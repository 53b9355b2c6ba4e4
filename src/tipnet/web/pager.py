"""The web side of a paged list: the page and filters a request asks for, and the links of its pager.

The store counts and cuts (`tipnet.store.paging`); this module reads the query string and writes links that keep
every other parameter, so a page of a filtered list is a URL one can share. The template side is `_list.html`
(the filter form and the pager, one of each for every list).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from tipnet.store.paging import DEFAULT_PER_PAGE, Paged, PageRequest

PER_PAGE_CHOICES = (10, 25, 50, 100)
_DROP = ("page", "lang")  # a pager link names its own page; the language stays in its cookie


def page_request(request: Request, default: int = DEFAULT_PER_PAGE) -> PageRequest:
    return PageRequest.parse(request.query_params, default)


def link(request: Request, **changes: str | int | None) -> str:
    """This list's URL with some parameters changed (None drops one), the others kept."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in _DROP and k not in changes and v]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def _numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to offer: the first, the last and two either side of this one; None where some are skipped."""
    keep = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    before = 0
    for n in keep:
        if before and n - before > 1:
            out.append(None)
        out.append(n)
        before = n
    return out


def pager(request: Request, page: int, pages: int, total: int, first: int, last: int, per_page: int) -> dict[str, Any]:
    """What the pager partial draws: where this page stands and the links to the others."""
    return {"page": page, "pages": pages, "total": total, "first": first, "last": last, "per_page": per_page,
            "prev": link(request, page=page - 1) if page > 1 else None,
            "next": link(request, page=page + 1) if page < pages else None,
            "numbers": [{"n": n, "href": link(request, page=n) if n else None, "current": n == page}
                        for n in _numbers(page, pages)],
            "per_page_choices": PER_PAGE_CHOICES}


def pager_of(request: Request, paged: Paged[Any]) -> dict[str, Any]:
    return pager(request, paged.page, paged.pages, paged.total, paged.first, paged.last, paged.per_page)


def select(name: str, label: str, value: str | None, options: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A filter drawn as a list to pick from (value, label), with "all" first."""
    return {"name": name, "label": label, "value": value or "", "options": [{"value": v, "label": t}
                                                                             for v, t in options]}


def search(name: str, label: str, value: str | None) -> dict[str, Any]:
    """A filter drawn as a search box."""
    return {"name": name, "label": label, "value": value or "", "search": True}


def check(name: str, label: str, checked: bool) -> dict[str, Any]:
    """A filter drawn as a box to tick (sent as name=1)."""
    return {"name": name, "label": label, "value": "1" if checked else "", "check": True}
