"""The versioned case-data standard: fields, vocabularies, crosswalks, generated schemas."""

from tipnet.standard.model import Field, Standard, Vocabulary, load_standard

__all__ = ["Field", "Standard", "Vocabulary", "load_standard"]
