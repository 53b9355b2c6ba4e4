"""A directory entry from a flat web form (or JSON body): lists come as repeated fields or space/comma-separated
text, the legal profile as `profile_*` fields; `required_fields` / `required_attachments` as lines
"measure: code code". Only the fields present are returned, so an update changes what was sent and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tipnet.coop.directory_model import FIELDS

LISTS = ("competences", "specialisations", "working_languages")
PROFILE_LISTS = ("accepts", "channels", "request_languages", "offences")
PROFILE_PER_MEASURE = ("required_fields", "required_attachments")


def _split(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p for p in v.replace(",", " ").split() if p)
    return out


def _per_measure(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        measure, _, names = line.partition(":")
        out[measure.strip()] = _split([names])
    return out


def entry_from_form(get: Callable[[str], list[str]], keys: set[str]) -> dict[str, Any]:
    """`get(name)` returns the submitted values of a field (empty when absent); `keys` the names submitted."""
    entry: dict[str, Any] = {}
    for name in FIELDS:
        if name == "legal_profile":
            continue
        if name in LISTS:
            if name in keys:
                entry[name] = _split(get(name))
        elif name == "ops_24_7":
            if name in keys or "ops_24_7_present" in keys:
                entry[name] = (get(name) or [""])[-1] in ("1", "true", "on", "yes")
        elif name in keys:
            entry[name] = (get(name) or [""])[-1]
    if "last_verified" in keys:
        entry["last_verified"] = (get("last_verified") or [""])[-1]
    if any(k.startswith("profile_") for k in keys):
        profile: dict[str, Any] = {}
        for name in PROFILE_LISTS:
            if f"profile_{name}" in keys or f"profile_{name}_present" in keys:
                profile[name] = _split(get(f"profile_{name}"))
        for name in PROFILE_PER_MEASURE:
            if f"profile_{name}" in keys:
                profile[name] = _per_measure((get(f"profile_{name}") or [""])[-1])
        if "profile_legal_basis" in keys:
            profile["legal_basis"] = [ln.strip() for ln in (get("profile_legal_basis") or [""])[-1].splitlines()
                                      if ln.strip()]
        if "profile_dual_criminality" in keys:
            profile["dual_criminality"] = (get("profile_dual_criminality") or [""])[-1]
        if "profile_translation_required" in keys or "profile_translation_required_present" in keys:
            profile["translation_required"] = (get("profile_translation_required") or [""])[-1] in (
                "1", "true", "on", "yes")
        if "profile_notes" in keys:
            profile["notes"] = (get("profile_notes") or [""])[-1]
        entry["legal_profile"] = profile
    return entry


def merge_profile(current: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any]:
    """An update's legal profile: the submitted keys over the current profile."""
    if "legal_profile" in submitted:
        submitted = {**submitted, "legal_profile": {**current.get("legal_profile", {}), **submitted["legal_profile"]}}
    return submitted


def per_measure_text(mapping: dict[str, list[str]]) -> str:
    return "\n".join(f"{m}: {' '.join(v)}" for m, v in mapping.items())
