"""Name, date and sex normalisation for linkage in the Americas.

Names are folded (lower case, accents stripped, punctuation removed), particles ("de la", "dos", "van") are set
aside, glued particles are split ("Delacruz" -> "cruz", but "Delgado" stays), hyphenated compounds are split into
their parts, and short forms map to the given name they stand for (``data/names.yaml``). A person's name tokens are
also kept as a set, so a record that swapped given and family names still shares every token with the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).parent / "data" / "names.yaml"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['’`´]")


@dataclass(frozen=True)
class NameKnowledge:
    particles: frozenset[str]
    particle_prefixes: tuple[str, ...]
    particle_surnames: frozenset[str]
    nicknames: dict[str, tuple[str, ...]]


@cache
def knowledge() -> NameKnowledge:
    raw: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    nick = {fold(k): tuple(fold(v).split()) for k, v in raw["nicknames"].items()}
    prefixes = tuple(sorted((fold(p) for p in raw["particle_prefixes"]), key=len, reverse=True))
    return NameKnowledge(
        frozenset(fold(p) for p in raw["particles"]),
        prefixes,
        frozenset(fold(s) for s in raw["particle_surnames"]),
        nick,
    )


@lru_cache(maxsize=1 << 18)  # names repeat: folding each distinct value once makes encoding large files fast
def fold(text: str | None) -> str:
    """Lower case, accents stripped, apostrophes dropped, anything else not a letter or digit -> one space."""
    if not text:
        return ""
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks
        plain = text.casefold()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = _APOSTROPHES.sub("", plain.replace("ß", "ss"))
    return _NON_ALNUM.sub(" ", plain).strip()


def _split_glued(token: str, kb: NameKnowledge) -> str:
    for prefix in kb.particle_prefixes:
        if token.startswith(prefix) and token[len(prefix):] in kb.particle_surnames:
            return token[len(prefix):]
    return token


@lru_cache(maxsize=1 << 18)
def family_tokens(text: str | None) -> tuple[str, ...]:
    """Family-name tokens without particles, glued particles split off, compounds split, in written order."""
    kb = knowledge()
    words = fold(text).split()
    kept = [_split_glued(w, kb) for w in words if w not in kb.particles]
    if not kept:  # a name made only of particles ("De La") is kept as written
        kept = words
    return tuple(kept)


@lru_cache(maxsize=1 << 18)
def given_tokens(text: str | None, resolve_nicknames: bool = True) -> tuple[str, ...]:
    """Given-name tokens; a short form is replaced by the name(s) it stands for."""
    kb = knowledge()
    out: list[str] = []
    for word in fold(text).split():
        if word in kb.particles and out:  # "María de los Ángeles"
            continue
        if resolve_nicknames and word in kb.nicknames:
            out.extend(t for t in kb.nicknames[word] if t not in out)
        elif word not in out:
            out.append(word)
    return tuple(out)


@dataclass(frozen=True)
class NameParts:
    given: tuple[str, ...]
    family: tuple[str, ...]

    @property
    def given1(self) -> str:
        return self.given[0] if self.given else ""

    @property
    def surname1(self) -> str:
        return self.family[0] if self.family else ""

    @property
    def surname2(self) -> str:
        return self.family[1] if len(self.family) > 1 else ""

    @property
    def tokens(self) -> frozenset[str]:
        """Every name token, given and family: unchanged when a record swaps the two fields or the surnames.
        A short form written in the family field (fields swapped) adds the name it stands for."""
        nick = knowledge().nicknames
        extra = {t for f in self.family if f in nick for t in nick[f]}
        return frozenset(self.given) | frozenset(self.family) | extra

    @property
    def family_key(self) -> str:
        return " ".join(sorted(self.family))

    @property
    def token_key(self) -> str:
        return " ".join(sorted(self.tokens))


@lru_cache(maxsize=1 << 18)
def parse_name(given: str | None, family: str | None) -> NameParts:
    return NameParts(given_tokens(given), family_tokens(family))


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),
)


def parse_date(text: str | None) -> date | None:
    """ISO dates, compact YYYYMMDD (FEBRL) and day-first D/M/YYYY; anything else (or impossible) -> None."""
    if not text:
        return None
    text = text.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
    return None


_SEX = {"f": "f", "female": "f", "femenino": "f", "feminino": "f", "mujer": "f", "femme": "f", "w": "f",
        "m": "m", "male": "m", "masculino": "m", "hombre": "m", "homme": "m", "h": "m"}


def normalise_sex(text: str | None) -> str:
    """'f', 'm' or '' (unknown, other, missing)."""
    return _SEX.get(fold(text), "")


def normalise_place(text: str | None) -> str:
    """The town part of "Town, Subdivision", folded ("San Miguel de Tucumán, Tucumán" -> "san miguel de tucuman")."""
    if not text:
        return ""
    return fold(text.split(",")[0])


_PHONETIC = (("ch", "x"), ("ll", "y"), ("qu", "k"), ("gu", "g"), ("ph", "f"), ("sh", "x"), ("ss", "s"),
             ("ce", "se"), ("ci", "si"), ("ge", "je"), ("gi", "ji"), ("z", "s"), ("v", "b"), ("w", "b"),
             ("c", "k"), ("h", ""), ("j", "x"), ("y", "i"))


@lru_cache(maxsize=1 << 18)
def phonetic(token: str) -> str:
    """A coarse Spanish/Portuguese-aware sound key for blocking: the first letter, then the consonant skeleton."""
    if not token:
        return ""
    s = token
    for a, b in _PHONETIC:
        s = s.replace(a, b)
    if not s:
        return token[:1]
    skeleton = [s[0]] + [ch for ch in s[1:] if ch not in "aeiou"]
    out = [skeleton[0]]
    for ch in skeleton[1:]:
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)[:5]
