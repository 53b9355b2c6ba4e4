"""Case entry, domain rules: values against the standard's vocabularies, the child branch, consent, risk, referral
and the assistance plan; drafts saved as typed; submission into the store; consent withdrawal taking effect."""

from __future__ import annotations

import datetime as dt

import pytest
from auth_helpers import make_user
from sqlalchemy import func, select

from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.cases import store
from tipnet.cases.listing import listing
from tipnet.cases.validate import check, clean
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store.tables import persons, submissions
from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_cases import case_consents

TODAY = dt.date(2026, 11, 28)

ADULT = {
    "identification_date": "2026-11-02", "victim_status": "actual", "sex": "female", "age": "30",
    "given_names": "Rosa", "family_names": "Quispe Mamani", "citizenship": ["BOL"], "primary_language": "qu",
    "consent_given_by": "victim", "consent_date": "2026-11-02", "consent_data_processing": "yes",
    "consent_share_services": "yes", "consent_share_law_enforcement": "no", "consent_share_hub": "yes",
    "consent_research": "no", "risk_level": "medium", "forms_of_exploitation": ["forced_labour"],
    "exploitation_country": "PER",
}
CHILD_BRANCH = {
    "best_interests": "yes", "guardian_type": "child_protection_authority", "guardian_name": "DEMUNA Lima",
    "unaccompanied": "yes", "protection_measures": ["emergency_shelter", "child_protection_notified"],
    "protection_date": "2026-11-02", "consent_given_by": "guardian",
}


def codes(result, name):  # type: ignore[no-untyped-def]
    return [e.code for e in result.errors if e.field == name]


def test_a_complete_adult_case_passes():
    result = check(clean(ADULT), TODAY, submitting=True)
    assert result.errors == [] and result.minor is False


@pytest.mark.parametrize("extra,reason", [
    ({"age": "15"}, "age"),
    ({"age": "", "birth_date": "2010-03-01"}, "birth_date"),  # 16 on the identification date
    ({"age": "", "birth_date": "", "age_presumed_minor": "yes"}, "presumed"),
])
def test_the_child_branch_is_required_under_18(extra, reason):
    result = check(clean({**ADULT, **extra}), TODAY, submitting=True)
    assert result.minor is True and result.minor_reason == reason
    for name in ("guardian_type", "guardian_name", "protection_measures", "protection_date"):
        assert codes(result, name) == ["child-required"], name
    assert codes(result, "best_interests") == ["child-best-interests"]
    assert codes(result, "consent_given_by") == ["child-consent"]  # the child does not consent alone
    filled = check(clean({**ADULT, **extra, **CHILD_BRANCH}), TODAY, submitting=True)
    assert filled.errors == []


def test_birth_date_decides_on_the_identification_date_not_today():
    # 18 on 2026-11-01, identified the day before: a child then, an adult today
    result = check(clean({**ADULT, "age": "", "birth_date": "2008-11-01", "identification_date": "2026-10-31"}),
                   TODAY, submitting=True)
    assert result.minor is True
    adult = check(clean({**ADULT, "age": "", "birth_date": "2008-11-01"}), TODAY, submitting=True)
    assert adult.minor is False and adult.errors == []


def test_age_and_birth_date_that_disagree_are_reported_and_the_person_treated_as_a_child():
    result = check(clean({**ADULT, "age": "25", "birth_date": "2011-05-05"}), TODAY, submitting=True)
    mismatch = [e for e in result.errors if e.code == "age-mismatch"]
    assert len(mismatch) == 1 and mismatch[0].field == "age" and mismatch[0].value == "25"
    assert "2011-05-05" in mismatch[0].message and "15" in mismatch[0].message
    assert result.minor is True


def test_an_unaccompanied_child_needs_an_appointed_guardian():
    result = check(clean({**ADULT, "age": "12", **CHILD_BRANCH, "guardian_type": "parent"}), TODAY, submitting=True)
    assert codes(result, "guardian_type") == ["child-unaccompanied"]


