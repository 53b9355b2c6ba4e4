"""Indicator frameworks as data: domains -> milestones -> indicators, with scales, weights, caps and ratings.

A framework is a YAML file (versioned: `id` + `version`), checked when it is loaded; every error names the file and
the path inside it (`domains[2].milestones[0].indicators[1].scale`). Indicators are either answered in the
questionnaire (`kind: question`) or computed from the statistics (`kind: computed`, naming a statistic of
`tipnet.assess.statistics`). Scales turn an answer or a figure into points; milestones aggregate points (weighted mean,
or GSI-style sum over a maximum), domains aggregate milestones, caps lower a domain (or the total) when a prerequisite
is missing, and ratings name the result (a band, or a TIP-style tier with required conditions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tipnet.errors import TipnetError
from tipnet.i18n.languages import LANGUAGES

LANGS = LANGUAGES
KINDS = ("question", "computed")
SCALE_KINDS = ("choice", "bands", "number")
AGGREGATES = ("mean", "sum")


class FrameworkError(TipnetError, ValueError):
    """A framework file that does not hold together; the message names the file and the path in it."""

    status, code = 422, "invalid-request"

    def __init__(self, file: str, path: str, message: str) -> None:
        super().__init__(f"{file}: {path}: {message}")
        self.file, self.path, self.message = file, path, message


@dataclass(frozen=True)
class Option:
    code: str
    points: float
    labels: dict[str, str]


@dataclass(frozen=True)
class Band:
    min: float  # the figure from which these points apply (bands sorted by min, ascending)
    points: float


@dataclass(frozen=True)
class Scale:
    id: str
    kind: str  # choice (yes/partial/no, ordinal levels) | bands (a figure -> points) | number (points = value/max)
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    max: float | None = None  # number: the value worth full points

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    def points(self, value: Any) -> float:
        """Points for one answer or figure (a figure below the lowest band is worth 0)."""
        if self.kind == "choice":
            opt = self.option(str(value))
            if opt is None:
                raise ValueError(f"{value!r} is not an answer of scale {self.id} ({', '.join(self.codes)})")
            return opt.points
        x = float(value)
        if self.kind == "number":
            assert self.max is not None
            return max(0.0, min(1.0, x / self.max))
        pts = 0.0
        for b in self.bands:
            if x >= b.min:
                pts = b.points
        return pts

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @property
    def full(self) -> float:
        """The most points the scale gives."""
        if self.kind == "choice":
            return max(o.points for o in self.options)
        if self.kind == "number":
            return 1.0
        return max(b.points for b in self.bands)


@dataclass(frozen=True)
class Condition:
    """`indicator` or `milestone` (or `domain`) with `below` (score < x) or `at_least` (score >= x)."""

    target: str  # "indicator" | "milestone" | "domain"
    id: str
    below: float | None = None
    at_least: float | None = None

    def holds(self, score: float) -> bool:
        if self.below is not None:
            return score < self.below
        assert self.at_least is not None
        return score >= self.at_least


@dataclass(frozen=True)
class Cap:
    when: Condition
    max: float  # the capped score (0..1)
    labels: dict[str, str]


@dataclass(frozen=True)
class Indicator:
    id: str
    kind: str
    scale: Scale
    labels: dict[str, str]
    recommendations: tuple[int, ...]
    weight: float = 1.0
    statistic: str | None = None  # computed indicators
    help: dict[str, str] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The data this indicator depends on: its answer, or the statistic's base figures."""
        if self.kind == "question":
            return (f"answer:{self.id}",)
        from tipnet.assess.statistics import STATISTICS

        return tuple(f"figure:{name}" for name in STATISTICS[self.statistic or ""].inputs)


@dataclass(frozen=True)
class Milestone:
    id: str
    labels: dict[str, str]
    indicators: tuple[Indicator, ...]
    weight: float = 1.0
    aggregate: str = "mean"
    max_points: float | None = None  # sum: the points worth a full milestone


