"""Questionnaire files: a self-assessment written offline and imported (YAML, JSON or CSV).

YAML / JSON: `{framework, country, year, answers: {question id: value | {value, evidence: [links], note}}}`.
CSV: one row per question, columns `indicator, value, evidence, note` (evidence links separated by `;`), and
optionally `country, year` (the same on every row). Every error names the file, the row (or key), the field and the
value; nothing is half-imported (the whole file is checked before anything is stored).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tipnet.assess.framework import Framework
from tipnet.assess.scoring import AnswerError, check_answers
from tipnet.errors import TipnetError


class QuestionnaireError(TipnetError, ValueError):
    status, code = 422, "invalid-request"

    def __init__(self, file: str, where: str, field: str, value: Any, message: str) -> None:
        super().__init__(f"{file}: {where}: {field} = {value!r}: {message}")
        self.file, self.where, self.field, self.value = file, where, field, value


@dataclass
class Questionnaire:
    framework: str | None
    country: str | None
    year: int | None
    answers: dict[str, Any]


def _evidence(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).replace("\n", ";").split(";") if p.strip()]


def _read_csv(path: Path) -> Questionnaire:
    answers: dict[str, Any] = {}
    country: str | None = None
    year: int | None = None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = {c.strip().lower() for c in reader.fieldnames or []}
        if not {"indicator", "value"} <= cols:
            raise QuestionnaireError(str(path), "header", "columns", sorted(cols), "needs indicator and value columns")
        for n, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            where = f"row {n}"
            ind = row.get("indicator", "")
            if not ind:
                raise QuestionnaireError(str(path), where, "indicator", ind, "empty")
            if ind in answers:
                raise QuestionnaireError(str(path), where, "indicator", ind, "answered twice")
            for key in ("country", "year"):
                v = row.get(key)
                if v:
                    prev: Any = country if key == "country" else year
                    val: Any = v.upper() if key == "country" else v
                    if key == "year":
                        if not v.isdigit():
                            raise QuestionnaireError(str(path), where, "year", v, "not a year")
                        val = int(v)
                    if prev is not None and prev != val:
                        raise QuestionnaireError(str(path), where, key, v, f"differs from an earlier row ({prev})")
                    if key == "country":
                        country = val
                    else:
                        year = val
            answers[ind] = {"value": row.get("value") or None, "evidence": _evidence(row.get("evidence")),
                            "note": row.get("note") or None, "_where": where}
    return Questionnaire(None, country, year, answers)


def _read_mapping(path: Path) -> Questionnaire:
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise QuestionnaireError(str(path), "(file)", "syntax", None, str(exc).replace("\n", " ")) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        raise QuestionnaireError(str(path), "(top)", "answers", None, "expected a mapping with an answers mapping")
    year = doc.get("year")
    if year is not None and (isinstance(year, bool) or not str(year).isdigit()):
        raise QuestionnaireError(str(path), "(top)", "year", year, "not a year")
    answers: dict[str, Any] = {}
    for key, raw in doc["answers"].items():
        entry = dict(raw) if isinstance(raw, dict) else {"value": raw}
        unknown = sorted(set(entry) - {"value", "evidence", "note"})
        if unknown:
            raise QuestionnaireError(str(path), f"answers.{key}", "keys", unknown, "use value, evidence, note")
        entry["evidence"] = _evidence(entry.get("evidence"))
        entry["_where"] = f"answers.{key}"
        answers[str(key)] = entry
    country = doc.get("country")
    return Questionnaire(doc.get("framework"), str(country).upper() if country else None,
                         int(year) if year is not None else None, answers)


def read(path: Path, fw: Framework) -> Questionnaire:
    """Read and check a questionnaire file against `fw` (answers, evidence links)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        q = _read_csv(path)
    elif suffix in (".yaml", ".yml", ".json"):
        q = _read_mapping(path)
    else:
        raise QuestionnaireError(str(path), "(file)", "format", suffix, "use .yaml, .json or .csv")
    if q.framework is not None and q.framework != fw.id:
        raise QuestionnaireError(str(path), "(top)", "framework", q.framework, f"this framework is {fw.id}")
    for key, entry in q.answers.items():
        where = entry.pop("_where")
        try:
            check_answers(fw, {key: entry.get("value")})
        except AnswerError as exc:
            raise QuestionnaireError(str(path), where, "value", entry.get("value"), str(exc)) from exc
        for link in entry["evidence"]:
            if not (link.startswith(("https://", "http://")) or link.startswith("doc:")):
                raise QuestionnaireError(str(path), where, "evidence", link,
                                         "an evidence link starts with https://, http:// or doc:")
    return q
