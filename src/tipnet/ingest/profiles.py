"""Import profiles: how a source layout's columns and values map to the standard's fields.

A profile is data (YAML). Built-in profiles live beside this module; users write their own for any national
spreadsheet. Keys:

- `columns`: source column -> field name, or {field, values: {raw: code}}; several columns may feed one field
  (the first non-empty wins; for list fields their values are joined).
- `flags`: source column -> {field, code}: a truthy cell adds `code` (or a list of codes) to a list field.
- `events`: HTCDS-style route events given as parallel ';'-lists (type, country, state, city, date, lat, lon).
- `defaults`: field -> value used where the cell is empty; `generate`: field -> "row" to number records by row.
- `missing_values`: cells that mean "no value" (e.g. -99, NULL); `day_first`: read 03/04/2020 as 3 April.
- `detect`: columns whose presence makes auto-detection pick this profile.
- `strict`: true quarantines a row for any cell that cannot be read; by default (false) the victim is kept, the
  field left unknown, the raw cell stored and a warning reported. Only what is needed to count a victim at all
  (record and case identifiers, the reporting country) quarantines a row.
- `reporting_country: optional`: the file may hold rows with no reporting country (global, multi-country data
  sets imported by the hub); those rows are kept with the reporting country unknown.

A profile with `kind: aggregates` maps a national statistics table to aggregate figures instead; its keys are
read by `tipnet.ingest.aggregate_profile`.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from tipnet.ingest.flags import flag_states
from tipnet.ingest.readers import ROW
from tipnet.standard import load_standard
from tipnet.standard.model import LIST_SEPARATOR, normalise_token
from tipnet.standard.yaml_parse import parse_yaml

DEFAULT_MISSING = ["", "-99", "-999", "NULL", "null", "N/A", "n/a", "NA", "#N/A", "None", "none"]


@dataclass(frozen=True)
class ColumnRule:
    source: str
    field: str
    values: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class FlagRule:
    source: str
    field: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str = "records"
    columns: tuple[ColumnRule, ...] = ()
    flags: tuple[FlagRule, ...] = ()
    events: dict[str, str] = dataclasses.field(default_factory=dict)
    defaults: dict[str, str] = dataclasses.field(default_factory=dict)
    generate: dict[str, str] = dataclasses.field(default_factory=dict)
    missing_values: tuple[str, ...] = tuple(DEFAULT_MISSING)
    day_first: bool = True
    detect: tuple[str, ...] = ()
    match_labels: bool = False  # also accept the fields' names and labels (any language) as column headers
    strict: bool = False  # quarantine a row for any unreadable cell (else: keep the victim, flag the fact)
    reporting_country_optional: bool = False  # rows without a reporting country are kept (global data sets)

    def required_fields(self) -> frozenset[str]:
        """The fields a row cannot be counted without: the standard's required fields, less the reporting country
        where this profile makes it optional."""
        return _required_fields(self.reporting_country_optional)

    def value_map(self, field_name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for rule in self.columns:
            if rule.field == field_name:
                out.update({normalise_token(k): v for k, v in rule.values.items()})
        return out

    def bind(self, source_columns: list[str]) -> tuple[list[ColumnRule], list[FlagRule], list[str]]:
        """The rules that apply to these source columns, and the source columns nothing maps."""
        by_key = {normalise_token(c): c for c in source_columns}
        rules: list[ColumnRule] = []
        for rule in self.columns:
            src = by_key.get(normalise_token(rule.source))
            if src is not None:
                rules.append(ColumnRule(src, rule.field, rule.values))
        if self.match_labels:
            taken = {r.source for r in rules}
            for f in load_standard().fields:
                names = {f.name, *f.labels.values()}
                for n in names:
                    src = by_key.get(normalise_token(n))
                    if src is not None and src not in taken:
                        rules.append(ColumnRule(src, f.name))
                        taken.add(src)
                        break
        flags = []
        for flag in self.flags:
            src = by_key.get(normalise_token(flag.source))
            if src is not None:
                flags.append(FlagRule(src, flag.field, flag.codes))
        used = {r.source for r in rules} | {f.source for f in flags}
        used |= {by_key[normalise_token(c)] for c in self.events.values() if normalise_token(c) in by_key}
        unmapped = [c for c in source_columns if c not in used]
        return rules, flags, unmapped


@cache
def _required_fields(reporting_country_optional: bool) -> frozenset[str]:
    names = {f.name for f in load_standard().fields if f.required}
    if reporting_country_optional:
        names.discard("reporting_country")
    return frozenset(names)


def _profile_from_doc(doc: dict[str, Any]) -> Profile:
    columns = []
    for src, target in (doc.get("columns") or {}).items():
        if isinstance(target, str):
            columns.append(ColumnRule(str(src), target))
        elif isinstance(target, list):
            columns.extend(ColumnRule(str(src), str(t)) for t in target)
        else:
            values = {str(k): str(v) for k, v in (target.get("values") or {}).items()}
            columns.append(ColumnRule(str(src), target["field"], values))
    flags = []
    for src, spec in (doc.get("flags") or {}).items():
        codes = spec["code"] if isinstance(spec["code"], list) else [spec["code"]]
        flags.append(FlagRule(str(src), spec["field"], tuple(str(c) for c in codes)))
    known = set(load_standard().field_names)
    for name in [c.field for c in columns] + [f.field for f in flags] + list(doc.get("defaults") or {}):
        if name not in known:
            raise ValueError(f"profile {doc.get('name')!r}: unknown field {name!r}")
    return Profile(
        name=str(doc["name"]),
        title=str(doc.get("title", doc["name"])),
        kind=str(doc.get("kind", "records")),
        columns=tuple(columns),
        flags=tuple(flags),
        events={str(k): str(v) for k, v in (doc.get("events") or {}).items()},
        defaults={str(k): str(v) for k, v in (doc.get("defaults") or {}).items()},
        generate={str(k): str(v) for k, v in (doc.get("generate") or {}).items()},
        missing_values=tuple(str(v) for v in doc.get("missing_values", DEFAULT_MISSING)),
        day_first=bool(doc.get("day_first", True)),
        detect=tuple(str(c) for c in doc.get("detect", ())),
        match_labels=bool(doc.get("match_labels", False)),
        strict=bool(doc.get("strict", False)),
        reporting_country_optional=_reporting_country(doc),
    )


def _reporting_country(doc: dict[str, Any]) -> bool:
    """`reporting_country: optional` (or `required`, the default)."""
    value = str(doc.get("reporting_country", "required")).strip().lower()
    if value not in ("optional", "required"):
        raise ValueError(f"profile {doc.get('name')!r}: reporting_country must be 'optional' or 'required'")
    return value == "optional"


@cache
def _builtin_docs() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in resources.files("tipnet.ingest").joinpath("profiles").iterdir():
        if entry.name.endswith(".yaml"):
            doc = parse_yaml(entry.read_text(encoding="utf-8"))
            out[str(doc["name"])] = doc
    return out


@cache
def builtin_profiles() -> dict[str, Profile]:
    """The built-in record profiles (aggregate profiles, `kind: aggregates`, are read by `aggregate_profile`)."""
    return {n: _profile_from_doc(d) for n, d in _builtin_docs().items() if d.get("kind", "records") == "records"}


def profile_doc(name_or_path: str) -> dict[str, Any] | None:
    """The YAML document of a built-in profile by name, or of a user's mapping file by path; None if neither."""
    if name_or_path in _builtin_docs():
        return _builtin_docs()[name_or_path]
    path = Path(name_or_path)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        doc = _file_doc(path)
        return doc if isinstance(doc, dict) else None
    return None