@dataclass(frozen=True)
class Domain:
    id: str
    labels: dict[str, str]
    milestones: tuple[Milestone, ...]
    weight: float = 1.0
    caps: tuple[Cap, ...] = ()


@dataclass(frozen=True)
class Rating:
    code: str
    min: float  # overall score from which the rating applies (0..1)
    labels: dict[str, str]
    requires: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    title: dict[str, str]
    source: str
    domains: tuple[Domain, ...]
    ratings: tuple[Rating, ...] = ()
    caps: tuple[Cap, ...] = ()  # on the overall score
    recommendations: dict[int, dict[str, str]] = field(default_factory=dict)
    missing: str = "zero"  # an unanswered indicator: "zero" points, or "skip" (left out of its milestone)
    file: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def indicators(self) -> list[Indicator]:
        return [i for d in self.domains for m in d.milestones for i in m.indicators]

    def indicator(self, ind_id: str) -> Indicator:
        for i in self.indicators():
            if i.id == ind_id:
                return i
        raise KeyError(ind_id)

    def questions(self) -> list[Indicator]:
        return [i for i in self.indicators() if i.kind == "question"]

    def computed(self) -> list[Indicator]:
        return [i for i in self.indicators() if i.kind == "computed"]

    def dependents(self, datum: str) -> set[str]:
        """Indicators whose value changes when `datum` ("answer:<id>" or "figure:<name>") changes."""
        return {i.id for i in self.indicators() if datum in i.inputs}

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        def lab(labels: dict[str, str]) -> str:
            return labels.get(lang) or labels.get("en", "")

        return {
            "id": self.id, "version": self.version, "title": lab(self.title), "source": self.source,
            "domains": [{"id": d.id, "label": lab(d.labels), "weight": d.weight, "milestones": [
                {"id": m.id, "label": lab(m.labels), "weight": m.weight, "aggregate": m.aggregate, "indicators": [
                    {"id": i.id, "kind": i.kind, "label": lab(i.labels), "help": lab(i.help), "weight": i.weight,
                     "scale": i.scale.id, "scale_kind": i.scale.kind, "statistic": i.statistic,
                     "recommendations": list(i.recommendations),
                     "options": [{"code": o.code, "label": lab(o.labels), "points": o.points}
                                 for o in i.scale.options]}
                    for i in m.indicators]} for m in d.milestones]} for d in self.domains],
            "ratings": [{"code": r.code, "min": r.min, "label": lab(r.labels)} for r in self.ratings],
            "recommendations": {str(k): lab(v) for k, v in sorted(self.recommendations.items())},
        }


# --- loading ----------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> FrameworkError:
        return FrameworkError(self.file, path, message)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, found {type(value).__name__}")
        return value

    def items(self, value: Any, path: str, allow_empty: bool = False) -> list[Any]:
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(path, "expected a non-empty list")
        return value

    def text(self, d: dict[str, Any], key: str, path: str) -> str:
        v = d.get(key)
        if not isinstance(v, str | int | float) or isinstance(v, bool) or str(v).strip() == "":
            raise self.fail(f"{path}.{key}", f"required text, found {v!r}")
        return str(v)

    def number(self, d: dict[str, Any], key: str, path: str, default: float | None = None,
               minimum: float | None = None) -> float:
        v = d.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(f"{path}.{key}", f"expected a number, found {v!r}")
        if minimum is not None and v < minimum:
            raise self.fail(f"{path}.{key}", f"must be at least {minimum}, found {v!r}")
        return float(v)

    def labels(self, d: dict[str, Any], key: str, path: str, required: bool = True) -> dict[str, str]:
        v = d.get(key)
        if v is None and not required:
            return {}
        m = self.mapping(v, f"{path}.{key}")
        missing = [lang for lang in LANGS if not str(m.get(lang) or "").strip()]
        if missing:
            raise self.fail(f"{path}.{key}", f"a label is needed in every language; missing {missing}")
        unknown = sorted(set(m) - set(LANGS))
        if unknown:
            raise self.fail(f"{path}.{key}", f"unknown language(s) {unknown}; use {list(LANGS)}")
        return {lang: str(m[lang]) for lang in LANGS}

    def known_keys(self, d: dict[str, Any], allowed: set[str], path: str) -> None:
        extra = sorted(set(d) - allowed)
        if extra:
            raise self.fail(path, f"unknown key(s) {extra}; allowed: {sorted(allowed)}")


