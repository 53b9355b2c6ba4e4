"""Nationality words (demonyms) in four languages, as national files write citizenship ("Pakistani", "keniano",
"Belga", "alemana"): the forms of each word and the country it names.

`data/demonyms.yaml` gives one base form per language; the feminine and plural forms are derived here with the
ordinary rules of each language (mexicano -> mexicana, mexicanos, mexicanas; canadien -> canadienne; alemão ->
alemã). A derived form that would not exist does no harm (nobody writes it); a form that two countries share is
dropped, so an ambiguous word is never resolved to either.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from importlib import resources

from tipnet.standard.model import normalise_token
from tipnet.standard.yaml_parse import parse_yaml


def _spanish(word: str) -> list[str]:
    w = word
    if w.endswith("o"):
        return [w, w[:-1] + "a", w + "s", w[:-1] + "as"]
    if w[-1] in "eaí" or w.endswith("ú"):
        return [w, w + "s", w + "es"]
    # consonant endings: alemán, francés, español -> alemana, alemanes, alemanas (accents do not matter here)
    return [w, w + "a", w + "es", w + "as"]


def _french(word: str) -> list[str]:
    w = word
    if w.endswith("e"):
        return [w, w + "s"]
    if w.endswith(("en", "on")):
        return [w, w + "ne", w + "s", w + "nes"]
    if w.endswith(("ais", "ois", "s", "x")):
        return [w, w + "e", w + "es"]
    return [w, w + "e", w + "s", w + "es"]


def _portuguese(word: str) -> list[str]:
    w = word
    if w.endswith("ão"):
        return [w, w[:-2] + "ã", w[:-2] + "ães", w[:-2] + "ãos", w[:-2] + "ãs"]
    if w.endswith("o"):
        return [w, w[:-1] + "a", w + "s", w[:-1] + "as"]
    if w.endswith("ês"):
        return [w, w[:-2] + "esa", w[:-2] + "eses", w[:-2] + "esas"]
    if w.endswith("l"):
        return [w, w + "a", w[:-1] + "is", w + "as"]
    if w[-1] in "eai":
        return [w, w + "s"]
    return [w, w + "a", w + "es", w + "as"]


def _english(word: str) -> list[str]:
    return [word, word + "s"]


_FORMS = {"en": _english, "es": _spanish, "fr": _french, "pt": _portuguese}


@cache
def demonym_index() -> dict[str, str]:
    """Normalised form -> ISO 3166-1 alpha-3, without the forms that more than one country has."""
    ref = resources.files("tipnet.standard").joinpath("data", "demonyms.yaml")
    doc = parse_yaml(ref.read_text(encoding="utf-8"))["demonyms"]
    seen: dict[str, set[str]] = defaultdict(set)
    for code, languages in doc.items():
        for lang, words in languages.items():
            for word in words:
                for form in _FORMS[lang](str(word)):
                    seen[normalise_token(form)].add(str(code))
    return {form: next(iter(codes)) for form, codes in seen.items() if len(codes) == 1}
