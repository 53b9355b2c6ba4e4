"""The demo's recruitment subdivisions: ISO 3166-2 codes of the recruitment country, the same in every run."""

from __future__ import annotations

from collections import Counter

from tipnet.demo.areas import RECRUITMENT_SHARE, recruitment_subdivision
from tipnet.ingest.subdivisions import is_subdivision_of


def test_codes_belong_to_the_country_and_repeat_across_runs():
    drawn = [recruitment_subdivision(f"MEX#{n}", "MEX") for n in range(2000)]
    assert drawn == [recruitment_subdivision(f"MEX#{n}", "MEX") for n in range(2000)]
    codes = [c for c in drawn if c is not None]
    assert all(is_subdivision_of("MEX", c) for c in codes)
    assert abs(len(codes) / len(drawn) - RECRUITMENT_SHARE) < 0.05
    top = Counter(codes).most_common()
    assert len(top) >= 25 and top[0][1] > 5 * top[-1][1]  # hotspots and a long tail


def test_no_subdivision_outside_the_member_states():
    assert recruitment_subdivision("X#1", "ESP") is None and recruitment_subdivision("X#1", "ZZZ") is None


def test_exploitation_points_lie_in_their_country_and_cluster():
    from tipnet.demo.areas import POINT_SHARE, exploitation_point
    from tipnet.demo.reference import load_reference
    from tipnet.ingest.subdivisions import resolve_subdivision
    from tipnet.maps.subdivisions import subdivision_at

    ref = load_reference()
    with_points: set[str] = set()
    drawn = recorded = inside = 0
    for iso3, country in ref.countries.items():
        if not country.member:
            continue
        for place in country.places:
            for k in range(10):
                drawn += 1
                point = exploitation_point(f"{iso3}#{place.town}#{k}", iso3, place.subdivision)
                assert point == exploitation_point(f"{iso3}#{place.town}#{k}", iso3, place.subdivision)
                if point is None:
                    continue
                recorded += 1
                with_points.add(iso3)
                at = subdivision_at(point[1], point[0])
                code = resolve_subdivision(iso3, place.subdivision)
                inside += at is not None and code is not None and at[:2] == code[:2]
    assert len(with_points) == 35  # every member state has recorded places of exploitation
    assert recorded / drawn > POINT_SHARE - 0.15
    assert inside / recorded > 0.85  # a few jittered points near a coast fall in the sea
