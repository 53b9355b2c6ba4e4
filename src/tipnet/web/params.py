"""Path parameters shared by the page modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# A row id in the store: a 64-bit integer (SQLite's and PostgreSQL's bigint); 0 is simply not found. A negative or
# larger number is refused before it reaches a query (the SQLite driver cannot even bind it).
StoreId = Annotated[int, Path(ge=0, le=2**63 - 1)]
