"""Routes and networks from links."""

from tipnet.link.results import _betweenness, networks, route_flows, routes


def _row(country, rid, cluster, **kw):
    return {"country": country, "record_id": rid, "cluster_id": cluster, "role": "victim"} | kw


def test_routes_from_linked_victims():
    rows = [
        _row("GTM", "g1", "k1", citizenship="GTM", identification_date="2021-05-01"),
        _row("MEX", "m1", "k1", citizenship="GTM", exploitation_country="MEX", transit_countries="",
             identification_date="2020-01-01"),
        _row("USA", "u1", "k2", identification_date="2021-02-01"),
        _row("HND", "h1", "k2", identification_date="2020-02-01"),  # nothing reported: order of registration
        _row("PER", "p1", "k3"),  # one country only: no route
        _row("PER", "p2", None),
        _row("COL", "c1", "k4", recruitment_country="COL", exploitation_country="CHL", transit_countries="ECU;PER"),
        _row("CHL", "c2", "k4", citizenship="COL", exploitation_country="CHL"),
    ]
    got = {r["cluster_id"]: r for r in routes(rows)}
    assert set(got) == {"k1", "k2", "k4"}
    assert (got["k1"]["origin"], got["k1"]["destination"]) == ("GTM", "MEX")
    assert (got["k2"]["origin"], got["k2"]["destination"], got["k2"]["inferred_from_registrations"]) == \
        ("HND", "USA", True)
    assert got["k4"]["transit"] == ["ECU", "PER"]
    flows = route_flows(got.values())
    assert {(f["origin"], f["destination"], f["victims"]) for f in flows} == \
        {("GTM", "MEX", 1), ("HND", "USA", 1), ("COL", "CHL", 1)}
    assert next(f for f in flows if f["origin"] == "COL")["via_transit"] == 1


def test_networks_span_countries_through_linked_perpetrators():
    rows = [
        # case A in GTM: recruiter R (linked to MEX) and victims v1, v2
        {"country": "GTM", "record_id": "r", "cluster_id": "kR", "role": "perpetrator", "case_id": "A"},
        {"country": "GTM", "record_id": "v1", "cluster_id": None, "role": "victim", "case_id": "A"},
        {"country": "GTM", "record_id": "v2", "cluster_id": None, "role": "victim", "case_id": "A"},
        # case B in MEX: the same recruiter R, with exploiter E and victim v3
        {"country": "MEX", "record_id": "r", "cluster_id": "kR", "role": "perpetrator", "case_id": "B"},
        {"country": "MEX", "record_id": "e", "cluster_id": None, "role": "perpetrator", "case_id": "B"},
        {"country": "MEX", "record_id": "v3", "cluster_id": None, "role": "victim", "case_id": "B"},
        # an unrelated case of victims only
        {"country": "PER", "record_id": "x", "cluster_id": None, "role": "victim", "case_id": "C"},
        {"country": "PER", "record_id": "y", "cluster_id": None, "role": "victim", "case_id": "C"},
    ]
    nets = networks(rows)
    assert len(nets) == 1
    net = nets[0]
    assert (net["persons"], net["perpetrators"], net["victims"]) == (5, 2, 3)
    assert net["countries"] == ["GTM", "MEX"] and net["linked_across_borders"]
    top = net["central_actors"][0]
    assert top["person"] == "kR" and top["countries"] == ["GTM", "MEX"] and top["degree"] == 4


def test_betweenness_of_a_path_and_a_star():
    path = {"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}
    assert _betweenness(path) == {"a": 0.0, "b": 1.0, "c": 0.0}
    star = {"h": {"1", "2", "3"}, "1": {"h"}, "2": {"h"}, "3": {"h"}}
    assert _betweenness(star)["h"] == 1.0
