"""Cases in the store: save a draft, resume it, discard it, submit it, correct it, withdraw consent. Scoped and
audited.

States: `draft` -> `submitted`; a draft can also be discarded (deleted: it was never counted or shared). A draft
belongs to the person entering it (nobody else reads it) and is saved as typed, whatever its problems. Submitting
checks the whole form (`tipnet.cases.validate`); a case that passes becomes one submission with one person in the
store (so the statistics count it). A submitted case is not edited as a draft is: the person who entered it may
correct it (`correct`: a reason is required, every rule must still pass, the stored person follows, and the case
keeps a history of which fields were corrected, when and why); the assistance plan has its own update; consent is
never corrected but withdrawn, and a withdrawal takes effect at once on the stored person (a withdrawn
`consent_share_hub` is false, so the hub no longer sees the person; without consent to processing, identifying
fields are erased there). Every read and every change is written to the audit log, without the values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.cases import record, referral
from tipnet.cases.spec import ALL_FIELDS, CHOICES, CONSENT_IN_STANDARD, CONSENT_ITEMS, PLAN_FIELDS
from tipnet.cases.validate import Checked, FieldError, check, clean, merge
from tipnet.errors import Forbidden, Invalid, NotVisible, TipnetError
from tipnet.standard import load_standard
from tipnet.store import Database, revision
from tipnet.store.tables import persons, submissions
from tipnet.store.tables_auth import submission_sharing
from tipnet.store.tables_cases import case_consents, case_corrections, cases

DRAFT, SUBMITTED = "draft", "submitted"
PLAN_NAMES = frozenset(s.name for s in PLAN_FIELDS)
PROFILE = "case_entry"
# What a correction may change: everything but the consent record (withdrawn, never rewritten) and the plan (its own
# update).
CORRECTABLE = frozenset(s.name for s in ALL_FIELDS if s.section not in ("consent", "plan") and s.name not in PLAN_NAMES)
REASON_MAX = 500


class Conflict(TipnetError):
    """The case changed since the form was loaded, or is no longer a draft."""

    status, code = 409, "conflict"


class CaseInvalid(Invalid):
    """The case cannot be submitted yet: `details` lists every problem (field, code, value, message)."""

    def __init__(self, public_id: str, errors: list[FieldError]) -> None:
        super().__init__(f"case {public_id} cannot be submitted: " + "; ".join(e.message for e in errors[:5]),
                         {"case": public_id, "errors": [e.to_dict() for e in errors]})
        self.errors = errors


@dataclass
class Case:
    id: int
    public_id: str
    country: str
    status: str
    version: int
    data: dict[str, Any]
    is_minor: bool
    created_by: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    submitted_at: dt.datetime | None
    submission_id: int | None
    risk_level: str | None
    referral_provider: str | None
    referral_authority_id: str | None
    consents: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)

    def checked(self, submitting: bool = False) -> Checked:
        return check(self.data, clock.now().date(), submitting=submitting)

    def to_dict(self) -> dict[str, Any]:
        def iso(v: dt.datetime | None) -> str | None:
            return v.isoformat() if v is not None else None

        return {"id": self.public_id, "country": self.country, "status": self.status, "version": self.version,
                "is_minor": self.is_minor, "risk_level": self.risk_level, "referral_provider": self.referral_provider,
                "referral_authority_id": self.referral_authority_id, "created_at": iso(clock.aware(self.created_at)),
                "updated_at": iso(clock.aware(self.updated_at)), "submitted_at": iso(clock.aware(self.submitted_at)),
                "submission_id": self.submission_id, "data": self.data, "consents": self.consents,
                "corrections": self.corrections, "correctable": self.status == SUBMITTED}


def _case(row: Any) -> Case:
    m = row._mapping
    return Case(id=m["id"], public_id=m["public_id"], country=m["country"], status=m["status"], version=m["version"],
                data=json.loads(m["data_json"]), is_minor=bool(m["is_minor"]), created_by=m["created_by"],
                created_at=m["created_at"], updated_at=m["updated_at"], submitted_at=m["submitted_at"],
                submission_id=m["submission_id"], risk_level=m["risk_level"],
                referral_provider=m["referral_provider"], referral_authority_id=m["referral_authority_id"])


def visible(who: Principal) -> Any:
    """The condition on `cases` of the rows this principal may read (its own drafts; its country's submitted cases
    with the right to read them)."""
    return Scope.of(who).cases(who.user_id, who.can(Permission.CASES_READ))


def _entry_country(who: Principal) -> str:
    """Cases are entered in one's own country; the hub and the operator enter none."""
    scope = Scope.of(who)
    if scope.kind != "country" or not scope.country or not who.can(Permission.CASES_WRITE):
        raise Forbidden("cases are entered by a country's service providers, focal points and analysts")
    return scope.country


