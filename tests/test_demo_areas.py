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