_FILE_DOCS: dict[Path, tuple[tuple[int, int, int], Any]] = {}  # path -> (its stat stamp, the parsed document)
_FILE_DOCS_MAX = 64


def _file_doc(path: Path) -> Any:
    """A user's mapping file parsed once per process while it is unchanged (same inode, size and mtime): an import
    asks for its profile more than once (kind, then rules)."""
    key = path.resolve()
    st = key.stat()
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    hit = _FILE_DOCS.get(key)
    if hit is None or hit[0] != stamp:
        if len(_FILE_DOCS) >= _FILE_DOCS_MAX:
            _FILE_DOCS.clear()
        hit = (stamp, parse_yaml(key.read_text(encoding="utf-8")))
        _FILE_DOCS[key] = hit
    return copy.deepcopy(hit[1])  # the caller may change its document; the kept one stays as the file says


def profile_kind(name_or_path: str) -> str | None:
    """"records" or "aggregates" for a profile name or file; None when there is no such profile."""
    doc = profile_doc(name_or_path)
    return None if doc is None else str(doc.get("kind", "records"))


def load_profile(name_or_path: str) -> Profile | None:
    """A built-in record profile by name, or a user's YAML mapping file by path; None when neither exists."""
    if name_or_path in builtin_profiles():
        return builtin_profiles()[name_or_path]
    doc = profile_doc(name_or_path)
    if doc is None or doc.get("kind", "records") != "records":
        return None
    return _profile_from_doc(doc)