def _load(db: Database, who: Principal, public_id: str) -> Case:
    with db.engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.public_id == public_id, visible(who))).first()
        if row is None:
            raise NotVisible(f"no case {public_id}")
        case = _case(row)
        events = conn.execute(select(case_consents).where(case_consents.c.case_id == case.id)
                              .order_by(case_consents.c.id)).all()
        fixes = conn.execute(select(case_corrections).where(case_corrections.c.case_id == case.id)
                             .order_by(case_corrections.c.id)).all()
    case.corrections = [{"version": f.version, "fields": f.fields.split(";"), "reason": f.reason,
                         "corrected_at": clock.aware(f.corrected_at).isoformat()}  # type: ignore[union-attr]
                        for f in fixes]
    case.consents = [{"item": e.item, "event": e.event, "given_by": e.given_by, "on_date": e.on_date,
                      "note": e.note, "recorded_at": clock.aware(e.recorded_at).isoformat()  # type: ignore[union-attr]
                      } for e in events]
    return case


def _columns(data: dict[str, Any], checked: Checked) -> dict[str, Any]:
    v = checked.values
    return {"data_json": json.dumps(data, ensure_ascii=False, sort_keys=True), "is_minor": checked.minor,
            "risk_level": v.get("risk_level"), "referral_provider": v.get("referral_provider"),
            "referral_authority_id": (v.get("referral_authority_id") or None)}


def new_public_id(country: str) -> str:
    return f"{country}-{secrets.token_hex(5).upper()}"


def save(db: Database, who: Principal, form: Mapping[str, Any], public_id: str | None = None,
         version: int | None = None) -> tuple[Case, Checked]:
    """Create a draft, or save the posted fields into one's own draft. Never refused for what the fields hold: the
    problems come back with the case (a draft keeps what was typed)."""
    country = _entry_country(who)
    posted = set(form)
    now = clock.now()
    if public_id is None:
        data = clean(form)
        checked = check(data, now.date())
        public_id = new_public_id(country)
        with db.engine.begin() as conn:
            conn.execute(cases.insert().values(
                public_id=public_id, country=country, status=DRAFT, version=1, created_by=who.user_id,
                created_at=now, updated_by=who.user_id, updated_at=now, **_columns(data, checked)))
        action = "case.create"
    else:
        current = _load(db, who, public_id)
        _editable(who, current, version)
        data = merge(current.data, clean(form), posted)
        checked = check(data, now.date())
        with db.engine.begin() as conn:
            _next_version(conn, who, current, DRAFT, now, _columns(data, checked))
        action = "case.save"
    audit.record(db, who, action, object_type="case", object_id=public_id, subject_country=country,
                 details={"filled": sum(1 for v in data.values() if v not in ("", [], None)),
                          "problems": len(checked.errors), "minor": checked.minor})
    return _load(db, who, public_id), checked


def _next_version(conn: Any, who: Principal, case: Case, status: str, now: dt.datetime,
                  values: dict[str, Any]) -> None:
    """Write `values` as the case's next version, if nobody changed it since it was loaded (else Conflict, which
    rolls the caller's transaction back)."""
    done = conn.execute(cases.update().where(cases.c.id == case.id, cases.c.version == case.version,
                                             cases.c.status == status)
                        .values(version=case.version + 1, updated_by=who.user_id, updated_at=now, **values)).rowcount
    if done != 1:
        raise Conflict(f"case {case.public_id} was changed meanwhile; reload it")


def _editable(who: Principal, case: Case, version: int | None) -> None:
    if case.status != DRAFT:
        raise Conflict(f"case {case.public_id} was submitted; it can no longer be changed (consent can still be "
                       "withdrawn)")
    if case.created_by != who.user_id:
        raise NotVisible(f"no case {case.public_id}")
    if version is not None and version != case.version:
        raise Conflict(f"case {case.public_id} was saved elsewhere since this form was loaded (version "
                       f"{case.version}, the form has {version}); reload it")


