"""The demo's first public release: the hub publishes victims by country and year, sex, age group and form of
exploitation, through the same audited functions as `tipnet release create` and `publish`, so the public
statistics portal has figures after `tipnet demo`. Published once: a second `tipnet demo` finds it and adds none.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tipnet.auth.principal import system
from tipnet.auth.publishers import HUB_PUBLISHER, PublisherSources
from tipnet.disclosure import repo
from tipnet.disclosure.cells import TableSpec
from tipnet.disclosure.release import Releases
from tipnet.disclosure.spec import ReleaseSpec
from tipnet.store import Database

log = logging.getLogger(__name__)

DATASET = "victims"
TITLE = "Detected victims of trafficking in persons in the Americas (demo)"
TITLES = {
    "es": "Víctimas detectadas de trata de personas en las Américas (demostración)",
    "fr": "Victimes détectées de la traite des personnes dans les Amériques (démonstration)",
    "pt": "Vítimas detectadas de tráfico de pessoas nas Américas (demonstração)",
}
TABLES = ("country,year", "country,sex", "country,age_group", "country,form_group")


def demo_spec() -> ReleaseSpec:
    return ReleaseSpec(TITLE, "threshold", tuple(TableSpec.parse(t) for t in TABLES), dataset=DATASET,
                       publisher=HUB_PUBLISHER, titles=tuple(TITLES.items()))


def publish_demo_release(db: Database, home: Path) -> dict[str, Any]:
    """Create, audit and publish the hub's first release unless one is published already; return what it is."""
    for r in repo.list_releases(db, status=repo.PUBLISHED, method="threshold"):
        if r["title"] == TITLE:
            return {"release": r["id"], "created": False}
    releases = Releases(db, PublisherSources(db), home, system("demo"))
    rel = releases.publish(releases.create(demo_spec())["id"])
    summary = rel.get("summary") or {}
    log.info("demo release %d published: %s cells, %s suppressed", rel["id"], summary.get("cells"),
             summary.get("suppressed"))
    return {"release": rel["id"], "created": True, "cells": summary.get("cells"),
            "suppressed": summary.get("suppressed")}
