"""The words a person reads for a statistics dimension and its values, in one of the four languages.

Codes never reach a reader: a country is its name (`country_name`), a sex, form or source type its vocabulary label
from the standard, the GLOTIP age and form groups and the markers `_all`, `unknown`, `not_recorded` come from the
`stats` message catalogue. A value with no label anywhere is shown as it is (a year, an age band code).
"""

from __future__ import annotations

from functools import cache

from tipnet.i18n import catalogue, translate
from tipnet.standard import load_standard
from tipnet.standard.countries import country_name
from tipnet.stats.cube import ALL, NOT_RECORDED, UNKNOWN

COUNTRY_DIMS = frozenset({"country", "citizenship", "destination"})
_VOCAB = {"sex": "sex", "form": "exploitation_form", "age_band": "age_band", "source_type": "source_type"}
_CATALOGUED = frozenset({"age_group", "form_group"})


def dimension_label(dim: str, lang: str) -> str:
    """The heading of a dimension ("Sex", "Sexo", "Age group", ...)."""
    return translate(lang, f"stats.dim.{dim}")


@cache
def _vocab_labels(vocab: str, lang: str) -> dict[str, str]:
    return {v.code: v.label(lang) for v in load_standard().vocabularies[vocab].values}


@cache
def vocabulary_order(dim: str) -> tuple[str, ...]:
    """The codes of a dimension in the standard's order (empty when the dimension has no vocabulary)."""
    if dim in _VOCAB:
        return tuple(v.code for v in load_standard().vocabularies[_VOCAB[dim]].values)
    return {"age_group": ("minor", "adult"), "form_group": ("sexual", "labour", "other")}.get(dim, ())


def value_label(dim: str, code: str, lang: str) -> str:
    """What a reader sees for one value of a dimension."""
    if code == ALL:
        return translate(lang, "stats.value.all")
    if code in (UNKNOWN, NOT_RECORDED):
        return translate(lang, f"stats.value.{code}")
    if dim in COUNTRY_DIMS:
        return country_name(code, lang)
    if dim in _VOCAB:
        return _vocab_labels(_VOCAB[dim], lang).get(code, code)
    if dim in _CATALOGUED:
        key = f"stats.value.{dim}.{code}"
        return translate(lang, key) if key in catalogue("en") else code
    return code


def sort_key(dim: str, code: str, lang: str) -> tuple[int, int, str]:
    """Order of values in a table: years and vocabularies in their order, countries by name; unknown, not
    recorded and the total last."""
    if code == ALL:
        return (3, 0, "")
    if code in (UNKNOWN, NOT_RECORDED):
        return (2, 0, code)
    order = vocabulary_order(dim)
    if code in order:
        return (0, order.index(code), "")
    if code.isdigit():
        return (0, int(code), "")
    return (1, 0, value_label(dim, code, lang).casefold())