def discard(db: Database, who: Principal, public_id: str, version: int | None = None) -> None:
    """Delete one's own draft (entered by mistake, or twice). Only a draft: it exists nowhere else — not in the
    statistics, not shared — so nothing else changes. A submitted case is never deleted this way."""
    country = _entry_country(who)
    case = _load(db, who, public_id)
    _editable(who, case, version)
    with db.engine.begin() as conn:
        done = conn.execute(cases.delete().where(cases.c.id == case.id, cases.c.version == case.version,
                                                 cases.c.status == DRAFT)).rowcount
    if done != 1:
        raise Conflict(f"case {public_id} was changed meanwhile; reload it")
    audit.record(db, who, "case.discard", object_type="case", object_id=public_id, subject_country=country,
                 details={"version": case.version})


def _submittable(db: Database, case: Case) -> Checked:
    checked = case.checked(submitting=True)
    authority = checked.values.get("referral_authority_id")
    if referral.unknown_authority(db, case.country, authority):
        checked.errors.append(FieldError("referral_authority_id", "referral-unknown", str(authority)))
    return checked


def submit_problems(db: Database, case: Case) -> list[FieldError]:
    """What stops a draft from being submitted (every rule of `submit`), shown when a refused submit redirects back
    to the draft."""
    return _submittable(db, case).errors


def submit(db: Database, who: Principal, public_id: str, version: int | None = None) -> Case:
    """Submit one's own draft: every rule must pass. The case becomes a submission of one person in the store."""
    country = _entry_country(who)
    case = _load(db, who, public_id)
    _editable(who, case, version)
    checked = _submittable(db, case)
    if checked.errors:
        audit.record(db, who, "case.submit", outcome="failed", object_type="case", object_id=public_id,
                     subject_country=country, details={"problems": len(checked.errors)})
        raise CaseInvalid(public_id, checked.errors)
    now = clock.now()
    row = record.person_row(public_id, country, checked.values, checked.minor)
    with db.engine.begin() as conn:
        sid = conn.execute(submissions.insert().values(
            kind="records", reporting_country=country, organisation=row["agency"], source_type=row["source_type"],
            period_start=row["identification_date"], period_end=row["identification_date"], profile=PROFILE,
            standard_version=load_standard().version, filename=f"case {public_id}",
            content_sha256=hashlib.sha256(f"case:{public_id}:{now.isoformat()}".encode()).hexdigest(),
            rows_total=1, rows_accepted=1, rows_quarantined=0,
            report_json=json.dumps({"source": PROFILE, "case": public_id}), created_at=now,
        ).returning(submissions.c.id)).scalar_one()
        pid = conn.execute(persons.insert().values(submission_id=sid, source_row=1, **row)
                           .returning(persons.c.id)).scalar_one()
        given_by = checked.values.get("consent_given_by")
        on = checked.values.get("consent_date")
        for item in CONSENT_ITEMS:
            conn.execute(case_consents.insert().values(
                case_id=case.id, item=item, event="given" if checked.values.get(item) else "refused",
                given_by=given_by, on_date=on.isoformat() if on else None, recorded_by=who.user_id,
                recorded_at=now))
        done = conn.execute(cases.update().where(cases.c.id == case.id, cases.c.version == case.version,
                                                 cases.c.status == DRAFT)
                            .values(status=SUBMITTED, version=case.version + 1, submitted_by=who.user_id,
                                    submitted_at=now, updated_by=who.user_id, updated_at=now, submission_id=sid,
                                    person_id=pid)).rowcount
        if done != 1:
            raise Conflict(f"case {public_id} was changed meanwhile; reload it")  # rolls the whole submission back
    audit.record(db, who, "case.submit", object_type="case", object_id=public_id, subject_country=country,
                 details={"submission_id": sid, "minor": checked.minor})
    return _load(db, who, public_id)