def detect_profile(columns: list[str]) -> Profile:
    """The built-in profile whose detection columns are all present; the tipnet flat layout otherwise."""
    keys = {normalise_token(c) for c in columns}
    best, best_hits = builtin_profiles()["tipnet"], 0
    for p in builtin_profiles().values():
        if p.detect and all(normalise_token(c) in keys for c in p.detect) and len(p.detect) > best_hits:
            best, best_hits = p, len(p.detect)
    return best


# ---------------------------------------------------------------- applying a profile to a chunk


def _blank(expr: pl.Expr, missing: tuple[str, ...]) -> pl.Expr:
    e = expr.str.strip_chars()
    return pl.when(e.is_in(list(missing)) | e.is_null()).then(None).otherwise(e)


# What polars' strip_chars() strips (Unicode White_Space); Python's str.strip() would also strip \x1c-\x1f.
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))


def blank_value(value: str | None, missing: tuple[str, ...]) -> str | None:
    """One cell as `_blank` treats it: stripped, and None when it is one of the missing values."""
    if value is None:
        return None
    text = value.strip(WHITESPACE)
    return None if text in missing else text


def blank_series(raw: pl.Series, missing: tuple[str, ...]) -> pl.Series:
    """`_blank` on a Series; skips the costly null-out when no cell is a missing value."""
    text = raw.str.strip_chars()
    gone = text.is_in(list(missing))
    if gone.any():
        text = text.set(gone, None)  # type: ignore[arg-type]
    return text


