"""Statistics sources per scope: each principal's statistics read only the rows its scope allows."""

from __future__ import annotations

import threading

from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden
from tipnet.stats.source import StatsSource
from tipnet.store import Database


class SourceCache:
    """One statistics source per scope (a country, the hub): each loads only the rows its scope allows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sources: dict[str, StatsSource] = {}
        self._lock = threading.Lock()

    def for_principal(self, principal: Principal) -> StatsSource:
        if not principal.can(Permission.STATS_READ):
            raise Forbidden("your role does not allow statistics")
        scope = Scope.of(principal)
        with self._lock:
            src = self._sources.get(scope.key)
            if src is None:
                rows = scope.rows()
                src = self._sources[rows.key] = StatsSource(self.db, rows)
            return src
