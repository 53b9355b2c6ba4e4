"""An agency's saved import profiles, kept per country under the home folder: `<home>/profiles/<COUNTRY>/<name>.yaml`.

A country's uploaders save, list and use their own country's profiles only (the operator any country's); a name is
a plain slug, never a path, so nothing is written or read outside that country's folder. Saving is audited
('profile.save').
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.ingest.profiles import builtin_profiles
from tipnet.store import Database

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")


def check_name(name: str) -> str:
    """The name as given when it is a slug (lower-case letters, digits, '-'); Invalid otherwise."""
    if not NAME.match(name or ""):
        raise Invalid("a profile name is 2 to 63 lower-case letters, digits or '-' (such as policia-nacional)",
                      {"field": "name", "value": name})
    if name in builtin_profiles() or name == "glotip":
        raise Invalid(f"{name!r} is the name of a built-in profile", {"field": "name", "value": name})
    return name


def _folder(principal: Principal, home: Path, country: str | None) -> Path:
    """The country's profile folder, when the principal may use that country's profiles."""
    if not principal.can(Permission.UPLOAD):
        raise Forbidden("your role cannot upload files")
    if not country or not _COUNTRY.match(country) or not Scope.of(principal).owns(country):
        raise NotVisible("no saved profiles for that country")
    return home.resolve() / "profiles" / country


def saved_profiles(principal: Principal, home: Path, country: str | None) -> list[dict[str, str]]:
    """The country's saved profiles (name and title), by name; empty when the principal has no such country."""
    try:
        folder = _folder(principal, home, country)
    except (Forbidden, NotVisible):
        return []
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.append({"name": path.stem, "title": str(doc.get("title") or path.stem)})
    return out


def profile_path(principal: Principal, home: Path, country: str | None, name: str) -> Path:
    """The file of one of the country's saved profiles; NotVisible when there is none."""
    path = _folder(principal, home, country) / f"{check_name(name)}.yaml"
    if not path.is_file():
        raise NotVisible(f"no saved profile named {name!r}")
    return path


def save_profile(db: Database, principal: Principal, home: Path, country: str | None,
                 doc: dict[str, Any]) -> Path:
    """Write the profile document as the country's profile `doc['name']` (replacing one of that name); audited."""
    name = check_name(str(doc.get("name") or ""))
    folder = _folder(principal, home, country)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    replaced = path.is_file()
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    audit.record(db, principal, "profile.save", object_type="profile", object_id=name, subject_country=country,
                 details={"columns": len(doc.get("columns") or {}), "replaced": replaced})
    return path


def load_doc(principal: Principal, home: Path, country: str | None, name: str) -> dict[str, Any]:
    """The document of one of the country's saved profiles (NotVisible when there is none)."""
    doc = yaml.safe_load(profile_path(principal, home, country, name).read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise NotVisible(f"no saved profile named {name!r}")
    return doc
