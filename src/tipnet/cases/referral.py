"""Service providers a case can be referred to: the victim-assistance authorities of the case's country from the
cooperation directory (`tipnet.coop.directory`). A referral stores the provider's name and, when chosen from the
directory, its id; a provider that is not in the directory is written by name."""

from __future__ import annotations

import logging
from typing import Any

from tipnet.store import Database

log = logging.getLogger(__name__)
COMPETENCE = "victim_assistance"


def directory_available() -> bool:
    try:
        from tipnet.coop.directory import find_authorities  # noqa: F401
    except ImportError:  # the directory is an optional part of the platform
        return False
    return True


def providers(db: Database, country: str) -> list[dict[str, Any]]:
    """[{id, name}] for the country (public directory fields only); empty when the directory is not available."""
    if not directory_available():
        return []
    from tipnet.coop.directory import find_authorities

    try:
        found = find_authorities(db, country, COMPETENCE)
    except Exception:  # a directory without its tables (not migrated) must not stop case entry
        log.exception("the authority directory could not be read; referral by name only")
        return []
    return [{"id": str(a["id"]), "name": str(a.get("name") or a["id"])} for a in found]


def provider_name(db: Database, country: str, authority_id: str) -> str | None:
    """The directory's name for an authority of this country (None when it is not one of the country's providers)."""
    for p in providers(db, country):
        if p["id"] == authority_id:
            return str(p["name"])
    return None


def unknown_authority(db: Database, country: str, authority_id: str | None) -> bool:
    """True when an authority id is given, the directory is there, and the id is none of the country's providers."""
    if not authority_id or not directory_available():
        return False
    return all(p["id"] != authority_id for p in providers(db, country))