def _scale(r: _Reader, sid: str, raw: Any, path: str) -> Scale:
    d = r.mapping(raw, path)
    r.known_keys(d, {"kind", "options", "bands", "max"}, path)
    kind = r.text(d, "kind", path)
    if kind not in SCALE_KINDS:
        raise r.fail(f"{path}.kind", f"{kind!r} is not a scale kind ({', '.join(SCALE_KINDS)})")
    if kind == "choice":
        options = []
        for n, o in enumerate(r.items(d.get("options"), f"{path}.options")):
            op = f"{path}.options[{n}]"
            o = r.mapping(o, op)
            options.append(Option(r.text(o, "code", op), r.number(o, "points", op), r.labels(o, "labels", op)))
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            raise r.fail(f"{path}.options", f"answer codes repeat: {codes}")
        return Scale(sid, kind, options=tuple(options))
    if kind == "bands":
        bands = []
        for n, b in enumerate(r.items(d.get("bands"), f"{path}.bands")):
            bp = f"{path}.bands[{n}]"
            b = r.mapping(b, bp)
            bands.append(Band(r.number(b, "min", bp), r.number(b, "points", bp)))
        mins = [b.min for b in bands]
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            raise r.fail(f"{path}.bands", f"band minimums must rise strictly, found {mins}")
        return Scale(sid, kind, bands=tuple(bands))
    mx = r.number(d, "max", path)
    if mx <= 0:
        raise r.fail(f"{path}.max", f"must be above 0, found {mx}")
    return Scale(sid, kind, max=mx)


def _condition(r: _Reader, raw: Any, path: str) -> Condition:
    d = r.mapping(raw, path)
    r.known_keys(d, {"indicator", "milestone", "domain", "below", "at_least"}, path)
    targets = [t for t in ("indicator", "milestone", "domain") if t in d]
    if len(targets) != 1:
        raise r.fail(path, "name exactly one of indicator, milestone, domain")
    tests = [t for t in ("below", "at_least") if t in d]
    if len(tests) != 1:
        raise r.fail(path, "give exactly one of below, at_least")
    value = r.number(d, tests[0], path)
    return Condition(targets[0], r.text(d, targets[0], path), **{tests[0]: value})


def _caps(r: _Reader, raw: Any, path: str) -> tuple[Cap, ...]:
    caps = []
    for n, c in enumerate(r.items(raw or [], path, allow_empty=True)):
        cp = f"{path}[{n}]"
        c = r.mapping(c, cp)
        r.known_keys(c, {"when", "max", "labels"}, cp)
        mx = r.number(c, "max", cp, minimum=0)
        if mx > 1:
            raise r.fail(f"{cp}.max", f"a cap is a score between 0 and 1, found {mx}")
        caps.append(Cap(_condition(r, c.get("when"), f"{cp}.when"), mx, r.labels(c, "labels", cp)))
    return tuple(caps)


