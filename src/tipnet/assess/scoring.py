"""Scoring a framework: answers and figures -> indicator points -> milestones -> domains (caps) -> total -> rating.

Every score is a pair (lo, hi): a figure known only as an interval (GLOTIP `<5`, or a published figure under the
disclosure threshold) gives the points of its lower and of its upper end; the whole aggregation is run once with the
low ends and once with the high ends. Exact inputs give lo == hi.

Indicator score: points / the scale's full points (0..1). Milestone (mean): weighted mean of its indicators' scores;
(sum, GSI-style): the sum of the indicators' points over `max_points`, clamped to 0..1, so a negative answer (e.g.
victims detained) takes points away. Domain: weighted mean of its milestones, then each cap whose condition holds
lowers it to the cap. Total: weighted mean of the domains, then the framework's caps. Rating: the first rating (from
the highest down) whose minimum the total reaches and whose required conditions all hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tipnet.assess.framework import Cap, Condition, Framework, Indicator
from tipnet.assess.statistics import STATISTICS, Figure
from tipnet.errors import TipnetError


class AnswerError(TipnetError, ValueError):
    status, code = 422, "invalid-request"

    pass


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    kind: str
    answered: bool
    value: Any  # the answer code or number; a computed indicator's Figure
    points: tuple[float, float]
    score: tuple[float, float]  # 0..1

    def to_dict(self) -> dict[str, Any]:
        v = self.value.to_dict() if isinstance(self.value, Figure) else self.value
        return {"id": self.id, "kind": self.kind, "answered": self.answered, "value": v,
                "points": list(self.points), "score": list(self.score)}


@dataclass
class Scorecard:
    framework: str
    indicators: dict[str, IndicatorResult]
    milestones: dict[str, tuple[float, float]]
    domains: dict[str, tuple[float, float]]
    domains_uncapped: dict[str, tuple[float, float]]
    caps_applied: dict[str, list[str]]  # domain id (or "total") -> cap labels (en) that applied (on either end)
    total: tuple[float, float]
    rating: tuple[str | None, str | None]
    figures: dict[str, Figure] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework, "total": list(self.total), "rating": list(self.rating),
            "domains": {k: list(v) for k, v in self.domains.items()},
            "domains_uncapped": {k: list(v) for k, v in self.domains_uncapped.items()},
            "caps_applied": self.caps_applied,
            "milestones": {k: list(v) for k, v in self.milestones.items()},
            "indicators": {k: v.to_dict() for k, v in self.indicators.items()},
            "figures": {k: v.to_dict() for k, v in self.figures.items()},
        }


def _answer_value(ind: Indicator, raw: Any) -> Any:
    """A questionnaire answer checked against the indicator's scale (None: unanswered)."""
    value = raw.get("value") if isinstance(raw, dict) else raw
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if ind.scale.kind == "choice":
        code = str(value).strip().lower() if not isinstance(value, bool) else ("yes" if value else "no")
        if ind.scale.option(code) is None:
            raise AnswerError(f"{ind.id}: {value!r} is not an answer ({', '.join(ind.scale.codes)})")
        return code
    try:
        x = float(str(value).replace(",", "."))
    except ValueError as exc:
        raise AnswerError(f"{ind.id}: {value!r} is not a number") from exc
    if x < 0:
        raise AnswerError(f"{ind.id}: {value!r} is negative")
    return x


