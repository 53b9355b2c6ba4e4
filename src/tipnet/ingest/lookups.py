"""Look-ups of codes, countries and yes/no values: each distinct value of a field is resolved once per import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from tipnet.ingest.convert_base import DTYPES, Collector, Context, Outcome
from tipnet.ingest.flags import UNREADABLE, read_flag
from tipnet.ingest.profiles import blank_value
from tipnet.standard import Field, load_standard
from tipnet.standard.countries import resolve_country
from tipnet.standard.model import LIST_SEPARATOR, normalise_token

_REGION = "\x00region"

# ---------------------------------------------------------------- look-ups (codes, countries, yes/no)


def _default(f: Field, ctx: Context) -> str | None:
    default = ctx.profile.defaults.get(f.name, f.default)
    if f.name == "reporting_country" and ctx.country:
        default = default or ctx.country
    return default


def _resolver_code(f: Field) -> Callable[[str], str | None]:
    vocab = load_standard().vocabulary_of(f)

    def one(token: str) -> str | None:
        return vocab.resolve(token)

    if not f.is_list:
        return lambda raw: None if LIST_SEPARATOR in raw else one(raw)

    order = {c: i for i, c in enumerate(vocab.codes)}

    def many(raw: str) -> str | None:
        # a label with the separator in it ("Water supply; sewerage, ...", the ISIC title) is one value
        if LIST_SEPARATOR in raw and (whole := one(raw)):
            return whole
        codes = set()
        for token in raw.split(LIST_SEPARATOR):
            if not token.strip():
                continue
            code = one(token)
            if code is None:
                return None
            if code:
                codes.add(code)
        return LIST_SEPARATOR.join(sorted(codes, key=order.__getitem__)) if codes else ""

    return many


def _resolver_country(f: Field, ctx: Context) -> Callable[[str], str | None]:
    def one(token: str) -> str | None:
        m = resolve_country(token)
        if m.kind == "country":
            return m.code
        if m.kind == "own":
            return ctx.country
        if m.kind == "region":
            return _REGION
        return None

    if not f.is_list:
        return one

    def many(raw: str) -> str | None:
        out: list[str] = []
        for token in raw.split(LIST_SEPARATOR):
            if not token.strip():
                continue
            code = one(token)
            if code is None or code == _REGION:
                return code
            if code not in out:
                out.append(code)
        return LIST_SEPARATOR.join(out)

    return many


def _mapped_value(pmap: dict[str, str], is_list: bool) -> Callable[[str], str | None]:
    """A profile's own value map (e.g. 'F' -> female), applied before the vocabulary; '' means no value."""

    def one(token: str) -> str:
        return pmap.get(normalise_token(token), token.strip())

    def apply(value: str) -> str | None:
        if is_list and normalise_token(value) in pmap:  # the whole cell is one value of the map
            return pmap[normalise_token(value)] or None
        if is_list:
            out = LIST_SEPARATOR.join(t for t in (one(x) for x in value.split(LIST_SEPARATOR)) if t)
        else:
            out = one(value)
        return out or None

    return apply


def _outcome_fn(f: Field, ctx: Context) -> Callable[[str | None], Outcome]:
    """The whole chain for one distinct cell: blank, value map, default, NUL check, look-up."""
    missing = ctx.profile.missing_values
    pmap = ctx.profile.value_map(f.name)
    mapped = _mapped_value(pmap, f.is_list) if pmap else None
    default = _default(f, ctx)
    if f.type == "boolean":

        def resolve(text: str) -> tuple[Any, str | None]:
            state = read_flag(text)
            if state is None or state == UNREADABLE:
                return None, "invalid-boolean"
            return state, None

    elif f.type in ("code", "code_list"):
        code_of = _resolver_code(f)

        def resolve(text: str) -> tuple[Any, str | None]:
            code = code_of(text)
            if code is None:
                return None, "invalid-code"
            return code or None, None

    else:
        country_of = _resolver_country(f, ctx)

        def resolve(text: str) -> tuple[Any, str | None]:
            code = country_of(text)
            if code == _REGION:
                return None, "region-not-country"
            if code is None:
                return None, "invalid-country"
            return code or None, None

    def outcome(value: str | None) -> Outcome:
        text = blank_value(value, missing)
        if text is not None and mapped is not None:
            text = mapped(text)
        if text is None:
            text = default
        if text is None:
            return None, None, None
        if "\x00" in text:
            return text, None, "invalid-text"
        typed, problem = resolve(text)
        return text, typed, problem

    return outcome


class Lookup:
    """The outcome of every distinct value of one field seen in this import.

    A chunk's cells are numbered by casting them to an Enum of the values seen so far (new values are learned
    and the cast repeated); typed values and problems are then gathered by that number."""

    def __init__(self, f: Field, ctx: Context) -> None:
        self.name = f.name
        self.outcome = _outcome_fn(f, ctx)
        self.dtype = DTYPES[f.type]
        self.null = self.outcome(None)  # what an empty cell becomes (the default, if any)
        self.values: list[str] = []
        self.outcomes: list[Outcome] = []
        self._index: dict[str, int] = {}
        self._enum = pl.Enum([])
        self._typed: pl.Series = pl.Series([], dtype=self.dtype)
        self._failing: pl.Series = pl.Series([], dtype=pl.Boolean)

    def index_expr(self) -> pl.Expr:
        return pl.col(self.name).cast(self._enum, strict=False).to_physical()

    def _learn(self, raw: pl.Series) -> None:
        for v in raw.unique().to_list():
            if v is not None and v not in self._index:
                self._index[v] = len(self.values)
                self.values.append(v)
                self.outcomes.append(self.outcome(v))
        self._enum = pl.Enum(self.values)
        self._typed = pl.Series([o[1] for o in self.outcomes], dtype=self.dtype)
        self._failing = pl.Series([o[2] is not None for o in self.outcomes], dtype=pl.Boolean)

    def finish(self, raw: pl.Series, idx: pl.Series, rows: pl.Series, bad: Collector) -> pl.Series:
        """Typed values of a chunk (idx: index_expr's result for it); problems to bad."""
        if idx.null_count() > raw.null_count():  # values not seen before
            self._learn(raw.filter(idx.is_null()))
            idx = raw.cast(self._enum, strict=False).to_physical()
        typed = self._typed.gather(idx)
        nulls = raw.is_null()
        if self.null[1] is not None and raw.null_count():
            typed = typed.set(nulls, self.null[1])  # type: ignore[arg-type]
        hit = self._failing.gather(idx)
        if self.null[2] is not None:
            hit = hit.fill_null(False) | nulls
        if hit.null_count():
            hit = hit.fill_null(False)
        if hit.any():
            numbers = idx.filter(hit).to_list()
            found = [self.outcomes[i] if i is not None else self.null for i in numbers]
            codes = pl.Series([o[2] for o in found], dtype=pl.Utf8)
            texts = pl.Series([o[0] for o in found], dtype=pl.Utf8)
            hit_rows = rows.filter(hit)
            for code in dict.fromkeys(o[2] for o in found):
                assert code is not None
                mine = codes == code
                bad.add_rows(hit_rows.filter(mine), code, self.name, texts.filter(mine))
        return typed.alias(self.name)


# ---------------------------------------------------------------- text, dates, numbers