def correct(db: Database, who: Principal, public_id: str, form: Mapping[str, Any], reason: str | None,
            version: int | None = None) -> Case:
    """Correct a submitted case one entered oneself: the fields of `form` that a correction may change (CORRECTABLE;
    with `form_complete`, every one of them counts as posted) replace the old values, every rule must pass as at
    submission, and the stored person, its submission's metadata and the hub's view follow in one transaction.
    The case records which fields changed, why and when (never the values); the audit log the same without the
    reason's text."""
    country = _entry_country(who)
    case = _load(db, who, public_id)
    if case.status != SUBMITTED:
        raise Conflict(f"case {public_id} is a draft: it is changed in the form")
    if case.created_by != who.user_id:
        raise Forbidden(f"case {public_id} is corrected by the person who entered it")
    if version is not None and version != case.version:
        raise Conflict(f"case {public_id} was changed since this form was loaded; reload it")
    why = " ".join((reason or "").split())
    if len(why) < 3 or len(why) > REASON_MAX:
        raise Invalid(f"reason: say why the case is corrected (3 to {REASON_MAX} characters)",
                      {"field": "reason", "value": len(why)})
    mine = {k: v for k, v in form.items() if k in CORRECTABLE}
    posted = CORRECTABLE if form.get("form_complete") else set(mine)
    data = merge(case.data, clean(mine), posted)
    changed = sorted(k for k in CORRECTABLE if data.get(k, "") != case.data.get(k, "")
                     and not (data.get(k) in ("", [], None) and case.data.get(k) in ("", [], None)))
    if not changed:
        raise Invalid(f"case {public_id}: the correction changes nothing", {"field": "form"})
    checked = check(data, clock.now().date(), submitting=True)
    authority = checked.values.get("referral_authority_id")
    if authority != case.referral_authority_id and referral.unknown_authority(db, country, authority):
        checked.errors.append(FieldError("referral_authority_id", "referral-unknown", str(authority)))
    if checked.errors:
        audit.record(db, who, "case.correct", outcome="failed", object_type="case", object_id=public_id,
                     subject_country=country, details={"problems": len(checked.errors)})
        raise CaseInvalid(public_id, checked.errors)
    row = record.person_row(public_id, country, checked.values, checked.minor)
    now = clock.now()
    with db.engine.begin() as conn:
        _next_version(conn, who, case, SUBMITTED, now, _columns(data, checked))
        pid = conn.execute(select(cases.c.person_id).where(cases.c.id == case.id)).scalar_one()
        if pid is not None:
            conn.execute(persons.update().where(persons.c.id == pid).values(**row))
        if case.submission_id is not None:
            conn.execute(submissions.update().where(submissions.c.id == case.submission_id).values(
                organisation=row["agency"], source_type=row["source_type"], period_start=row["identification_date"],
                period_end=row["identification_date"]))
            conn.execute(submission_sharing.update()  # the hub's statistics reload when what it sees changes
                         .where(submission_sharing.c.submission_id == case.submission_id)
                         .values(revision=submission_sharing.c.revision + 1))
        revision.bump(conn, [case.submission_id])  # every scope's statistics re-read the corrected submission
        conn.execute(case_corrections.insert().values(case_id=case.id, version=case.version + 1,
                                                      fields=";".join(changed), reason=why,
                                                      corrected_by=who.user_id, corrected_at=now))
    audit.record(db, who, "case.correct", object_type="case", object_id=public_id, subject_country=country,
                 details={"fields": changed, "minor": checked.minor})
    return _load(db, who, public_id)


# Who the person is: shown beyond the organisation that entered the case only with consent to processing.
PERSONAL = (*record.IDENTIFYING, "guardian_name")


def update_plan(db: Database, who: Principal, public_id: str, form: Mapping[str, Any],
                version: int | None = None) -> Case:
    """Change the assistance plan of a submitted case (assistance goes on after identification): only the plan's
    fields are taken from `form`, its rules must pass, and the stored person's assistance columns follow."""
    _entry_country(who)
    case = _load(db, who, public_id)
    if case.status != SUBMITTED:
        raise Conflict(f"case {public_id} is a draft: its plan is changed in the form")
    if version is not None and version != case.version:
        raise Conflict(f"case {public_id} was changed since this form was loaded; reload it")
    plan_only = {k: v for k, v in form.items() if k in PLAN_NAMES}
    posted = PLAN_NAMES if form.get("form_complete") else set(plan_only)
    data = merge(case.data, clean(plan_only), posted)
    checked = check(data, clock.now().date(), submitting=True)
    problems = [e for e in checked.errors if e.field.startswith("plan_")]
    if problems:
        raise CaseInvalid(public_id, problems)
    kinds, start = record.assistance(checked.values)
    now = clock.now()
    with db.engine.begin() as conn:
        done = conn.execute(cases.update().where(cases.c.id == case.id, cases.c.version == case.version)
                            .values(data_json=json.dumps(data, ensure_ascii=False, sort_keys=True),
                                    version=case.version + 1, updated_by=who.user_id, updated_at=now)).rowcount
        if done != 1:
            raise Conflict(f"case {public_id} was changed meanwhile; reload it")
        pid = conn.execute(select(cases.c.person_id).where(cases.c.id == case.id)).scalar_one()
        if pid is not None:
            conn.execute(persons.update().where(persons.c.id == pid).values(
                assistance_types=";".join(kinds) or None, assistance_start_date=start))
            revision.bump(conn, [case.submission_id])
    audit.record(db, who, "case.plan.update", object_type="case", object_id=public_id, subject_country=case.country,
                 details={"assistance": kinds})
    after = _load(db, who, public_id)
    _redact(who, after)
    return after