def check_answers(fw: Framework, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers keyed by question id, validated; unknown ids and computed ids are errors."""
    questions = {i.id: i for i in fw.questions()}
    out: dict[str, Any] = {}
    for key, raw in answers.items():
        if key not in questions:
            what = "is computed from the statistics" if key in {i.id for i in fw.computed()} else "is not a question"
            raise AnswerError(f"{key}: {what} of framework {fw.key}")
        out[key] = _answer_value(questions[key], raw)
    return out


def _indicator(fw: Framework, ind: Indicator, answers: dict[str, Any], stats: dict[str, Figure | None]
               ) -> IndicatorResult:
    full = ind.scale.full or 1.0
    if ind.kind == "question":
        value = _answer_value(ind, answers.get(ind.id))
        if value is None:
            return IndicatorResult(ind.id, ind.kind, False, None, (0.0, 0.0), (0.0, 0.0))
        p = ind.scale.points(value)
        return IndicatorResult(ind.id, ind.kind, True, value, (p, p), (p / full, p / full))
    fig = stats.get(ind.statistic or "")
    if fig is None:
        return IndicatorResult(ind.id, ind.kind, False, None, (0.0, 0.0), (0.0, 0.0))
    a, b = ind.scale.points(fig.lo), ind.scale.points(fig.hi)
    lo, hi = min(a, b), max(a, b)
    return IndicatorResult(ind.id, ind.kind, True, fig, (lo, hi), (lo / full, hi / full))


def _mean(pairs: list[tuple[float, float]]) -> float:
    total_w = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total_w if total_w else 0.0


def _holds(c: Condition, end: int, ind: dict[str, IndicatorResult], ms: dict[str, float], dom: dict[str, float]
           ) -> bool:
    if c.target == "indicator":
        return c.holds(ind[c.id].score[end])
    if c.target == "milestone":
        return c.holds(ms[c.id])
    return c.holds(dom[c.id])


def _caps(caps: tuple[Cap, ...], score: float, end: int, ind: dict[str, IndicatorResult], ms: dict[str, float],
          dom: dict[str, float], applied: set[str]) -> float:
    for cap in caps:
        if _holds(cap.when, end, ind, ms, dom) and score > cap.max:
            score = cap.max
            applied.add(cap.labels["en"])
    return score


def _run(fw: Framework, ind: dict[str, IndicatorResult], end: int, applied: dict[str, set[str]]
         ) -> tuple[dict[str, float], dict[str, float], dict[str, float], float, str | None]:
    ms: dict[str, float] = {}
    for d in fw.domains:
        for m in d.milestones:
            results = [(ind[i.id], i) for i in m.indicators]
            if m.aggregate == "sum":
                assert m.max_points is not None
                ms[m.id] = max(0.0, min(1.0, sum(r.points[end] for r, _ in results) / m.max_points))
            else:
                kept = [(r.score[end], i.weight) for r, i in results if r.answered or fw.missing == "zero"]
                ms[m.id] = _mean(kept)
    uncapped = {d.id: _mean([(ms[m.id], m.weight) for m in d.milestones]) for d in fw.domains}
    dom: dict[str, float] = {}
    for d in fw.domains:
        dom[d.id] = _caps(d.caps, uncapped[d.id], end, ind, ms, uncapped, applied.setdefault(d.id, set()))
    total = _mean([(dom[d.id], d.weight) for d in fw.domains])
    total = _caps(fw.caps, total, end, ind, ms, dom, applied.setdefault("total", set()))
    rating = None
    for r in fw.ratings:
        if total >= r.min - 1e-12 and all(_holds(c, end, ind, ms, dom) for c in r.requires):
            rating = r.code
            break
    return ms, uncapped, dom, total, rating


def score(fw: Framework, answers: dict[str, Any], figures: dict[str, Figure] | None = None) -> Scorecard:
    """Score one questionnaire (answers by question id) with the base figures of its country and year."""
    figures = figures or {}
    stats = {name: s.compute(figures) for name, s in STATISTICS.items()}
    ind = {i.id: _indicator(fw, i, answers, stats) for i in fw.indicators()}
    applied: dict[str, set[str]] = {}
    ms_lo, unc_lo, dom_lo, tot_lo, rat_lo = _run(fw, ind, 0, applied)
    ms_hi, unc_hi, dom_hi, tot_hi, rat_hi = _run(fw, ind, 1, applied)
    return Scorecard(
        fw.key, ind,
        {k: (ms_lo[k], ms_hi[k]) for k in ms_lo},
        {k: (dom_lo[k], dom_hi[k]) for k in dom_lo},
        {k: (unc_lo[k], unc_hi[k]) for k in unc_lo},
        {k: sorted(v) for k, v in applied.items() if v},
        (tot_lo, tot_hi), (rat_lo, rat_hi), dict(figures))
