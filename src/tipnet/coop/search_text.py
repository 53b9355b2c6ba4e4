"""Text for the cooperation search: accent folding, query terms, snippets.

Content comes in English, Spanish, French and Portuguese, so words are matched without their accents and without
case ("trata de personas" finds "Trata de Personas" and "tráfico" finds "trafico"). `fold` keeps one character for
one character, so a position found in the folded text is the same position in the original: snippets are cut and
highlighted on the original text, identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 12


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    if len(base) != 1:
        base = ch
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str | None) -> str:
    """Lower-case, accents removed, same length as `text`."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


def terms(query: str | None) -> list[str]:
    """The words of a query, folded, in order, without repeats (at most MAX_TERMS)."""
    seen: list[str] = []
    for word in _WORD.findall(fold(query or "")):
        if word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    """SQLite FTS5: every word, as a prefix (words are letters and digits only, so quoting is safe)."""
    return " AND ".join(f'"{w}"*' for w in words)


def tsquery(words: list[str]) -> str:
    """PostgreSQL to_tsquery('simple', ...): every word, as a prefix."""
    return " & ".join(f"{w}:*" for w in words)


@dataclass(frozen=True)
class Part:
    text: str
    hit: bool


def snippet(text: str, words: list[str], width: int = 220) -> list[Part]:
    """A window of `text` around the first query word, the words that start with a query word marked."""
    if not text:
        return []
    folded = fold(text)
    if not words:
        cut = text[:width]
        return [Part(cut + ("…" if len(text) > width else ""), False)]
    starts = [(m.start(), m.end()) for m in _WORD.finditer(folded) if any(m.group().startswith(w) for w in words)]
    first = starts[0][0] if starts else 0
    lo = max(0, first - width // 3)
    if lo > 0:
        space = text.rfind(" ", 0, lo)
        lo = space + 1 if space >= 0 and lo - space < 30 else lo
    hi = min(len(text), lo + width)
    parts: list[Part] = []
    pos = lo
    for s, e in starts:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        if s > pos:
            parts.append(Part(text[pos:s], False))
        parts.append(Part(text[s:e], True))
        pos = e
    if pos < hi:
        parts.append(Part(text[pos:hi], False))
    if lo > 0:
        parts.insert(0, Part("…", False))
    if hi < len(text):
        parts.append(Part("…", False))
    return parts
