"""Words compared and sorted as a reader of each language expects, without a collation library.

`fold` is what a search compares: lower case, accents and other marks removed ("Perú" and "PERU" both "peru").
`sort_key` orders names in a language: letters first without their accents, so "Perú" sits between "Paraguay"
and "Saint Lucia"; then, for names equal but for accents, the plain one first. In Spanish "ñ" is a letter of its
own, after "n" (Real Academia Española), so "Ñandú" follows "Nuevo"; the other languages fold it to "n".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_AFTER_N = "n\u007f"  # sorts after every "n" + letter, before "o"


def fold(text: str | None) -> str:
    """Lower case without accents, for matching ("Ministério Público" -> "ministerio publico")."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def sort_key(text: str, lang: str = "en") -> tuple[str, str]:
    """A key that sorts `text` among others as `lang` orders them (accents second, case third)."""
    base = unicodedata.normalize("NFC", text)
    if lang == "es":
        base = base.replace("ñ", _AFTER_N).replace("Ñ", _AFTER_N)
    return fold(base), base


def sorted_names(names: Iterable[str], lang: str = "en") -> list[str]:
    return sorted(names, key=lambda name: sort_key(name, lang))
