"""Assessments end to end: figures from the statistics, live scorecards, submission (figures frozen from the
country's own data), publication (disclosure-controlled figures only), hemisphere scorecards and trends.

Disclosure control for the published version follows the public release path (`tipnet.disclosure.audit.Protection`,
threshold 5): a microdata count of 1..4 becomes the interval 1..4, exactly as GLOTIP publishes `<5`, and everything
derived from it (rates, shares, scores) is computed from that interval.
"""

from __future__ import annotations

from typing import Any

from tipnet.assess import repo
from tipnet.assess.framework import Framework
from tipnet.assess.scoring import Scorecard, check_answers, score
from tipnet.assess.statistics import Figure, FigureBook
from tipnet.auth.principal import Principal
from tipnet.store import Database


def threshold() -> int:
    from tipnet.disclosure.audit import Protection

    return Protection().threshold


def figures_to_json(figures: dict[str, Figure]) -> dict[str, Any]:
    return {k: [v.lo, v.hi, v.source] for k, v in sorted(figures.items())}


def figures_from_json(data: dict[str, Any] | None) -> dict[str, Figure]:
    return {k: Figure(float(v[0]), float(v[1]), v[2]) for k, v in (data or {}).items()}


def controlled(figures: dict[str, Figure], limit: int | None = None) -> dict[str, Figure]:
    """Figures fit for publication: microdata counts under the threshold become 1..threshold-1."""
    t = limit or threshold()
    out = {}
    for k, f in figures.items():
        if f.source == "microdata" and f.exact and 1 <= f.lo <= t - 1:
            out[k] = Figure(1, t - 1, "microdata")
        else:
            out[k] = f
    return out


def answers_of(assessment: dict[str, Any] | None) -> dict[str, Any]:
    return dict((assessment or {}).get("current", {}).get("answers") or {}) if assessment else {}


def answer_values(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in answers.items()}


def live(db: Database, principal: Principal, source: Any, fw: Framework, country: str, year: int,
         book: FigureBook | None = None) -> dict[str, Any]:
    """The questionnaire as the principal sees it now: answers, figures from its statistics, the scorecard."""
    assessment = repo.get(db, principal, fw.id, country, year)
    answers = answers_of(assessment)
    frozen = (assessment or {}).get("current", {}).get("figures") if assessment else None
    figures = figures_from_json(frozen) if frozen else (book or FigureBook.from_source(source)).get(country, year)
    card = score(fw, answer_values(answers), figures)
    return {"assessment": assessment, "answers": answers, "figures": figures, "scorecard": card,
            "figures_frozen": bool(frozen)}


def save_answers(db: Database, principal: Principal, fw: Framework, country: str, year: int,
                 answers: dict[str, Any], action: str = "save") -> dict[str, Any]:
    """Validate answers ({id: value} or {id: {value, evidence, note}}) and store them as a draft version."""
    values = check_answers(fw, answer_values(answers))
    clean: dict[str, Any] = {}
    for key, raw in answers.items():
        entry = dict(raw) if isinstance(raw, dict) else {}
        entry["value"] = values[key]
        evidence = entry.get("evidence") or []
        if isinstance(evidence, str):
            evidence = [e.strip() for e in evidence.replace(";", "\n").splitlines() if e.strip()]
        entry["evidence"] = [str(e) for e in evidence]
        entry = {k: v for k, v in entry.items() if v not in (None, "", [])}
        clean[key] = entry if entry.get("value") is not None else None
    return repo.save(db, principal, fw.id, fw.version, country, year, clean, action=action)


def submit(db: Database, principal: Principal, source: Any, fw: Framework, country: str, year: int,
           comment: str | None = None) -> dict[str, Any]:
    """Submit the draft, freezing the country's figures for that year as they stand in its own data."""
    figures = FigureBook.from_source(source).get(country, year)
    return repo.transition(db, principal, fw.id, country, year, "submit", comment, figures=figures_to_json(figures))


def publish(db: Database, principal: Principal, fw: Framework, country: str, year: int,
            comment: str | None = None) -> dict[str, Any]:
    """Publish the reviewed assessment: its scorecard is computed from disclosure-controlled figures only."""
    current = repo.get(db, principal, fw.id, country, year)
    if current is None:
        from tipnet.errors import NotVisible

        raise NotVisible("no such assessment")
    figures = controlled(figures_from_json(current["current"]["figures"]))
    card = score(fw, answer_values(current["current"]["answers"]), figures)
    return repo.transition(db, principal, fw.id, country, year, "publish", comment, scorecard=card.to_dict())