@pytest.mark.parametrize("field,value,code", [
    ("sex", "banana", "not-in-list"),
    ("forms_of_exploitation", ["forced_labour", "juggling"], "not-in-list"),
    ("identification_date", "02/11/2026", "not-a-date"),
    ("age", "fifteen", "not-a-number"),
    ("age", "130", "out-of-range"),
    ("exploitation_country", "Atlantis", "not-a-country"),
    ("primary_language", "klingon", "not-a-language"),
    ("consent_share_hub", "maybe", "not-an-answer"),
    ("identification_date", "2027-01-01", "in-future"),
])
def test_problems_name_the_field_and_the_value(field, value, code):
    result = check(clean({**ADULT, field: value}), TODAY)
    found = [e for e in result.errors if e.field == field]
    assert [e.code for e in found] == [code]
    shown = value[-1] if isinstance(value, list) else value
    assert found[0].message.startswith(f"{field}: ") and shown in found[0].message


def test_vocabulary_values_resolve_from_labels_and_synonyms():
    result = check(clean({**ADULT, "sex": "Femenino", "forms_of_exploitation": ["trabajo forzoso"],
                          "exploitation_country": "Perú"}), TODAY, submitting=True)
    assert result.errors == []
    assert result.values["sex"] == "female" and result.values["forms_of_exploitation"] == ["forced_labour"]
    assert result.values["exploitation_country"] == "PER"


def test_not_in_list_message_lists_the_allowed_codes():
    result = check(clean({**ADULT, "sex": "zz"}), TODAY)
    (err,) = result.errors
    assert err.message == "sex: 'zz' is not one of the codes of sex (female, male, other, unknown)"


def test_required_fields_only_when_submitting():
    assert check({}, TODAY).errors == []
    names = {e.field for e in check({}, TODAY, submitting=True).errors if e.code == "required"}
    assert {"identification_date", "victim_status", "sex", "primary_language", "consent_given_by", "consent_date",
            "consent_share_hub", "risk_level"} <= names


def test_consent_rules():
    result = check(clean({**ADULT, "consent_data_processing": "no"}), TODAY, submitting=True)
    assert codes(result, "consent_share_hub") == ["consent-needs-processing"]
    refer = {**ADULT, "consent_share_services": "no", "referral_provider": "Casa Refugio"}
    assert codes(check(clean(refer), TODAY, submitting=True), "referral_provider") == ["referral-consent"]
    # a child is referred to protection whatever was consented
    child = {**refer, "age": "14", **CHILD_BRANCH}
    assert codes(check(clean(child), TODAY, submitting=True), "referral_provider") == []


def test_risk_referral_and_plan_rules():
    result = check(clean({**ADULT, "risk_level": "immediate", "referral_date": "2026-11-03",
                          "plan_medical_needed": "yes", "plan_shelter_needed": "yes",
                          "plan_shelter_start": "2026-11-10", "plan_shelter_end": "2026-11-05",
                          "plan_legal_provider": "Defensoría", "interpreter_needed": "yes"}), TODAY, submitting=True)
    assert codes(result, "safety_plan") == ["risk-safety-plan"]
    assert codes(result, "referral_provider") == ["referral-provider"]
    assert codes(result, "plan_medical_start") == ["required"]
    assert codes(result, "plan_shelter_end") == ["before"]
    assert codes(result, "plan_legal_provider") == ["plan-not-needed"]
    assert codes(result, "plan_interpretation_needed") == ["plan-interpretation"]


def test_other_language_must_be_named():
    result = check(clean({**ADULT, "primary_language": "other"}), TODAY, submitting=True)
    assert codes(result, "primary_language_other") == ["language-other"]
    assert check(clean({**ADULT, "primary_language": "other", "primary_language_other": "Wayuunaiki"}), TODAY,
                 submitting=True).errors == []


# --- the store ------------------------------------------------------------------------------------------------------


def _who(db, role: str, country: str | None) -> Principal:  # type: ignore[no-untyped-def]
    acct = make_user(db, role, country)
    return Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role(role), country=country)


def _complete(case_data: dict) -> dict:  # type: ignore[type-arg]
    return {**case_data, "identification_date": dt.date.today().replace(day=1).isoformat(),
            "consent_date": dt.date.today().replace(day=1).isoformat()}


