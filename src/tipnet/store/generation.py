"""How many commits this process has made to a store: through SQLAlchemy engines (an event on each engine) and
through bulk loads (after their commit).

Caches of what the store holds (resolved sessions, statistics) compare it to see at once a change made in this
process; a change made by another process (another web worker, a command-line import) they see when their short
time-to-live runs out.
"""

from __future__ import annotations

import itertools
from typing import Any

_commits = itertools.count(1)
_current = 0


def bump(*_: Any) -> None:
    """Count one commit (also the signature of SQLAlchemy's engine "commit" event)."""
    global _current
    _current = next(_commits)  # itertools.count is atomic under the GIL: no two commits share a number


def current() -> int:
    return _current
