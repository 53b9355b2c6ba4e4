"""Progress indicators and national diagnostic assessments: public scorecards and reports (published versions only,
disclosure-controlled), and the self-assessment questionnaire of a country and year with its workflow and history.

The web layer only assembles what `tipnet.assess` computes; who may see or change an assessment is decided there
(through `tipnet.auth.tenancy.Scope`)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tipnet.assess import framework as fwmod
from tipnet.assess import repo, report, service
from tipnet.assess.scoring import AnswerError, score
from tipnet.assess.statistics import FigureBook
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.sources import SourceCache
from tipnet.auth.tenancy import Scope
from tipnet.errors import NotVisible
from tipnet.i18n import translate
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.store import Database
from tipnet.web.accept import wants_json
from tipnet.web.deps import CallerScope, Db, Lang, Me, Sources
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
READ = needs(Permission.ASSESS_READ)
EDIT = needs(Permission.ASSESS_EDIT)


def _fw(request: Request) -> fwmod.Framework:
    name = request.query_params.get("framework")
    try:
        return fwmod.get(name)
    except KeyError as exc:
        raise ApiError(404, "not-found", str(exc)) from exc


def _code(iso3: str) -> str:
    code = iso3.upper()
    if len(code) != 3 or not code.isalpha():
        raise ApiError(404, "not-found", f"no country {code}")
    return code


def _year(value: Any, default: int | None = None) -> int:
    if value in (None, ""):
        if default is None:
            raise ApiError(422, "invalid-request", "give a year")
        return default
    text = str(value)
    if not text.isdigit() or not 1990 <= int(text) <= 2100:
        raise ApiError(422, "invalid-request", f"{value!r} is not a year")
    return int(text)


def _t(lang: str) -> Any:
    return lambda key, **kw: translate(lang, key, **kw)


@router.page("/assess")
@access(PUBLIC)
def overview(request: Request, db: Db, lang: Lang) -> Page:
    fw = _fw(request)
    year = request.query_params.get("year")
    data = service.hemisphere(db, fw, _year(year) if year else None)
    for row in data["countries"]:
        row["name"] = country_name(row["country"], lang)
    data["domain_labels"] = {d.id: fw.to_dict(lang)["domains"][n]["label"] for n, d in enumerate(fw.domains)}
    data["title"] = fw.to_dict(lang)["title"]
    data["rating_labels"] = {r.code: r.labels.get(lang, r.labels["en"]) for r in fw.ratings}
    return Page("assess_overview.html", data, context={"pct": report.pct})


@router.page("/assess/live")
@access(READ)
def live_hemisphere(request: Request, db: Db, me: Me, scope: CallerScope, lang: Lang, sources: Sources) -> Page:
    """Scorecards of one year recomputed now, for review before publication: every member state for the hub (from
    the statistics it may see and each country's newest submitted answers), one's own country otherwise. Not
    public: the published scorecards (`/assess`) are the disclosure-controlled ones."""
    fw = _fw(request)
    year = _year(request.query_params.get("year"), _default_year())
    countries = list(OAS_MEMBERS) if scope.kind in ("hub", "all") else [c for c in (scope.country,) if c]
    source = sources.for_principal(me)
    rows = service.recompute(db, me, source, fw, year, countries)
    data = {"framework": fw.key, "title": fw.to_dict(lang)["title"], "year": year,
            "domain_labels": {d.id: d.labels.get(lang, d.labels["en"]) for d in fw.domains},
            "rating_labels": {r.code: r.labels.get(lang, r.labels["en"]) for r in fw.ratings},
            "countries": [{"country": r["country"], "name": country_name(r["country"], lang), "status": r["status"],
                           "has_data": r["has_data"],
                           **{k: v for k, v in r["scorecard"].to_dict().items()
                              if k in ("total", "rating", "domains")}} for r in rows]}
    return Page("assess_live.html", data, context={"pct": report.pct})


@router.page("/assess/{iso3}")
@access(PUBLIC)
def country_page(request: Request, iso3: str, db: Db, lang: Lang) -> Page:
    code = _code(iso3)
    fw = _fw(request)
    data = {"country": code, "name": country_name(code, lang), "framework": fw.key,
            "trend": service.trend(db, fw, code),
            "domain_labels": {d.id: d.labels.get(lang, d.labels["en"]) for d in fw.domains},
            "rating_labels": {r.code: r.labels.get(lang, r.labels["en"]) for r in fw.ratings}}
    return Page("assess_country.html", data, context={"pct": report.pct})


def _published_report(request: Request, db: Database, code: str, lang: str) -> dict[str, Any]:
    fw = _fw(request)
    pubs = repo.published(db, fw.id, code)
    year = request.query_params.get("year")
    chosen = [p for p in pubs if year in (None, "") or p["year"] == _year(year)]
    if not chosen:
        raise ApiError(404, "not-found", f"no published assessment of {code}" + (f" for {year}" if year else ""))
    p = chosen[-1]
    earlier = [q for q in pubs if q["year"] < p["year"]]
    return report.build(fw, code, country_name(code, lang), p["year"], p["scorecard"], lang,
                        earlier[-1]["scorecard"] if earlier else None, earlier[-1]["year"] if earlier else None,
                        published=True, trend=service.trend(db, fw, code))


def _charts(request: Request, db: Database, data: dict[str, Any], lang: str,
            folder: Path) -> tuple[Path, Path, Path | None]:
    fw = _fw(request)
    chart = report.domain_chart(data, folder / "domains.png", _t(lang))
    hemi = service.hemisphere(db, fw, data["year"])
    values = {r["country"]: (r["total"][0] + r["total"][1]) / 2 * 100 for r in hemi["countries"]}
    return (chart, report.hemisphere_map(values, folder / "map.png", _t(lang), lang),
            report.trend_chart(data, folder / "trend.png", _t(lang)))


@router.page("/assess/{iso3}/report")
@access(PUBLIC)
def report_page(request: Request, iso3: str, db: Db, lang: Lang) -> Page:
    code = _code(iso3)
    data = _published_report(request, db, code, lang)
    if wants_json(request):  # the charts are drawn for the page only
        return Page("assess_report.html", data)
    with tempfile.TemporaryDirectory() as tmp:
        chart, map_png, trend = _charts(request, db, data, lang, Path(tmp))
        ctx = {"pct": report.pct, "chart": report.data_uri(chart), "map_png": report.data_uri(map_png),
               "trend": report.data_uri(trend) if trend else None}
    return Page("assess_report.html", data, context=ctx)


@router.get("/assess/{iso3}/report.pdf")
@access(PUBLIC)
def report_pdf(request: Request, iso3: str, db: Db, lang: Lang) -> Response:
    code = _code(iso3)
    data = _published_report(request, db, code, lang)
    with tempfile.TemporaryDirectory() as tmp:
        chart, map_png, trend = _charts(request, db, data, lang, Path(tmp))
        out = report.pdf(data, Path(tmp) / "report.pdf", _t(lang), chart, map_png, trend)
        body = out.read_bytes()
    name = f"assessment-{code}-{data['year']}-{lang}.pdf"
    return Response(body, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'})


# --- the questionnaire --------------------------------------------------------------------------------------------


def _default_year() -> int:
    return dt.date.today().year - 1


def _questionnaire(request: Request, db: Database, me: Principal, scope: Scope, lang: str, sources: SourceCache,
                   code: str, year: int, error: str | None = None, status: int = 200) -> Page:
    if not (scope.owns(code) or scope.kind in ("hub", "all")):
        raise NotVisible("no such assessment")
    fw = _fw(request)
    source = sources.for_principal(me)
    book = FigureBook.from_source(source, (code,))
    now = service.live(db, me, source, fw, code, year, book)
    card = now["scorecard"]
    prev = repo.get(db, me, fw.id, code, year - 1)
    earlier = None
    if prev is not None:
        frozen = prev["current"]["figures"]
        figs = service.figures_from_json(frozen) if frozen else book.get(code, year - 1)
        earlier = score(fw, service.answer_values(service.answers_of(prev)), figs)
    assessment = now["assessment"]
    status_now = assessment["status"] if assessment else "draft"
    history = repo.history(db, me, fw.id, code, year)
    actions = [a for a, (sources, _, perm, own) in repo.TRANSITIONS.items()
               if status_now in sources and me.can(perm) and (scope.owns(code) or not own) and assessment]
    data = {
        "country": code, "name": country_name(code, lang), "year": year, "framework": fw.to_dict(lang),
        "status": status_now, "version": assessment["version"] if assessment else 0,
        "published_version": assessment["published_version"] if assessment else None,
        "may_edit": status_now == "draft" and me.can(Permission.ASSESS_EDIT) and scope.owns(code),
        "actions": actions, "answers": now["answers"], "figures_frozen": now["figures_frozen"],
        "scorecard": card.to_dict(),
        "figures": {k: {**v.to_dict(), "shown": report.show(v, lang=lang)} for k, v in sorted(now["figures"].items())},
        "comparison": service.compare(fw, card, earlier) if earlier else [],
        "earlier_year": year - 1 if earlier else None,
        "history": [{k: v for k, v in h.items() if k not in ("answers", "figures", "scorecard")} for h in history],
        "error": {"message": error} if error else None,
    }
    return Page("assess_questionnaire.html", data, status=status, context={"pct": report.pct, "countries": OAS_MEMBERS})


@router.page("/assess/{iso3}/questionnaire")
@access(READ)
def questionnaire(request: Request, iso3: str, db: Db, me: Me, scope: CallerScope, lang: Lang,
                  sources: Sources) -> Page:
    return _questionnaire(request, db, me, scope, lang, sources, _code(iso3),
                          _year(request.query_params.get("year"), _default_year()))


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = await request.form()
    out: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read(_MAX_FILE + 1)
        if len(data) > _MAX_FILE:
            raise ApiError(413, "too-large", f"a questionnaire file is at most {_MAX_FILE} bytes")
        out["_file"] = (Path(upload.filename).name, data)
    return out


_MAX_FILE = 2 * 1024 * 1024


def _read_file(fw: fwmod.Framework, code: str, name: str, data: bytes) -> tuple[int | None, dict[str, Any]]:
    """A questionnaire file (YAML, JSON or CSV) posted with the form: its year and its answers."""
    from tipnet.assess.questionnaire import QuestionnaireError, read

    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"questionnaire{suffix}"
        path.write_bytes(data)
        try:
            q = read(path, fw)
        except QuestionnaireError as exc:
            raise AnswerError(str(exc).replace(str(path), name)) from exc
    if q.country and q.country != code:
        raise AnswerError(f"{name}: the file is for {q.country}, this page for {code}")
    return q.year, q.answers


def _answers_from_form(fw: fwmod.Framework, form: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in fw.questions():
        if f"v:{q.id}" not in form:
            continue
        value = str(form.get(f"v:{q.id}") or "").strip()
        evidence = str(form.get(f"e:{q.id}") or "").strip()
        note = str(form.get(f"n:{q.id}") or "").strip()
        answers[q.id] = {"value": value or None, "evidence": evidence, "note": note or None} if value else None
    return answers


@router.page("/assess/{iso3}/questionnaire", methods=["POST"])
@access(EDIT)
async def questionnaire_save(request: Request, iso3: str, db: Db, me: Me, scope: CallerScope, lang: Lang,
                             sources: Sources) -> Page | Done:
    code = _code(iso3)
    fw = _fw(request)
    body = await _body(request)
    year = _year(body.get("year") or request.query_params.get("year"), _default_year())
    action = "save"
    answers: dict[str, Any] | None
    try:
        if "_file" in body:
            file_year, answers = _read_file(fw, code, *body["_file"])
            year, action = file_year or year, "import"
        else:
            answers = body.get("answers") if isinstance(body.get("answers"), dict) else _answers_from_form(fw, body)
        saved = await run_in_threadpool(service.save_answers, db, me, fw, code, year, answers or {}, action)
    except AnswerError as exc:
        if wants_json(request):
            raise ApiError(422, "invalid-answer", str(exc)) from exc
        return _questionnaire(request, db, me, scope, lang, sources, code, year, str(exc), status=422)
    return Done({"country": code, "year": year, **saved}, redirect=f"/assess/{code}/questionnaire?year={year}")


@router.page("/assess/{iso3}/workflow", methods=["POST"])
@access(READ)
async def workflow(request: Request, iso3: str, db: Db, me: Me, sources: Sources) -> Done:
    code = _code(iso3)
    fw = _fw(request)
    body = await _body(request)
    year = _year(body.get("year") or request.query_params.get("year"), _default_year())
    action = str(body.get("action") or "")
    if action not in repo.TRANSITIONS:
        raise ApiError(422, "invalid-request", f"action must be one of {', '.join(repo.TRANSITIONS)}")
    source = sources.for_principal(me)
    done = await run_in_threadpool(service.step, db, me, source, fw, code, year, action,
                                   str(body.get("comment") or "") or None)
    return Done({"country": code, "year": year, **done}, redirect=f"/assess/{code}/questionnaire?year={year}")