def _indicator(r: _Reader, raw: Any, path: str, scales: dict[str, Scale]) -> Indicator:
    from tipnet.assess.statistics import STATISTICS

    d = r.mapping(raw, path)
    r.known_keys(d, {"id", "kind", "scale", "labels", "help", "recommendations", "weight", "statistic"}, path)
    kind = r.text(d, "kind", path)
    if kind not in KINDS:
        raise r.fail(f"{path}.kind", f"{kind!r} is not an indicator kind ({', '.join(KINDS)})")
    scale_id = r.text(d, "scale", path)
    if scale_id not in scales:
        raise r.fail(f"{path}.scale", f"no scale {scale_id!r} (defined: {', '.join(sorted(scales))})")
    scale = scales[scale_id]
    statistic = None
    if kind == "computed":
        statistic = r.text(d, "statistic", path)
        if statistic not in STATISTICS:
            raise r.fail(f"{path}.statistic", f"no statistic {statistic!r} (known: {', '.join(sorted(STATISTICS))})")
        if scale.kind == "choice":
            raise r.fail(f"{path}.scale", "a computed indicator needs a bands or number scale")
    elif "statistic" in d:
        raise r.fail(f"{path}.statistic", "only computed indicators name a statistic")
    recs = d.get("recommendations")
    if not isinstance(recs, list) or not recs or not all(isinstance(x, int) and not isinstance(x, bool)
                                                          for x in recs):
        raise r.fail(f"{path}.recommendations", f"cite at least one recommendation number, found {recs!r}")
    return Indicator(r.text(d, "id", path), kind, scale, r.labels(d, "labels", path), tuple(recs),
                     r.number(d, "weight", path, 1.0, minimum=0), statistic, r.labels(d, "help", path, False))


def parse(raw: Any, file: str) -> Framework:
    r = _Reader(file)
    d = r.mapping(raw, "(top)")
    r.known_keys(d, {"id", "version", "title", "source", "scales", "domains", "ratings", "caps",
                     "recommendations", "missing"}, "(top)")
    scales = {str(k): _scale(r, str(k), v, f"scales.{k}") for k, v in r.mapping(d.get("scales"), "scales").items()}
    recs: dict[int, dict[str, str]] = {}
    for number, text in r.mapping(d.get("recommendations") or {}, "recommendations").items():
        if not isinstance(number, int):
            raise r.fail(f"recommendations.{number}", "keys are recommendation numbers")
        recs[number] = r.labels({"x": text}, "x", f"recommendations.{number}")
    domains = []
    for n, dom in enumerate(r.items(d.get("domains"), "domains")):
        dp = f"domains[{n}]"
        dom = r.mapping(dom, dp)
        r.known_keys(dom, {"id", "labels", "weight", "milestones", "caps"}, dp)
        milestones = []
        for k, raw_ms in enumerate(r.items(dom.get("milestones"), f"{dp}.milestones")):
            mp = f"{dp}.milestones[{k}]"
            ms = r.mapping(raw_ms, mp)
            r.known_keys(ms, {"id", "labels", "weight", "aggregate", "max_points", "indicators"}, mp)
            agg = str(ms.get("aggregate", "mean"))
            if agg not in AGGREGATES:
                raise r.fail(f"{mp}.aggregate", f"{agg!r} is not one of {AGGREGATES}")
            inds = tuple(_indicator(r, i, f"{mp}.indicators[{j}]", scales)
                         for j, i in enumerate(r.items(ms.get("indicators"), f"{mp}.indicators")))
            max_points = r.number(ms, "max_points", mp) if agg == "sum" else None
            if max_points is not None and max_points <= 0:
                raise r.fail(f"{mp}.max_points", "must be above 0")
            milestones.append(Milestone(r.text(ms, "id", mp), r.labels(ms, "labels", mp), inds,
                                        r.number(ms, "weight", mp, 1.0, minimum=0), agg, max_points))
        domains.append(Domain(r.text(dom, "id", dp), r.labels(dom, "labels", dp), tuple(milestones),
                              r.number(dom, "weight", dp, 1.0, minimum=0), _caps(r, dom.get("caps"), f"{dp}.caps")))
    ratings = []
    for n, rt in enumerate(r.items(d.get("ratings") or [], "ratings", allow_empty=True)):
        rp = f"ratings[{n}]"
        rt = r.mapping(rt, rp)
        r.known_keys(rt, {"code", "min", "labels", "requires"}, rp)
        req = tuple(_condition(r, c, f"{rp}.requires[{j}]")
                    for j, c in enumerate(r.items(rt.get("requires") or [], f"{rp}.requires", allow_empty=True)))
        ratings.append(Rating(r.text(rt, "code", rp), r.number(rt, "min", rp), r.labels(rt, "labels", rp), req))
    missing = str(d.get("missing", "zero"))
    if missing not in ("zero", "skip"):
        raise r.fail("missing", f"{missing!r}: use zero or skip")
    fw = Framework(r.text(d, "id", "(top)"), r.text(d, "version", "(top)"), r.labels(d, "title", "(top)"),
                   r.text(d, "source", "(top)"), tuple(domains), tuple(ratings), _caps(r, d.get("caps"), "caps"),
                   recs, missing, file)
    _check_references(r, fw)
    return fw


