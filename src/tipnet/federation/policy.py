"""What a node may share with the hub: one policy per data kind, with overrides per country (YAML in the node's home).

    kinds:                 # data kind -> shared or not
      aggregates: true     # aggregate returns (GLOTIP-style figures) of the country
      tables: true         # statistics tables; cells below `min_cell` are suppressed
      clk: false           # linkage encodings (CLKs): needs the shared linkage secret
      records: false       # pseudonymised case records: needs an agreement, and each victim's consent
    tables: {dims: [year, sex, age_group], min_cell: 5}
    records: {fields: [...]}   # narrows the fields that may leave; it can never widen them
    clk: {secret_file: linkage.key}
    countries:             # the same keys again, per reporting country, overriding the defaults
      PER: {kinds: {records: true}}

Whatever the file says, a record leaves only if its `consent_share_hub` is true, under a keyed pseudonym (HMAC with
the country's own key) instead of its record and case ids, with no name, birth date, free-text, place or exact date
or age field (`RECORD_FIELDS` is the most that can leave: coded fields, identification year, age band, minor flag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tipnet.errors import TipnetError
from tipnet.standard import load_standard

KINDS = ("aggregates", "tables", "clk", "records")
DEFAULT_KINDS = {"aggregates": True, "tables": True, "clk": False, "records": False}
TABLE_DIMS = ("year", "sex", "age_group", "age_band", "form_group", "citizenship", "source_type")
DEFAULT_TEXT = """\
# What this node shares with the hub (see `tipnet node share --help`).
kinds:
  aggregates: true
  tables: true
  clk: false
  records: false
tables:
  dims: [year, sex, age_group]
  min_cell: 5
"""
_SAFE_TYPES = frozenset({"code", "code_list", "country", "country_list", "boolean"})
_NEVER = frozenset({"record_id", "case_id", "agency"})


def record_fields() -> tuple[str, ...]:
    """The most a record can carry to the hub: coded and yes/no fields that do not identify, plus the year."""
    out = [f.name for f in load_standard().fields
           if f.type in _SAFE_TYPES and not f.identifying and f.name not in _NEVER]
    return ("identification_year", *out)


RECORD_FIELDS = record_fields()


class PolicyError(TipnetError, ValueError):
    """The policy file is not valid: the message names the file and the key."""

    status, code = 422, "invalid-request"


@dataclass(frozen=True)
class CountryPolicy:
    country: str
    kinds: dict[str, bool]
    table_dims: tuple[str, ...] = ("year", "sex", "age_group")
    min_cell: int = 5
    record_fields: tuple[str, ...] = RECORD_FIELDS
    clk_secret_file: str | None = None

    def allows(self, kind: str) -> bool:
        return bool(self.kinds.get(kind, False))


@dataclass(frozen=True)
class Policy:
    defaults: dict[str, Any]
    countries: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<default>"

    def for_country(self, country: str) -> CountryPolicy:
        merged = _merge(self.defaults, self.countries.get(country.upper(), {}))
        return _country_policy(country.upper(), merged, self.source)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _country_policy(country: str, d: dict[str, Any], source: str) -> CountryPolicy:
    kinds = dict(DEFAULT_KINDS)
    for k, v in (d.get("kinds") or {}).items():
        if k not in KINDS:
            raise PolicyError(f"{source}: kinds.{k}: unknown data kind; choose from {', '.join(KINDS)}")
        if not isinstance(v, bool):
            raise PolicyError(f"{source}: kinds.{k}: {v!r} is not true or false")
        kinds[k] = v
    tables = d.get("tables") or {}
    dims = tuple(tables.get("dims") or ("year", "sex", "age_group"))
    bad = [x for x in dims if x not in TABLE_DIMS]
    if bad:
        raise PolicyError(f"{source}: tables.dims: {bad} not allowed; choose from {', '.join(TABLE_DIMS)}")
    min_cell = tables.get("min_cell", 5)
    if not isinstance(min_cell, int) or min_cell < 1:
        raise PolicyError(f"{source}: tables.min_cell: {min_cell!r} is not a whole number of at least 1")
    wanted = (d.get("records") or {}).get("fields")
    if wanted is None:
        fields = RECORD_FIELDS
    else:
        refused = [x for x in wanted if x not in RECORD_FIELDS]
        if refused:
            raise PolicyError(f"{source}: records.fields: {refused} may never leave the country (identifying, "
                              "free text or exact dates)")
        fields = tuple(x for x in RECORD_FIELDS if x in wanted)
    secret = (d.get("clk") or {}).get("secret_file")
    return CountryPolicy(country, kinds, dims, min_cell, fields, str(secret) if secret else None)


def parse(text: str, source: str = "<policy>") -> Policy:
    try:
        d = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(d, dict):
        raise PolicyError(f"{source}: the policy must be a mapping")
    unknown = set(d) - {"kinds", "tables", "records", "clk", "countries"}
    if unknown:
        raise PolicyError(f"{source}: unknown keys {sorted(unknown)}")
    countries = {str(k).upper(): v or {} for k, v in (d.get("countries") or {}).items()}
    policy = Policy({k: v for k, v in d.items() if k != "countries"}, countries, source)
    for c in ("XXX", *countries):  # validate every branch now, not when a bundle is made
        policy.for_country(c)
    return policy


def load(path: Path) -> Policy:
    if not path.is_file():
        return parse(DEFAULT_TEXT, "<default policy>")
    return parse(path.read_text(encoding="utf-8"), str(path))