def test_a_draft_is_saved_as_typed_resumed_and_submitted(db):
    ngo = _who(db, "service_provider", "PER")
    case, checked = store.save(db, ngo, {"age": "15", "sex": "banana"})
    assert case.status == "draft" and case.is_minor and case.data["sex"] == "banana"  # nothing lost
    assert [e.code for e in checked.errors] == ["not-in-list"]
    with pytest.raises(store.CaseInvalid) as exc:
        store.submit(db, ngo, case.public_id)
    assert any(e["field"] == "sex" for e in exc.value.details["errors"])
    resumed = store.get(db, ngo, case.public_id)
    assert resumed.data == case.data and resumed.status == "draft"
    case, _ = store.save(db, ngo, _complete({**ADULT, "age": "15", **CHILD_BRANCH}), case.public_id, resumed.version)
    done = store.submit(db, ngo, case.public_id)
    assert done.status == "submitted" and done.submission_id is not None
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
        sub = conn.execute(select(submissions).where(submissions.c.id == done.submission_id)).one()
        events = conn.execute(select(case_consents.c.item, case_consents.c.event)).all()
    assert person.reporting_country == "PER" and person.is_minor is True and person.age == 15
    assert person.age_band == "9-17" and person.sex == "female" and person.given_names == "Rosa"
    assert person.consent_share_hub is True and person.role == "victim"
    assert sub.reporting_country == "PER" and sub.rows_accepted == 1 and sub.profile == "case_entry"
    assert ("consent_share_hub", "given") in events and ("consent_research", "refused") in events
    with pytest.raises(store.Conflict):
        store.save(db, ngo, {"age": "16"}, case.public_id)


def test_a_stale_form_is_refused(db):
    ngo = _who(db, "service_provider", "PER")
    case, _ = store.save(db, ngo, {"age": "40"})
    store.save(db, ngo, {"sex": "male"}, case.public_id, case.version)
    with pytest.raises(store.Conflict):
        store.save(db, ngo, {"sex": "female"}, case.public_id, case.version)


def test_only_ones_own_draft_can_be_discarded(db):
    ngo = _who(db, "service_provider", "PER")
    colleague = _who(db, "service_provider", "PER")
    analyst = _who(db, "analyst", "PER")
    case, _ = store.save(db, ngo, {"age": "40", "given_names": "Rosa"})
    for other in (colleague, analyst):  # drafts are personal: others do not see them
        with pytest.raises(NotVisible):
            store.discard(db, other, case.public_id)
    with pytest.raises(store.Conflict):  # a stale form does not delete what was saved since
        store.discard(db, ngo, case.public_id, case.version + 1)
    store.discard(db, ngo, case.public_id, case.version)
    with pytest.raises(NotVisible):
        store.get(db, ngo, case.public_id)
    with pytest.raises(NotVisible):
        store.discard(db, ngo, case.public_id)
    with db.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.outcome)
                               .where(audit_log.c.object_id == case.public_id)).all()
    assert ("case.discard", "ok") in [tuple(a) for a in actions]
    submitted, _ = store.save(db, ngo, _complete(ADULT))
    store.submit(db, ngo, submitted.public_id)
    with pytest.raises(store.Conflict):  # a submitted case is counted and maybe shared: it is never discarded
        store.discard(db, ngo, submitted.public_id)
    assert store.get(db, ngo, submitted.public_id).status == "submitted"


def test_withdrawal_takes_effect_on_the_stored_person(db):
    ngo = _who(db, "service_provider", "COL")
    case, _ = store.save(db, ngo, _complete(ADULT))
    store.submit(db, ngo, case.public_id)
    after = store.withdraw(db, ngo, case.public_id, ["consent_share_hub"], "victim", note="called the hotline")
    assert after.data["consent_share_hub"] == "no"
    assert [c["event"] for c in after.consents if c["item"] == "consent_share_hub"] == ["given", "withdrawn"]
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
    assert person.consent_share_hub is False and person.given_names == "Rosa"
    store.withdraw(db, ngo, case.public_id, ["consent_data_processing"], "victim")
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
    assert person.consent_data_processing is False
    assert person.given_names is None and person.family_names is None  # identifying fields erased from the store
    assert person.sex == "female" and person.forms_of_exploitation == "forced_labour"  # statistics keep counting


