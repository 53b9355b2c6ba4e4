"""Home, data dictionary, standard schemas, submissions (scoped to the caller's country, or the hub's view)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from tipnet import STANDARD_VERSION
from tipnet.auth import records
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.roles import Permission
from tipnet.standard import load_standard
from tipnet.standard.schemas import dictionary_markdown, json_schema, table_schema
from tipnet.web.errors import ApiError
from tipnet.web.i18n import negotiate
from tipnet.web.params import StoreId
from tipnet.web.security import access, principal

router = APIRouter()


@router.get("/")
@router.get("/index.json")
@access(PUBLIC)
def home(request: Request) -> Response:
    std = load_standard()
    data: dict[str, Any] = {
        "standard": STANDARD_VERSION,
        "fields": len(std.fields),
        "vocabularies": len(std.vocabularies),
    }
    counts = records.counts(request.app.state.db, principal(request))
    if counts is not None:  # the public sees no figures from the store (released statistics are under /releases)
        data.update(counts)
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
@access(PUBLIC)
def dictionary(request: Request) -> Response:
    return request.app.state.page(request, "dictionary.html", dictionary_data(negotiate(request)))


@router.get("/dictionary.md")
@access(PUBLIC)
def dictionary_md(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        dictionary_markdown(negotiate(request)), media_type="text/markdown; charset=utf-8"
    )


@router.get("/standard/record.schema.json")
@access(PUBLIC)
def standard_json_schema() -> JSONResponse:
    return JSONResponse(json_schema())


@router.get("/standard/table-schema.json")
@access(PUBLIC)
def standard_table_schema() -> JSONResponse:
    return JSONResponse(table_schema())


def _id(value: str) -> int:
    sid = value.removesuffix(".json")
    if not sid.isdigit() or len(sid) > 12:
        raise ApiError(404, "not-found", f"no submission {sid}")
    return int(sid)


@router.get("/submissions")
@router.get("/submissions.json")
@access(needs(Permission.SUBMISSIONS_READ))
def submissions(request: Request) -> Response:
    me = principal(request)
    rows = records.list_submissions(request.app.state.db, me)
    return request.app.state.page(request, "submissions.html", {"submissions": rows, "scope": me.country or "hub"})


@router.get("/submissions/{submission_id}")
@router.get("/submissions/{submission_id}.json")
@access(needs(Permission.SUBMISSIONS_READ))
def submission(request: Request, submission_id: str) -> Response:
    me = principal(request)
    data = records.get_submission(request.app.state.db, me, _id(submission_id))
    data["can_share"] = me.can(Permission.SHARE) and me.country == data["reporting_country"]
    return request.app.state.page(request, "submission.html", data)


@router.get("/submissions/{submission_id}/quarantine.csv")
@access(needs(Permission.RECORDS_READ))
def quarantine_file(request: Request, submission_id: StoreId) -> FileResponse:
    path = records.quarantine_file(request.app.state.db, principal(request), submission_id)
    return FileResponse(path, media_type="text/csv", filename=path.name)


@router.get("/submissions/{submission_id}/records.csv")
@access(needs(Permission.RECORDS_READ))
def records_file(request: Request, submission_id: StoreId) -> StreamingResponse:
    chunks = records.export_records(request.app.state.db, principal(request), submission_id)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="submission-{submission_id}.csv"'})


@router.post("/submissions/{submission_id}/sharing")
@router.post("/submissions/{submission_id}/sharing.json")
@access(needs(Permission.SHARE))
def sharing(request: Request, submission_id: str, shared: bool = Form(...)) -> Response:
    sid = _id(submission_id)
    result = records.set_shared(request.app.state.db, principal(request), sid, shared)
    if request.url.path.endswith(".json"):
        return JSONResponse(result)
    return RedirectResponse(f"/submissions/{sid}", status_code=303)
