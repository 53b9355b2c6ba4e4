"""Route figures against a plain-Python reading of each victim's route, over random record sets and filters.

Route queries count groups of victims that share a route (`routes.flows`: paths built once per group, weights
summed). The expected figures here follow the definition victim by victim, without SQL: a route is [origin,
transit..., destination] with missing countries dropped and consecutive repeats merged; a leg or a transit country
counts a victim once however often it recurs on that victim's route.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from arrow_source import ArrowSource
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tipnet.routes import RouteFilter, corridors, country_roles, flows, legs, paths, summary

C = ("ARG", "BOL", "COL", "PER")


def _route(p: Mapping[str, Any]) -> list[str] | None:
    origin = p["recruitment_country"] or (p["citizenship"] or "").split(";")[0] or None
    destination = p["exploitation_country"] or p["reporting_country"]
    if origin is None or destination is None:
        return None
    stops = [origin, *((p["transit_countries"] or "").split(";") if p["transit_countries"] else []), destination]
    out: list[str] = []
    for c in stops:
        if not out or out[-1] != c:
            out.append(c)
    return out


def _victims(persons: list[Mapping[str, Any]], f: RouteFilter) -> list[tuple[Mapping[str, Any], list[str]]]:
    out = []
    for p in persons:
        if (p["role"] or "victim") != "victim" or (p["victim_status"] or "actual") == "not_a_victim":
            continue
        route = _route(p)
        if route is None:
            continue
        year = p["identification_year"]
        if f.reporting_country and p["reporting_country"] != f.reporting_country:
            continue
        if f.year_from is not None and (year is None or year < f.year_from):
            continue
        if f.year_to is not None and (year is None or year > f.year_to):
            continue
        if f.country and f.country not in route:
            continue
        out.append((p, route))
    return out


country = st.sampled_from(C)
person = st.fixed_dictionaries({
    "reporting_country": country,
    "role": st.sampled_from([None, "victim", "victim", "perpetrator"]),
    "victim_status": st.sampled_from([None, "actual", "not_a_victim"]),
    "identification_year": st.sampled_from([None, 2019, 2020, 2021, 2022]),
    "is_minor": st.sampled_from([None, True, False]),
    "citizenship": st.sampled_from([None, "ARG", "COL;PER", "BOL"]),
    "recruitment_country": st.one_of(st.none(), country),
    "transit_countries": st.one_of(st.none(), st.lists(country, max_size=4).map(";".join)),
    "exploitation_country": st.one_of(st.none(), country),
    "forms_of_exploitation": st.sampled_from([None, "forced_labour", "sexual_exploitation;forced_labour"]),
})
# a route that passes a leg twice (ARG>BOL>ARG>BOL) and one that passes a transit country twice
LOOP = {"reporting_country": "PER", "role": None, "victim_status": None, "identification_year": 2020, "is_minor": True,
        "citizenship": None, "recruitment_country": "ARG", "exploitation_country": "BOL",
        "forms_of_exploitation": None}
route_filter = st.builds(RouteFilter, country=st.one_of(st.none(), country),
                         reporting_country=st.one_of(st.none(), country),
                         year_from=st.sampled_from([None, 2020]), year_to=st.sampled_from([None, 2021]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(person, min_size=0, max_size=40), f=route_filter, least=st.sampled_from([1, 2, 3]))
@example(people=[{**LOOP, "transit_countries": "BOL;ARG"},
                 {**LOOP, "transit_countries": "BOL;COL;BOL", "exploitation_country": "PER"}] * 2,
         f=RouteFilter(), least=1)
def test_route_figures_count_each_victim_once(people, f, least):
    persons = [{**p, "id": i + 1, "submission_id": 1} for i, p in enumerate(people)]
    src = ArrowSource(persons)
    mine = _victims(persons, f)

    want_flows: Counter[tuple[str, str]] = Counter()
    want_minors: Counter[tuple[str, str]] = Counter()
    want_via: Counter[tuple[str, str]] = Counter()
    want_legs: Counter[tuple[str, str]] = Counter()
    want_paths: Counter[tuple[str, ...]] = Counter()
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    for p, r in mine:
        od = (r[0], r[-1])
        want_flows[od] += 1
        want_minors[od] += p["is_minor"] is True
        want_via[od] += len(r) > 2
        want_paths[tuple(r)] += 1
        for leg in {(a, b) for a, b in zip(r, r[1:], strict=False)}:
            want_legs[leg] += 1
        if r[0] != r[-1]:
            roles[r[0]]["as_origin"] += 1
            roles[r[-1]]["as_destination"] += 1
        else:
            roles[r[0]]["domestic"] += 1
        for c in set(r[1:-1]):
            roles[c]["as_transit"] += 1

    got = {(x["origin"], x["destination"]): x for x in flows(src, f, least)}
    assert {k: (v["victims"], v["minors"], v["via_transit"]) for k, v in got.items()} == {
        k: (n, want_minors[k], want_via[k]) for k, n in want_flows.items() if n >= least}
    assert {(x["from_country"], x["to_country"]): x["victims"] for x in legs(src, f, least)} == {
        k: n for k, n in want_legs.items() if n >= least}
    assert {tuple(x["path"]): x["victims"] for x in paths(src, f, least)} == {
        k: n for k, n in want_paths.items() if n >= least}
    got_roles = {x["country"]: {k: x[k] for k in ("as_origin", "as_transit", "as_destination", "domestic")}
                 for x in country_roles(src, f)}
    assert got_roles == {c: {k: n[k] for k in ("as_origin", "as_transit", "as_destination", "domestic")}
                         for c, n in roles.items()}
    s = summary(src, f)
    assert (s["victims_with_route"], s["domestic"], s["transnational"], s["with_transit"]) == (
        len(mine), sum(r[0] == r[-1] for _, r in mine), sum(r[0] != r[-1] for _, r in mine),
        sum(len(r) > 2 for _, r in mine))
    ranked = {(x["origin"], x["destination"]): (x["victims"], x["minors"]) for x in corridors(src, f, least)}
    assert ranked == {k: (n, want_minors[k]) for k, n in want_flows.items() if k[0] != k[1] and n >= least}
