"""Country profiles (volume, sex/age, exploitation mix, origins) derived from GLOTIP by demo.glotip."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from tipnet.demo.reference import DATA_DIR, YAML_LOADER

PROFILES_FILE = DATA_DIR / "country_profiles.yaml"
CELLS = ("female_child", "female_adult", "male_child", "male_adult")
FORMS = ("sexual", "labour", "other")


@dataclass(frozen=True)
class CountryProfile:
    alpha3: str
    annual_victims: float | None  # None: GLOTIP has no victim counts for the country
    sex_age: dict[str, float]  # CELLS -> share
    other_sex: float  # share recorded with sex "other"
    forms: dict[str, dict[str, float]]  # CELLS -> FORMS -> share
    domestic_share: float
    origins: dict[str, float]  # foreign origins (alpha-3) -> share among foreign victims
    observed: dict[str, bool]

    def to_dict(self) -> dict[str, Any]:
        return {
            "annual_victims": self.annual_victims,
            "sex_age": self.sex_age,
            "other_sex": self.other_sex,
            "forms": self.forms,
            "domestic_share": self.domestic_share,
            "origins": self.origins,
            "observed": self.observed,
        }

    @classmethod
    def from_dict(cls, alpha3: str, raw: dict[str, Any]) -> CountryProfile:
        av = raw["annual_victims"]
        return cls(
            alpha3=alpha3,
            annual_victims=None if av is None else float(av),
            sex_age={k: float(v) for k, v in raw["sex_age"].items()},
            other_sex=float(raw["other_sex"]),
            forms={c: {f: float(x) for f, x in m.items()} for c, m in raw["forms"].items()},
            domestic_share=float(raw["domestic_share"]),
            origins={k: float(v) for k, v in raw["origins"].items()},
            observed={k: bool(v) for k, v in raw["observed"].items()},
        )


@cache
def load_profiles() -> dict[str, CountryProfile]:
    raw = yaml.load(PROFILES_FILE.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    return {iso: CountryProfile.from_dict(iso, p) for iso, p in raw["countries"].items()}
