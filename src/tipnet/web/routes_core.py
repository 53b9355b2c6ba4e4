"""Home, data dictionary, standard schemas, submissions (scoped to the caller's country, or the hub's view)."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse

from tipnet import STANDARD_VERSION
from tipnet.auth import home as home_actions
from tipnet.auth import records
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.cases import listing
from tipnet.i18n import translate
from tipnet.standard import load_standard
from tipnet.standard.countries import OAS_MEMBERS, countries_by_name, country_name, known_countries
from tipnet.standard.schemas import dictionary_markdown, json_schema, table_schema
from tipnet.store import paging
from tipnet.web import cases_view, pager
from tipnet.web.deps import Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.params import StoreId
from tipnet.web.security import access

router = PageRouter()


@router.page("/", twin="/index.json")
@access(PUBLIC)
def home(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    """A place to start, by role: its next actions first (enter a case and drafts to resume; the country's last
    imports and what waits to be fixed; what arrived from each country), then the platform's other doors."""
    std = load_standard()
    data: dict[str, Any] = {
        "standard": STANDARD_VERSION,
        "fields": len(std.fields),
        "vocabularies": len(std.vocabularies),
        "role": home_kind(me),
    }
    counts = records.counts(db, me)
    if counts is not None:  # the public sees no figures from the store (released statistics are under /releases)
        data.update(counts)
    context: dict[str, Any] = {}
    if me.can(Permission.CASES_WRITE):
        data["drafts"] = listing.drafts(db, me)
        context["sex"] = cases_view.vocabulary_labels(lang, "sex")
    if me.can(Permission.UPLOAD) and me.country:
        data["national"] = home_actions.national(db, me)
    if me.hub and me.can(Permission.SUBMISSIONS_READ):
        data["arrivals"] = [{**r, "country_name": country_name(r["reporting_country"], lang)}
                            for r in home_actions.arrivals(db, me)]
    return Page("home.html", data, context=context)


def home_kind(me: Principal) -> str:
    """Which home a person gets: `public` (not signed in), `hub`, `national` (a country's analyst or focal point),
    `cases` (a victim-service worker), `cooperation` (an investigator or prosecutor)."""
    if not me.authenticated:
        return "public"
    if me.hub:
        return "hub"
    if me.can(Permission.UPLOAD):
        return "national"
    if me.can(Permission.CASES_WRITE):
        return "cases"
    return "cooperation"


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


@router.page("/dictionary")
@access(PUBLIC)
def dictionary(request: Request, lang: Lang) -> Page:
    return Page("dictionary.html", dictionary_data(lang))


@router.get("/dictionary.md")
@access(PUBLIC)
def dictionary_md(lang: Lang) -> PlainTextResponse:
    return PlainTextResponse(dictionary_markdown(lang), media_type="text/markdown; charset=utf-8")


@router.get("/standard/record.schema.json")
@access(PUBLIC)
def standard_json_schema() -> JSONResponse:
    return JSONResponse(json_schema())


@router.get("/standard/table-schema.json")
@access(PUBLIC)
def standard_table_schema() -> JSONResponse:
    return JSONResponse(table_schema())


def _id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no submission {value}")
    return int(value)


SUBMISSION_KINDS = ("records", "aggregates")


@router.page("/submissions")
@access(needs(Permission.SUBMISSIONS_READ))
def submissions(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    """One page of the submissions in scope, newest first, filtered by words, country, kind and year; the JSON
    twin returns the same page and its totals (`page`)."""
    q = request.query_params
    years = records.submission_years(db, me)
    filters = records.SubmissionFilters(
        text=paging.search_text(q.get("q")) or None,
        country=paging.choice("country", (q.get("country") or "").upper(), known_countries()),
        kind=paging.choice("kind", q.get("kind"), SUBMISSION_KINDS), year=paging.year(q.get("year")))
    found = records.page_submissions(db, me, pager.page_request(request), filters)
    data = {"submissions": found.rows, "page": found.meta(), "scope": me.country or "hub",
            "filters": {"q": filters.text or "", "country": filters.country or "", "kind": filters.kind or "",
                        "year": filters.year}}
    fields = [pager.search("q", translate(lang, "list.search"), filters.text),
              pager.select("kind", translate(lang, "list.kind"), filters.kind,
                           [(k, translate(lang, f"list.submission_kind.{k}")) for k in SUBMISSION_KINDS]),
              pager.select("year", translate(lang, "list.year"), str(filters.year or ""),
                           [(str(y), str(y)) for y in years])]
    if not me.country:  # a country's users see their own country's submissions only
        fields.insert(1, pager.select("country", translate(lang, "list.country"), filters.country,
                                      [(c["code"], c["name"]) for c in countries_by_name(OAS_MEMBERS, lang)]))
    context = {"pager": pager.pager_of(request, found), "fields": fields,
               "country_names": {c: country_name(c, lang) for c in {r["reporting_country"] for r in found.rows} if c}}
    return Page("submissions.html", data, context=context)


@router.page("/submissions/{submission_id}")
@access(needs(Permission.SUBMISSIONS_READ))
def submission(request: Request, submission_id: str, db: Db, me: Me) -> Page:
    data = records.get_submission(db, me, _id(submission_id))
    data["can_share"] = me.can(Permission.SHARE) and me.country == data["reporting_country"]
    done = request.query_params.get("done")
    return Page("submission.html", data, context={"note": done if done in ("committed", "already") else None})


@router.get("/submissions/{submission_id}/quarantine.csv")
@access(needs(Permission.RECORDS_READ))
def quarantine_file(submission_id: StoreId, db: Db, me: Me) -> FileResponse:
    path = records.quarantine_file(db, me, submission_id)
    return FileResponse(path, media_type="text/csv", filename=path.name)


@router.get("/submissions/{submission_id}/records.csv")
@access(needs(Permission.RECORDS_READ))
def records_file(submission_id: StoreId, db: Db, me: Me) -> StreamingResponse:
    chunks = records.export_records(db, me, submission_id)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="submission-{submission_id}.csv"'})


@router.page("/submissions/{submission_id}/sharing", methods=["POST"])
@access(needs(Permission.SHARE))
def sharing(request: Request, submission_id: str, db: Db, me: Me, shared: bool = Form(...)) -> Done:
    sid = _id(submission_id)
    result = records.set_shared(db, me, sid, shared)
    return Done(result, redirect=f"/submissions/{sid}")
