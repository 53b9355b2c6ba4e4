"""Figures held for review: one submission's aggregate figures that the import's plausibility checks held out of
statistics, with the checks each failed, and the forms that confirm a figure as written or correct it. Reading,
confirming and correcting are scoped and audited by `tipnet.auth.review` (also `tipnet review confirm|correct` at
the command line).

A browser posting a form is sent back to the page (303), which says what was done; a refused value or a missing
reason shows the page again with the message (422). JSON clients get the reviewed figure, or the one error shape.
"""

from __future__ import annotations

from fastapi import Form, Request

from tipnet.auth import review
from tipnet.auth.policy import needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.errors import Invalid
from tipnet.store import Database
from tipnet.web.accept import wants_json
from tipnet.web.deps import Db, Me
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.params import StoreId
from tipnet.web.security import access

router = PageRouter()
REVIEW = needs(Permission.UPLOAD)  # the permission `review.confirm` and `review.correct` check (plus ownership)


def _back(submission_id: int, figure_id: int, done: str) -> str:
    return f"/submissions/{submission_id}/review?done={done}&figure={figure_id}"


def _refused(request: Request, db: Database, me: Principal, submission_id: int, figure_id: int,
             error: Invalid) -> Page:
    """JSON clients get the error shape; a browser the page again, with the message by the figure."""
    if wants_json(request):
        raise error
    details = error.details if isinstance(error.details, dict) else {}
    kind = "value" if "value" in details else "reason" if "reason" in details else "reviewed"
    data = review.held_figures(db, me, submission_id)
    return Page("review.html", data, status=error.status,
                context={"error": {"figure": figure_id, "kind": kind, "message": error.message}})


@router.page("/submissions/{submission_id}/review")
@access(needs(Permission.RECORDS_READ))
def held(request: Request, submission_id: StoreId, db: Db, me: Me, all: bool = False,
         done: str = "", figure: int = 0) -> Page:
    """The submission's held figures (`?all=true`: also those already confirmed or corrected). After a form post
    the page says which figure was just confirmed or corrected (`done`, `figure`: words for the page only)."""
    context = {"done": {"kind": done, "figure": figure}} if done in (review.CONFIRMED, review.CORRECTED) else {}
    return Page("review.html", review.held_figures(db, me, submission_id, include_reviewed=all), context=context)


@router.page("/submissions/{submission_id}/review/{figure_id}/confirm", methods=["POST"])
@access(REVIEW)
def confirm(request: Request, submission_id: StoreId, figure_id: StoreId, db: Db, me: Me,
            reason: str = Form("")) -> Page | Done:
    """Release a held figure into statistics as the source wrote it (a reason is optional, and audited)."""
    try:
        figure = review.confirm(db, me, figure_id, reason.strip() or None, submission_id=submission_id)
    except Invalid as error:
        return _refused(request, db, me, submission_id, figure_id, error)
    return Done(figure, redirect=_back(submission_id, figure_id, review.CONFIRMED))


@router.page("/submissions/{submission_id}/review/{figure_id}/correct", methods=["POST"])
@access(REVIEW)
def correct(request: Request, submission_id: StoreId, figure_id: StoreId, db: Db, me: Me,
            value: str = Form(""), reason: str = Form("")) -> Page | Done:
    """Give a held figure its right value (a whole number, or `<5`) and release it; the reason is required."""
    try:
        if not reason.strip():
            raise Invalid("say where the right value comes from (a reason is required)", {"reason": reason})
        figure = review.correct(db, me, figure_id, value.strip(), reason.strip(), submission_id=submission_id)
    except Invalid as error:
        return _refused(request, db, me, submission_id, figure_id, error)
    return Done(figure, redirect=_back(submission_id, figure_id, review.CORRECTED))
