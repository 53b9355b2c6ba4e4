"""Figures held for review: one submission's aggregate figures that the import's plausibility checks held out of
statistics, with the checks each failed. Reading is scoped and audited by `tipnet.auth.review`; confirming or
correcting a figure is done there too (`tipnet review confirm|correct` at the command line).
"""

from __future__ import annotations

from fastapi import Request

from tipnet.auth import review
from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.web.deps import Db, Me
from tipnet.web.pages import Page, PageRouter
from tipnet.web.params import StoreId
from tipnet.web.security import access

router = PageRouter()


@router.page("/submissions/{submission_id}/review")
@access(needs(Permission.RECORDS_READ))
def held(request: Request, submission_id: StoreId, db: Db, me: Me, all: bool = False) -> Page:
    """The submission's held figures (`?all=true`: also those already confirmed or corrected)."""
    return Page("review.html", review.held_figures(db, me, submission_id, include_reviewed=all))
