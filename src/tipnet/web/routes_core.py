"""Home, data dictionary, standard schemas, submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from tipnet import STANDARD_VERSION
from tipnet.standard import load_standard
from tipnet.standard.schemas import dictionary_markdown, json_schema, table_schema
from tipnet.store.repo import count_aggregates, count_persons, get_submission, list_submissions
from tipnet.web.errors import ApiError
from tipnet.web.i18n import negotiate

router = APIRouter()


@router.get("/")
@router.get("/index.json")
def home(request: Request) -> Response:
    db = request.app.state.db
    std = load_standard()
    subs = list_submissions(db)
    data = {
        "standard": STANDARD_VERSION,
        "fields": len(std.fields),
        "vocabularies": len(std.vocabularies),
        "persons": count_persons(db),
        "aggregates": count_aggregates(db),
        "submissions": len(subs),
    }
    return request.app.state.page(request, "home.html", data)


def dictionary_data(lang: str) -> dict[str, Any]:
    std = load_standard()
    return {
        "version": std.version,
        "language": lang,
        "fields": [
            {
                "name": f.name,
                "label": f.label(lang),
                "type": f.type,
                "entity": f.entity,
                "required": f.required,
                "identifying": f.identifying,
                "vocabulary": f.vocabulary,
                "htcds": f.htcds,
                "description": f.describe(lang),
            }
            for f in std.fields
        ],
        "vocabularies": [
            {
                "id": v.id,
                "label": v.labels.get(lang, v.labels.get("en", v.id)),
                "values": [
                    {
                        "code": x.code,
                        "label": x.label(lang),
                        **{k: x.attrs[k] for k in ("htcds", "ctdc", "glotip", "iccs") if k in x.attrs},
                    }
                    for x in v.values
                ],
            }
            for v in std.vocabularies.values()
        ],
    }


@router.get("/dictionary")
@router.get("/dictionary.json")
def dictionary(request: Request) -> Response:
    return request.app.state.page(request, "dictionary.html", dictionary_data(negotiate(request)))


@router.get("/dictionary.md")
def dictionary_md(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        dictionary_markdown(negotiate(request)), media_type="text/markdown; charset=utf-8"
    )


@router.get("/standard/record.schema.json")
def standard_json_schema() -> JSONResponse:
    return JSONResponse(json_schema())


@router.get("/standard/table-schema.json")
def standard_table_schema() -> JSONResponse:
    return JSONResponse(table_schema())


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@router.get("/submissions")
@router.get("/submissions.json")
def submissions(request: Request) -> Response:
    rows = [_jsonable(r) for r in list_submissions(request.app.state.db)]
    for r in rows:
        r.pop("quarantine_path", None)
    return request.app.state.page(request, "submissions.html", {"submissions": rows})


def _submission(request: Request, submission_id: int) -> dict[str, Any]:
    sub = get_submission(request.app.state.db, submission_id)
    if sub is None:
        raise ApiError(404, "not-found", f"no submission {submission_id}")
    sub = _jsonable(sub)
    sub["has_quarantine"] = bool(sub.pop("quarantine_path", None))
    return sub


@router.get("/submissions/{submission_id}")
@router.get("/submissions/{submission_id}.json")
def submission(request: Request, submission_id: str) -> Response:
    sid = submission_id.removesuffix(".json")
    if not sid.isdigit():
        raise ApiError(404, "not-found", f"no submission {sid}")
    return request.app.state.page(request, "submission.html", _submission(request, int(sid)))


@router.get("/submissions/{submission_id}/quarantine.csv")
def quarantine_file(request: Request, submission_id: int) -> FileResponse:
    sub = get_submission(request.app.state.db, submission_id)
    if sub is None or not sub.get("quarantine_path"):
        raise ApiError(404, "not-found", f"submission {submission_id} has no quarantined rows")
    path = Path(sub["quarantine_path"])
    if not path.is_file():
        raise ApiError(404, "not-found", "the quarantine file is no longer on disk")
    return FileResponse(path, media_type="text/csv", filename=path.name)
