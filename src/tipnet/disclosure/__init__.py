"""Disclosure control: threshold rule with secondary suppression and an LP audit, differential privacy through
OpenDP with a persisted budget ledger, k-anonymous microdata extracts, and immutable release packages.

`Releases(db, source, home, actor)` in `tipnet.disclosure.release` is the entry point; names below load lazily so that
importing `tipnet.disclosure` does not import OpenDP or SciPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Releases": "tipnet.disclosure.release",
    "ReleaseError": "tipnet.disclosure.release",
    "ReleaseSpec": "tipnet.disclosure.spec",
    "TableSpec": "tipnet.disclosure.cells",
    "DPParams": "tipnet.disclosure.dp",
    "KAnonParams": "tipnet.disclosure.kanon",
    "Protection": "tipnet.disclosure.audit",
    "BudgetExceeded": "tipnet.disclosure.ledger",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tipnet.disclosure' has no attribute {name!r}")