def _join_lists(parts: list[pl.Expr]) -> pl.Expr:
    if len(parts) == 1:
        return parts[0]
    joined = pl.concat_str(parts, separator=LIST_SEPARATOR, ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def raw_fields(profile: Profile, rules: list[ColumnRule], flags: list[FlagRule]) -> frozenset[str]:
    """Fields that `apply_profile` passes through as their one source column's text, not yet stripped or blanked
    (the checks blank them, once per distinct value where they can): fields fed by exactly one column, and not
    by flags, route events or generated values."""
    counts: dict[str, int] = {}
    for rule in rules:
        counts[rule.field] = counts.get(rule.field, 0) + 1
    taken = {f.field for f in flags} | set(profile.generate)
    if profile.events:
        taken |= {f for slot in _EVENT_SLOTS.values() for f in slot.values()} | {"transit_countries"}
    return frozenset(name for name, n in counts.items() if n == 1 and name not in taken)


_FLAG = "\x00flag:"  # a flag column's states ("yes", "no", "?", null) while the profile is applied


def apply_profile(
    profile: Profile,
    data: pl.DataFrame,
    rules: list[ColumnRule],
    flags: list[FlagRule],
    raw: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """Source chunk -> one text column per standard field the profile fills (values not yet checked).

    Fields in `raw` (see `raw_fields`) keep their source text as it is; the others are stripped, with the
    profile's missing values as nulls."""
    std = load_standard()
    missing = profile.missing_values
    sources: dict[str, list[pl.Expr]] = {}
    for rule in rules:
        col = pl.col(rule.source)
        sources.setdefault(rule.field, []).append(col if rule.field in raw else _blank(col, missing))
    states: dict[str, pl.Series] = {}
    for flag in flags:
        if flag.source not in states:
            states[flag.source] = flag_states(data.get_column(flag.source), missing).alias(_FLAG + flag.source)
        on = pl.col(_FLAG + flag.source) == "yes"
        code = LIST_SEPARATOR.join(flag.codes)
        sources.setdefault(flag.field, []).append(pl.when(on).then(pl.lit(code)).otherwise(None))
    if states:
        data = data.with_columns(list(states.values()))
    out: list[pl.Expr] = [pl.col(ROW)]
    for name, parts in sources.items():
        f = std.field(name)
        expr = _join_lists(parts) if f.is_list else pl.coalesce(parts)
        out.append(expr.alias(name))
    frame = data.select(out)
    if profile.events:
        frame = _apply_events(frame, data, profile)
    for name, how in profile.generate.items():
        if how == "row":
            generated = pl.format("row-{}", pl.col(ROW))
            frame = frame.with_columns(
                (pl.coalesce(pl.col(name), generated) if name in frame.columns else generated).alias(name)
            )
    return frame


_EVENT_SLOTS = {
    "recruitment": {
        "country": "recruitment_country",
        "state": "recruitment_subdivision",
        "city": "recruitment_place",
        "date": "recruitment_date",
    },
    "exploitation": {
        "country": "exploitation_country",
        "state": "exploitation_subdivision",
        "city": "exploitation_place",
        "date": "exploitation_start_date",
        "latitude": "exploitation_latitude",
        "longitude": "exploitation_longitude",
    },
}


def _apply_events(frame: pl.DataFrame, data: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    """HTCDS route events (parallel ';'-lists of type, country, ...) -> the standard's route fields."""
    cols = {k: v for k, v in profile.events.items() if v in data.columns}
    if "type" not in cols or "country" not in cols:
        return frame
    parts = {k: data[v].to_list() for k, v in cols.items()}
    slots = _EVENT_SLOTS
    result: dict[str, list[str | None]] = {
        f: [None] * data.height for s in slots.values() for f in s.values()
    }
    result["transit_countries"] = [None] * data.height
    for i in range(data.height):
        types = (parts["type"][i] or "").split(LIST_SEPARATOR)
        split = {k: (v[i] or "").split(LIST_SEPARATOR) for k, v in parts.items()}
        transits = []
        for j, t in enumerate(types):
            kind = normalise_token(t)

            def at(key: str, j: int = j, split: dict[str, list[str]] = split) -> str | None:
                vals = split.get(key, [])
                return vals[j].strip() or None if j < len(vals) else None

            if kind == "transit":
                if at("country"):
                    transits.append(at("country"))
            elif kind in slots:
                for key, target in slots[kind].items():
                    if result[target][i] is None:
                        result[target][i] = at(key)
        result["transit_countries"][i] = LIST_SEPARATOR.join(t for t in transits if t) or None
    extra = pl.DataFrame(result, schema={k: pl.Utf8 for k in result})
    keep = [c for c in frame.columns if c not in extra.columns]
    merged = frame.select(keep).hstack(extra)
    for c in extra.columns:
        if c in frame.columns:
            merged = merged.with_columns(pl.coalesce(frame[c], pl.col(c)).alias(c))
    return merged
