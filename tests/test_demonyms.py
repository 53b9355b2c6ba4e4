"""Citizenship written as a nationality word, as real files write it. The words below are copied from the
citizenship categories of the 2023 GLOTIP workbook (shared data) and the 2025 excerpt, with the country each names
written out by hand."""

from __future__ import annotations

import pytest

from tipnet.standard.countries import _name_index, resolve_country
from tipnet.standard.demonyms import demonym_index

SEEN_IN_GLOTIP = {
    "Pakistani": "PAK", "Keniano": "KEN", "Belga": "BEL", "Alemana": "DEU", "Bosnian": "BIH", "Gambian": "GMB",
    "Georgian": "GEO", "Macedonian": "MKD", "Moldovan": "MDA", "Sierra Leonean": "SLE", "Cameroonian": "CMR",
    "Ugandan": "UGA", "Byelorussian": "BLR", "Belarussian": "BLR", "Kirghiz": "KGZ", "Madagascarian": "MDG",
}
FORMS = {
    "venezolanas": "VEN", "Nicaragüenses": "NIC", "hondureña": "HND", "salvadoreños": "SLV", "haïtienne": "HTI",
    "brasileiras": "BRA", "alemã": "DEU", "Estadounidense": "USA", "dominicana": "DOM", "paraguaias": "PRY",
    "canadiennes": "CAN", "peruanas": "PER", "guatemaltecos": "GTM", "francesa": "FRA", "ucranianas": "UKR",
}


@pytest.mark.parametrize("word, code", sorted({**SEEN_IN_GLOTIP, **FORMS}.items()))
def test_a_nationality_word_names_its_country(word, code):
    assert resolve_country(word).code == code


@pytest.mark.parametrize("word", ["Dominican", "Congolese", "Guinean", "Korean", "indio", "americano"])
def test_a_word_of_more_than_one_country_names_none(word):
    assert resolve_country(word).kind == "unknown"  # left for a person to read, never guessed


def test_no_nationality_word_is_another_countrys_name():
    names = _name_index()
    clashes = {form: (code, names[form]) for form, code in demonym_index().items()
               if form in names and names[form] != code}
    assert clashes == {}