def test_no_identifying_fields_are_stored_without_consent_to_processing(db):
    ngo = _who(db, "service_provider", "PER")
    data = _complete({**ADULT, "consent_data_processing": "no", "consent_share_hub": "no"})
    case, _ = store.save(db, ngo, data)
    store.submit(db, ngo, case.public_id)
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
    assert person.given_names is None and person.family_names is None and person.age == 30


def test_tenancy_drafts_are_personal_and_countries_separate(db):
    ngo_per, other_ngo_per = _who(db, "service_provider", "PER"), _who(db, "service_provider", "PER")
    analyst_per, analyst_col = _who(db, "analyst", "PER"), _who(db, "analyst", "COL")
    draft, _ = store.save(db, ngo_per, {"age": "20"})
    submitted, _ = store.save(db, ngo_per, _complete(ADULT))
    store.submit(db, ngo_per, submitted.public_id)
    for outsider in (other_ngo_per, analyst_per, analyst_col):
        with pytest.raises(NotVisible):
            store.get(db, outsider, draft.public_id)
    assert store.get(db, analyst_per, submitted.public_id).status == "submitted"  # the national office reads it
    for outsider in (other_ngo_per, analyst_col):
        with pytest.raises(NotVisible):
            store.get(db, outsider, submitted.public_id)
    assert {r["public_id"] for r in listing(db, analyst_per)} == {submitted.public_id}
    assert {r["public_id"] for r in listing(db, ngo_per)} == {draft.public_id, submitted.public_id}
    assert listing(db, analyst_col) == []
    hub = _who(db, "hub_admin", None)
    with pytest.raises(Forbidden):
        store.save(db, hub, {"age": "20"})
    assert listing(db, hub) == []


def test_reads_and_changes_are_audited_without_values(db):
    ngo = _who(db, "service_provider", "PER")
    case, _ = store.save(db, ngo, {"given_names": "AUDITMARKER", "age": "9"})
    store.get(db, ngo, case.public_id)
    store.withdraw(db, ngo, case.public_id, ["consent_research"], "guardian")
    with db.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.object_id, audit_log.c.subject_country,
                                   audit_log.c.details).order_by(audit_log.c.seq)).all()
    mine = [(r.action, r.object_id, r.subject_country) for r in rows if r.object_id == case.public_id]
    assert mine == [("case.create", case.public_id, "PER"), ("case.read", case.public_id, "PER"),
                    ("case.consent.withdraw", case.public_id, "PER")]
    assert not any("AUDITMARKER" in r.details for r in rows)


def test_migration_matches_the_case_tables(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tipnet.store.tables import metadata

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "case" in str(d)] == []


def test_the_demo_provider_finds_a_submitted_case_and_a_draft(db):
    from tipnet.auth.users import by_email
    from tipnet.demo.sample_cases import PROVIDER, create_sample_cases
    from tipnet.demo.users import create_demo_users

    create_demo_users(db)
    assert create_sample_cases(db) == {"draft": 1, "submitted": 1}
    assert create_sample_cases(db) == {"draft": 1, "submitted": 1}  # once: a second demo run adds nothing
    user = by_email(db, PROVIDER)
    assert user is not None
    ngo = Principal(via=Via.SESSION, user_id=user.id, email=user.email, role=user.role, country=user.country)
    cases = {c["status"]: c for c in listing(db, ngo)}
    child = store.get(db, ngo, cases["submitted"]["public_id"])
    assert child.is_minor and child.submission_id is not None
    draft = store.get(db, ngo, cases["draft"]["public_id"])
    assert draft.checked(submitting=True).errors  # left to finish: the demo shows what is still missing
    analyst = by_email(db, "analyst.per@demo.tipnet")
    assert analyst is not None
    seen = listing(db, Principal(via=Via.SESSION, user_id=analyst.id, email=analyst.email, role=analyst.role,
                                       country=analyst.country))
    assert [c["status"] for c in seen] == ["submitted"]  # the draft stays its author's


