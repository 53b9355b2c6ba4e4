"""Country side of the hub's answer: recompute this country's pseudonyms and map the hub's cluster ids back to
record ids. Only the country holding the pseudonym key can do this, and only for its own records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tipnet.link.keys import PseudonymKey


def resolve(hub_rows: Iterable[Mapping[str, Any]], record_ids: Sequence[str], key: PseudonymKey,
            country: str) -> list[dict[str, Any]]:
    """Rows of ``hub_rows`` for ``country`` whose pseudonym is one of this country's records, with ``record_id``."""
    by_pseudonym = {key.pseudonym(r): r for r in record_ids}
    out = []
    for row in hub_rows:
        if str(row.get("country", "")).upper() != country.upper():
            continue
        rid = by_pseudonym.get(str(row["pseudonym"]))
        if rid is not None:
            out.append({"record_id": rid} | {k: v for k, v in row.items() if k != "pseudonym"})
    return out