def _redact(who: Principal, case: Case) -> bool:
    redacted = case.created_by != who.user_id and case.data.get("consent_data_processing") != "yes"
    if redacted:
        case.data = {k: v for k, v in case.data.items() if k not in PERSONAL}
    return redacted


def get(db: Database, who: Principal, public_id: str) -> Case:
    """A case in scope. Someone other than its author (the national office) reads the identifying fields only when
    the person consented to the processing of personal data."""
    case = _load(db, who, public_id)
    redacted = _redact(who, case)
    audit.record(db, who, "case.read", object_type="case", object_id=public_id, subject_country=case.country,
                 details={"status": case.status, "redacted": redacted})
    return case


def count_submitted(db: Database, who: Principal) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cases)
                                .where(visible(who), cases.c.status == SUBMITTED)).scalar_one())


def withdraw(db: Database, who: Principal, public_id: str, items: list[str], given_by: str | None,
             on_date: dt.date | None = None, note: str | None = None) -> Case:
    """Record that the person withdrew consent to `items`; takes effect at once on the case and the stored person."""
    _entry_country(who)
    case = _load(db, who, public_id)
    if case.status == DRAFT and case.created_by != who.user_id:
        raise NotVisible(f"no case {public_id}")
    bad = [i for i in items if i not in CONSENT_ITEMS]
    if bad or not items:
        raise Invalid(f"items: {', '.join(repr(b) for b in bad) or 'nothing'} — choose from "
                      f"{', '.join(CONSENT_ITEMS)}", {"field": "items", "value": bad})
    if given_by is not None and given_by not in CHOICES["consent_given_by"]:
        raise Invalid(f"given_by: {given_by!r} is not one of {', '.join(CHOICES['consent_given_by'])}",
                      {"field": "given_by", "value": given_by})
    now = clock.now()
    data = dict(case.data)
    for item in items:
        data[item] = "no"
    with db.engine.begin() as conn:
        done = conn.execute(cases.update().where(cases.c.id == case.id, cases.c.version == case.version)
                            .values(data_json=json.dumps(data, ensure_ascii=False, sort_keys=True),
                                    version=case.version + 1, updated_by=who.user_id, updated_at=now)).rowcount
        if done != 1:
            raise Conflict(f"case {public_id} was changed meanwhile; try again")
        for item in items:
            conn.execute(case_consents.insert().values(
                case_id=case.id, item=item, event="withdrawn", given_by=given_by,
                on_date=(on_date or now.date()).isoformat(), note=(note or None), recorded_by=who.user_id,
                recorded_at=now))
        if case.status == SUBMITTED:
            _withdraw_stored(conn, case, items)
    audit.record(db, who, "case.consent.withdraw", object_type="case", object_id=public_id,
                 subject_country=case.country, details={"items": sorted(items), "status": case.status})
    after = _load(db, who, public_id)
    _redact(who, after)
    return after


def _withdraw_stored(conn: Any, case: Case, items: list[str]) -> None:
    with_column: dict[str, Any] = {i: False for i in items if i in CONSENT_IN_STANDARD}
    if "consent_data_processing" in items:
        with_column.update(dict.fromkeys(record.IDENTIFYING))
    pid = conn.execute(select(cases.c.person_id).where(cases.c.id == case.id)).scalar_one()
    if with_column and pid is not None:
        conn.execute(persons.update().where(persons.c.id == pid).values(**with_column))
        revision.bump(conn, [case.submission_id])
    if case.submission_id is not None:  # the hub's statistics reload when what it may see changes
        conn.execute(submission_sharing.update().where(submission_sharing.c.submission_id == case.submission_id)
                     .values(revision=submission_sharing.c.revision + 1))
