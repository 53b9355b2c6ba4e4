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

_WORD = re.compile(r"[^\W_]+")
_OTHER_SCRIPTS = re.compile("[^\u0000-\u024f]")
MAX_TERMS = 12


def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    if len(base) != 1:
        base = ch
    low = base.lower()
    return low if len(low) == 1 else base


# Latin letters (ASCII, Latin-1, Latin Extended-A/B): one character each. Text is stored and queried in NFC (see
# `nfc`), so accents come precomposed.
_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x41, 0x250) if _fold_char(chr(cp)) != chr(cp)}


def nfc(text: str | None) -> str:
    """Composed form: "e" followed by a combining accent becomes "é" (one character, folded like any other)."""
    return unicodedata.normalize("NFC", text) if text else ""


def fold(text: str | None) -> str:
    """Lower-case, accents removed, same length as `text` (one character for one character)."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    folded = text.translate(_TABLE)
    if _OTHER_SCRIPTS.search(folded) is None:
        return folded
    return _OTHER_SCRIPTS.sub(lambda m: _fold_char(m.group()), folded)


def terms(query: str | None) -> list[str]:
    """The words of a query, folded, in order, without repeats (at most MAX_TERMS)."""
    seen: list[str] = []
    for word in _WORD.findall(fold(nfc(query))):
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


def _pattern(words: list[str]) -> re.Pattern[str]:
    """Words of the text (letters and digits) that start with one of the query words."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*")


def snippet(text: str, words: list[str], width: int = 220) -> list[Part]:
    """A window of `text` around the first query word, the words that start with a query word marked."""
    if not text:
        return []
    if not words:
        cut = text[:width]
        return [Part(cut + ("…" if len(text) > width else ""), False)]
    folded = fold(text)
    pattern = _pattern(words)
    first_match = pattern.search(folded)
    first = first_match.start() if first_match else 0
    lo = max(0, first - width // 3)
    if lo > 0:
        space = text.rfind(" ", 0, lo)
        lo = space + 1 if space >= 0 and lo - space < 30 else lo
    hi = min(len(text), lo + width)
    parts: list[Part] = []
    pos = lo
    for m in pattern.finditer(folded, lo, hi):
        s, e = m.start(), m.end()
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