def step(db: Database, principal: Principal, source: Any, fw: Framework, country: str, year: int, action: str,
         comment: str | None = None) -> dict[str, Any]:
    if action == "submit":
        return submit(db, principal, source, fw, country, year, comment)
    if action == "publish":
        return publish(db, principal, fw, country, year, comment)
    return repo.transition(db, principal, fw.id, country, year, action, comment)


# --- comparisons and scorecards ------------------------------------------------------------------------------------


def _mid(pair: list[float] | tuple[float, float]) -> float:
    return (float(pair[0]) + float(pair[1])) / 2


def compare(fw: Framework, current: Scorecard | dict[str, Any], earlier: Scorecard | dict[str, Any] | None
            ) -> list[dict[str, Any]]:
    """Indicator by indicator: the score now, the score in the earlier scorecard, and the change (midpoints)."""
    cur = current.to_dict() if isinstance(current, Scorecard) else current
    old = earlier.to_dict() if isinstance(earlier, Scorecard) else earlier
    out = []
    for ind in fw.indicators():
        now = cur["indicators"][ind.id]["score"]
        before = old["indicators"].get(ind.id, {}).get("score") if old else None
        out.append({"id": ind.id, "score": now, "earlier": before,
                    "change": None if before is None else round(_mid(now) - _mid(before), 6)})
    return out


def trend(db: Database, fw: Framework, country: str) -> list[dict[str, Any]]:
    """Published totals and domain scores of a country, year by year."""
    return [{"year": p["year"], "total": p["scorecard"]["total"], "rating": p["scorecard"]["rating"],
             "domains": p["scorecard"]["domains"], "version": p["version"]}
            for p in repo.published(db, fw.id, country)]


def hemisphere(db: Database, fw: Framework, year: int | None = None) -> dict[str, Any]:
    """Published scorecards of every country (one year, or each country's latest), comparable side by side, with the
    hemisphere's mean per domain and each country's change since its previous published year."""
    by_country: dict[str, list[dict[str, Any]]] = {}
    for p in repo.published(db, fw.id):
        by_country.setdefault(p["country"], []).append(p)
    rows = []
    for country, items in sorted(by_country.items()):
        items.sort(key=lambda p: p["year"])
        chosen = [p for p in items if year is None or p["year"] == year]
        if not chosen:
            continue
        p = chosen[-1]
        earlier = [q for q in items if q["year"] < p["year"]]
        prev = earlier[-1]["scorecard"]["total"] if earlier else None
        rows.append({"country": country, "year": p["year"], "total": p["scorecard"]["total"],
                     "rating": p["scorecard"]["rating"], "domains": p["scorecard"]["domains"],
                     "previous_year": earlier[-1]["year"] if earlier else None,
                     "change": None if prev is None else round(_mid(p["scorecard"]["total"]) - _mid(prev), 6),
                     "years": [q["year"] for q in items]})
    mean_year = year if year is not None else _most_published_year(rows)
    same = [r for r in rows if r["year"] == mean_year]
    means = {}
    for d in fw.domains:
        vals = [_mid(r["domains"][d.id]) for r in same if d.id in r["domains"]]
        means[d.id] = round(sum(vals) / len(vals), 6) if vals else None
    return {"framework": fw.key, "year": year, "countries": rows, "domain_means": means, "mean_year": mean_year,
            "mean_countries": len(same)}


def _most_published_year(rows: list[dict[str, Any]]) -> int | None:
    """The year the hemisphere mean compares when each country shows its latest year: the year most countries'
    latest scorecard is of (the newest such year on a tie). Averaging different years would compare unlike things."""
    counts: dict[int, int] = {}
    for r in rows:
        counts[r["year"]] = counts.get(r["year"], 0) + 1
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


def recompute(db: Database, principal: Principal, source: Any, fw: Framework, year: int,
              countries: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """Scorecards of `year` for several countries recomputed now from the store: computed indicators from the
    statistics in the principal's view (microdata, else GLOTIP), answers from each country's newest version it may
    see (none: questionnaire indicators score 0)."""
    book = FigureBook.from_source(source, tuple(countries))
    rows = []
    for country in countries:
        assessment = repo.get(db, principal, fw.id, country, year)
        figures = book.get(country, year)
        card = score(fw, answer_values(answers_of(assessment)), figures)
        rows.append({"country": country, "year": year, "status": assessment["status"] if assessment else None,
                     "scorecard": card,
                     # nothing to score: no answers and no statistics of that year (a population is not data)
                     "has_data": assessment is not None or any(k != "population" for k in figures)})
    return rows
