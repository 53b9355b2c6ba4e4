"""The UI catalogues are complete in the four languages, and every key the templates use exists."""

from __future__ import annotations

import datetime as dt
import re
import string
from importlib import resources

import pytest

from tipnet.i18n import LANGUAGES, catalogue, date, domain_files, number, read_catalog, translate

_KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*['"]([A-Za-z0-9_.\-]+)['"]""")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _domains(lang: str) -> dict[str, dict[str, str]]:
    out = {}
    for file in domain_files(lang):
        out[file.name] = {str(m.id): str(m.string or "") for m in read_catalog(file, lang) if m.id}
    return out


def test_every_language_has_the_same_domains_and_keys_all_translated():
    english = _domains("en")
    assert "messages.po" in english
    problems = []
    for lang in LANGUAGES:
        domains = _domains(lang)
        if set(domains) != set(english):
            problems.append(f"{lang}: domains {sorted(set(domains) ^ set(english))} differ from English")
        for name, messages in english.items():
            theirs = domains.get(name, {})
            for key, text in messages.items():
                if not theirs.get(key, "").strip():
                    problems.append(f"{lang}/{name}: {key} has no translation")
                elif _fields(theirs[key]) != _fields(text):
                    problems.append(f"{lang}/{name}: {key} placeholders {_fields(theirs[key])} != {_fields(text)}")
            for key in set(theirs) - set(messages):
                problems.append(f"{lang}/{name}: {key} is not in the English catalogue")
    assert not problems, "\n".join(problems)


def test_no_fuzzy_entries():
    for lang in LANGUAGES:
        for file in domain_files(lang):
            fuzzy = [str(m.id) for m in read_catalog(file, lang) if m.id and m.fuzzy]
            assert not fuzzy, f"{lang}/{file.name}: fuzzy {fuzzy}"


def test_a_key_is_defined_once_across_domains():
    seen: dict[str, str] = {}
    for file in domain_files("en"):
        for m in read_catalog(file, "en"):
            if m.id:
                assert str(m.id) not in seen, f"{m.id} in both {seen.get(str(m.id))} and {file.name}"
                seen[str(m.id)] = file.name


def test_every_key_used_in_a_template_exists():
    templates = resources.files("tipnet.web").joinpath("templates")
    known = set(catalogue("en"))
    missing = []
    for file in templates.iterdir():
        if file.name.endswith(".html"):
            for key in _KEY_IN_TEMPLATE.findall(file.read_text(encoding="utf-8")):
                if key.endswith("."):  # a prefix completed at run time (t('role.' ~ name)): some key must have it
                    if not any(k.startswith(key) for k in known):
                        missing.append(f"{file.name}: {key}*")
                elif key not in known:
                    missing.append(f"{file.name}: {key}")
    assert not missing, "\n".join(missing)


def test_translate_uses_the_language_and_fills_placeholders():
    assert translate("es", "nav.home") != translate("en", "nav.home")
    assert translate("pt", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "1,234,567.5"), ("es", "1.234.567,5"), ("fr", "1\u202f234\u202f567,5"),
                           ("pt", "1.234.567,5")],
)
def test_numbers_are_written_the_way_the_language_writes_them(lang, expected):
    assert number(lang, 1234567.5, 1) == expected


def test_dates_are_written_in_the_language():
    day = dt.date(2026, 3, 9)
    assert date("en", day) == "Mar 9, 2026"
    assert date("es", day) == "9 mar 2026"
    assert "mars" in date("fr", day)
    assert "mar" in date("pt", "2026-03-09")
    assert date("en", "not a date") == "not a date"


def test_every_import_problem_has_a_title_in_each_language():
    """A report on a Spanish, French or Portuguese page names every problem in that language (new codes too)."""
    from tipnet.i18n import translate
    from tipnet.ingest.errors import CATALOGUE

    for lang in ("es", "fr", "pt"):
        missing = [code for code in CATALOGUE if translate(lang, f"ingest.error.{code}") == f"ingest.error.{code}"]
        assert missing == [], (lang, missing)
