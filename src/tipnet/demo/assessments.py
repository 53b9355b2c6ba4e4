"""Fictitious self-assessments for the demo: a few countries, two years, at different steps of the workflow.

Answers are drawn deterministically from a per-country level of progress (a little higher the second year), with
fictitious evidence links (example.org); computed indicators come from the demo store itself (microdata where the demo
has them, else the real GLOTIP figures). The published ones go through the same steps as in real use.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tipnet.store import Database

# country -> (level of progress in the first year, workflow steps done in the second year)
COUNTRIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "ARG": (0.7, ("submit", "review", "publish")),
    "COL": (0.55, ("submit", "review", "publish")),
    "PER": (0.45, ("submit",)),
    "MEX": (0.35, ()),
}
YEARS = (2020, 2021)


def _draw(country: str, year: int, question: str) -> float:
    digest = hashlib.sha256(f"{country}:{year}:{question}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def answers_for(fw: Any, country: str, year: int, level: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in fw.questions():
        x = _draw(country, year, q.id)
        codes = q.scale.codes
        if "partial" in codes:
            value = "yes" if x < level else "partial" if x < level + 0.2 else "no"
        else:  # an ordinal scale: the level picks the step
            value = codes[min(len(codes) - 1, int(level * len(codes) + x * 1.5))]
        out[q.id] = {"value": value}
        if value != "no":
            out[q.id]["evidence"] = [f"https://example.org/{country.lower()}/{q.id.replace('.', '-')}"]
    return out


def seed_assessments(db: Database) -> dict[str, Any]:
    """Add the demo's self-assessments (once: countries and years already assessed are left alone)."""
    from tipnet.assess import framework, repo, service
    from tipnet.auth.principal import system
    from tipnet.stats import StatsSource

    fw = framework.get()
    me = system("demo")
    source = StatsSource(db)
    done = 0
    for country, (level, second_year_steps) in COUNTRIES.items():
        for n, year in enumerate(YEARS):
            if repo.get(db, me, fw.id, country, year) is not None:
                continue
            service.save_answers(db, me, fw, country, year, answers_for(fw, country, year, level + 0.1 * n),
                                 action="import")
            # the first year is published wherever the country went on to a second; the second stops where it stops
            steps = second_year_steps if n == 1 else ("submit", "review", "publish") if second_year_steps else ()
            for action in steps:
                service.step(db, me, source, fw, country, year, action,
                             "demo" if action in ("review", "publish") else None)
            done += 1
    return {"assessments": done, "published": len(repo.published(db, fw.id))}
