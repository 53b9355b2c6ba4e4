"""Lists read a page at a time: the page asked for, checked; the rows of that page and the total, counted and cut
by the database (LIMIT/OFFSET on SQLite and PostgreSQL alike), never by slicing a full list in Python.

`PageRequest.parse` takes the query string's `page` and `per_page` as typed (text) and refuses what cannot be a
page (`ListQueryError`, 422, naming the parameter); `fetch_page` runs a query for one page and its total, and
refuses a page past the last one (a shared link to page 9 of what is now 3 pages says so rather than showing an
empty list). `folded_contains` matches a word anywhere in a text column without case or accents, on both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, func, or_, select, true

from tipnet.errors import Invalid
from tipnet.i18n.collation import fold

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # a page number past this is a typing accident (and an OFFSET no database should be asked for)
MAX_SEARCH = 100  # characters of a search kept
MAX_WORDS = 8  # words of a search matched

T = TypeVar("T")
U = TypeVar("U")


class ListQueryError(Invalid):
    """A list's query string asks for something that is not a page, filter or search: 422, naming the parameter."""

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(message, {"field": field, "value": value})


def _whole(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.isdigit() or len(text) > 9:
        raise ListQueryError(name, raw, f"{name}: {raw!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ListQueryError(name, raw, f"{name}: {value} is out of range ({low}-{high})")
    return value


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, params: Mapping[str, str], default: int = DEFAULT_PER_PAGE,
              maximum: int = MAX_PER_PAGE) -> PageRequest:
        """The page a query string asks for (`page` from 1, `per_page` from 1 to `maximum`)."""
        return cls(_whole("page", params.get("page"), 1, 1, MAX_PAGE),
                   _whole("per_page", params.get("per_page"), default, 1, maximum))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def check(self, total: int) -> None:
        """Refuse a page past the last (page 1 of an empty list is the empty list)."""
        last = max(1, -(-total // self.per_page))
        if self.page > last:
            raise ListQueryError("page", str(self.page), f"page {self.page} is past the last page ({last}) of "
                                 f"{total} entries")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list and where it stands in the whole."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row in the whole list; 0 when the page is empty."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    def map(self, fn: Callable[[T], U]) -> Paged[U]:
        return Paged([fn(r) for r in self.rows], self.total, self.page, self.per_page)

    def meta(self) -> dict[str, int]:
        """What a JSON twin says about the page: `{"page", "per_page", "pages", "total", "first", "last"}`."""
        return {"page": self.page, "per_page": self.per_page, "pages": self.pages, "total": self.total,
                "first": self.first, "last": self.last}


def as_dict(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


def fetch_page(conn: Connection, query: Select[Any], req: PageRequest, convert: Callable[[Row[Any]], T]) -> Paged[T]:
    """One page of `query` (which must be ordered, ties broken by a unique column) and the total it would return;
    each row through `convert` (`as_dict` for plain dicts)."""
    total = int(conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
    req.check(total)
    rows = [convert(r) for r in conn.execute(query.limit(req.per_page).offset(req.offset))]
    return Paged(rows, total, req.page, req.per_page)


def search_text(raw: str | None) -> str:
    """A search as typed, trimmed and cut to MAX_SEARCH characters ('' for none)."""
    return (raw or "").strip()[:MAX_SEARCH]


# Latin letters with a mark (and capitals), each folded to one character: the same folding as `fold` for the
# languages of the hemisphere, written as PostgreSQL's translate() (which needs no extension, unlike unaccent).
_LATIN = [chr(cp) for cp in range(0x41, 0x250)]
_FOLDED = {ch: fold(ch) for ch in _LATIN}
_PG_FROM = "".join(ch for ch in _LATIN if len(_FOLDED[ch]) == 1 and _FOLDED[ch] != ch)
_PG_TO = "".join(_FOLDED[ch] for ch in _PG_FROM)
SQLITE_FOLD = "tipnet_fold"  # registered on every SQLite connection (`tipnet.store.db`)


def folded(column: Any, backend: str) -> ColumnElement[str]:
    """The column's text folded as `fold` folds a search (lower case, no accents), inside the query."""
    if backend == "sqlite":
        return getattr(func, SQLITE_FOLD)(column)
    return func.lower(func.translate(column, _PG_FROM, _PG_TO))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def folded_contains(column: Any, text: str, backend: str) -> ColumnElement[bool]:
    """Whether the column holds `text` anywhere, case and accents aside ("peru" finds "Ministerio del Perú")."""
    return folded(column, backend).like(f"%{_escape_like(fold(text))}%", escape="\\")


def words_match(columns: Sequence[Any], text: str, backend: str) -> ColumnElement[bool]:
    """Every word of a search found in one of the columns (any order, case and accents aside): "unidad policía
    per" finds "Police Unit PER"'s Spanish twin "Unidad de Policía PER"."""
    words = fold(text).split()[:MAX_WORDS]
    return and_(true(), *(or_(*(folded_contains(c, w, backend) for c in columns)) for w in words))


def choice(name: str, raw: str | None, allowed: Collection[str]) -> str | None:
    """A filter's value from a closed list (None when not given); anything else is refused (422)."""
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        shown = ", ".join(sorted(allowed)) if len(allowed) <= 12 else f"{len(allowed)} codes"
        raise ListQueryError(name, raw[:40], f"{name}: {raw[:40]!r} is not one of {shown}")
    return raw


def year(raw: str | None, low: int = 1900, high: int = 2100) -> int | None:
    """A year filter (None when not given)."""
    return _whole("year", raw, 0, low, high) or None
