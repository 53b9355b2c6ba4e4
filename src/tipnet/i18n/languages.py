"""The four languages of tipnet's UI, vocabularies and documents: the one list every part uses."""

from __future__ import annotations

LANGUAGES = ("en", "es", "fr", "pt")
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}