def test_the_author_corrects_a_submitted_case_and_the_stored_person_follows(db):
    ngo = _who(db, "service_provider", "PER")
    case, _ = store.save(db, ngo, _complete(ADULT))
    done = store.submit(db, ngo, case.public_id)
    fixed = store.correct(db, ngo, case.public_id, {"age": "35", "sex": "male", "exploitation_country": "ECU",
                                                    "consent_given_by": "guardian"},
                          "age was typed from the wrong document", done.version)
    assert fixed.version == done.version + 1 and not fixed.is_minor and fixed.data["age"] == "35"
    assert fixed.data["consent_given_by"] == "victim"  # the consent record is not rewritten by a correction
    assert fixed.corrections == [{"version": fixed.version, "fields": ["age", "exploitation_country", "sex"],
                                  "reason": "age was typed from the wrong document",
                                  "corrected_at": fixed.corrections[0]["corrected_at"]}]
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
        n = conn.execute(select(func.count()).select_from(persons)).scalar_one()
        actions = conn.execute(select(audit_log.c.action, audit_log.c.details)
                               .where(audit_log.c.object_id == case.public_id)).all()
    assert n == 1 and person.age == 35 and person.age_band == "30-38" and person.exploitation_country == "ECU"
    assert person.sex == "male" and person.given_names == "Rosa" and person.consent_share_hub is True
    # an adult recorded as consenting alone cannot become a child by correction: consent is given again, not edited
    with pytest.raises(store.CaseInvalid, match="guardian"):
        store.correct(db, ngo, case.public_id, {"age": "16", **CHILD_BRANCH}, "was a child", fixed.version)
    logged = [d for a, d in actions if a == "case.correct"]
    assert len(logged) == 1 and "age" in logged[0] and "wrong document" not in logged[0]  # names, not the reason


def test_a_correction_is_checked_like_a_submission_and_changes_nothing_when_refused(db):
    ngo = _who(db, "service_provider", "PER")
    case, _ = store.save(db, ngo, _complete(ADULT))
    done = store.submit(db, ngo, case.public_id)
    with pytest.raises(store.CaseInvalid) as exc:  # a child without the child branch
        store.correct(db, ngo, case.public_id, {"age": "15"}, "age corrected")
    assert any(e["field"] == "best_interests" for e in exc.value.details["errors"])
    for reason in (None, "", "  x ", "y" * 501):
        with pytest.raises(Invalid, match="reason"):
            store.correct(db, ngo, case.public_id, {"sex": "male"}, reason)
    with pytest.raises(Invalid, match="changes nothing"):
        store.correct(db, ngo, case.public_id, {"sex": "female", "consent_share_hub": "no"}, "no real change")
    with pytest.raises(store.Conflict):
        store.correct(db, ngo, case.public_id, {"sex": "male"}, "stale form", done.version - 1)
    after = store.get(db, ngo, case.public_id)
    assert after.version == done.version and after.data == done.data and after.corrections == []
    with db.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.record_id == case.public_id)).one()
    assert person.age == 30 and person.sex == "female" and person.consent_share_hub is True


def test_only_the_author_corrects_and_never_a_draft(db):
    ngo, colleague = _who(db, "service_provider", "PER"), _who(db, "service_provider", "PER")
    analyst, foreign = _who(db, "analyst", "PER"), _who(db, "service_provider", "COL")
    case, _ = store.save(db, ngo, _complete(ADULT))
    with pytest.raises(store.Conflict):
        store.correct(db, ngo, case.public_id, {"sex": "male"}, "still a draft")
    store.submit(db, ngo, case.public_id)
    with pytest.raises(Forbidden):
        store.correct(db, analyst, case.public_id, {"sex": "male"}, "the office fixes it")
    for other in (colleague, foreign):
        with pytest.raises((Forbidden, NotVisible)):
            store.correct(db, other, case.public_id, {"sex": "male"}, "not mine")
    assert store.get(db, ngo, case.public_id).data["sex"] == "female"