def _check_references(r: _Reader, fw: Framework) -> None:
    ids: dict[str, str] = {}
    for n, dom in enumerate(fw.domains):
        for kind, obj_id, path in [("domain", dom.id, f"domains[{n}]"),
                                   *[("milestone", m.id, f"domains[{n}].milestones[{k}]")
                                     for k, m in enumerate(dom.milestones)],
                                   *[("indicator", i.id, f"domains[{n}].milestones[{k}].indicators[{j}]")
                                     for k, m in enumerate(dom.milestones) for j, i in enumerate(m.indicators)]]:
            if obj_id in ids:
                raise r.fail(f"{path}.id", f"{obj_id!r} is used twice (also a {ids[obj_id]})")
            ids[obj_id] = kind
    conds = [(f"domains[{n}].caps[{k}].when", c.when) for n, d in enumerate(fw.domains) for k, c in enumerate(d.caps)]
    conds += [(f"caps[{k}].when", c.when) for k, c in enumerate(fw.caps)]
    conds += [(f"ratings[{n}].requires[{k}]", c) for n, rt in enumerate(fw.ratings) for k, c in enumerate(rt.requires)]
    for path, c in conds:
        if ids.get(c.id) != c.target:
            raise r.fail(path, f"no {c.target} {c.id!r} in this framework")
    if fw.recommendations:
        for ind in fw.indicators():
            unknown = [x for x in ind.recommendations if x not in fw.recommendations]
            if unknown:
                raise r.fail(f"indicator {ind.id}.recommendations", f"recommendation(s) {unknown} are not listed "
                                                                     "under recommendations")
    mins = [rt.min for rt in fw.ratings]
    if mins != sorted(mins, reverse=True):
        raise r.fail("ratings", f"list ratings from the highest minimum down, found {mins}")


def load_file(path: Path | str) -> Framework:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FrameworkError(str(p), "(yaml)", str(exc).replace("\n", " ")) from exc
    except OSError as exc:
        raise FrameworkError(str(p), "(file)", str(exc)) from exc
    return parse(raw, str(p))


def _data_dir() -> Path:
    return Path(str(resources.files("tipnet.assess").joinpath("data")))


@cache
def builtin() -> dict[str, Framework]:
    """The frameworks shipped with tipnet, by id."""
    out: dict[str, Framework] = {}
    for f in sorted(_data_dir().glob("*.yaml")):
        fw = load_file(f)
        out[fw.id] = fw
    return out


DEFAULT = "oas-2009"


def get(framework: str | None = None) -> Framework:
    """A built-in framework by id, or a framework file by path."""
    name = framework or DEFAULT
    found = builtin().get(name)
    if found is not None:
        return found
    if Path(name).suffix in (".yaml", ".yml") and Path(name).is_file():
        return load_file(name)
    raise KeyError(f"no framework {name!r}; built in: {', '.join(sorted(builtin()))}")
