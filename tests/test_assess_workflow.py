"""Self-assessment workflow in the store (SQLite and PostgreSQL): who may do each step, every version kept, figures
frozen at submission, publication from disclosure-controlled figures only, comparison with earlier years, imports."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from auth_helpers import make_user

from tipnet.assess import framework as fwmod
from tipnet.assess import repo, service
from tipnet.assess.questionnaire import QuestionnaireError, read
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats import StatsSource
from tipnet.store.tables_assess import assessment_versions

FIX = Path(__file__).parent / "fixtures"
FW = fwmod.get()


def who(db, role: str, country: str | None = None) -> Principal:
    acct = make_user(db, role, country)
    return Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role(role), country=country)


def source(db, p: Principal) -> StatsSource:
    return StatsSource(db, Scope.of(p).rows())


@pytest.fixture
def people(db, settings):
    import_file(FIX / "stats_small.csv", db, ImportOptions(country="PER"), settings)  # 3 victims in 2020
    return {"per": who(db, "analyst", "PER"), "focal": who(db, "focal_point", "PER"), "col": who(db, "analyst", "COL"),
            "hub": who(db, "hub_analyst"), "investigator": who(db, "investigator", "PER")}


def test_the_workflow_from_draft_to_publication(db, people):
    per, hub = people["per"], people["hub"]
    service.save_answers(db, per, FW, "PER", 2020, {"legal.palermo": "yes", "legal.all_forms": "partial"})
    service.save_answers(db, per, FW, "PER", 2020, {
        "legal.all_forms": {"value": "yes", "evidence": ["https://example.org/law-123"], "note": "Law 123"},
        "protection.referral": "yes"})
    assert repo.get(db, hub, FW.id, "PER", 2020) is None  # a draft is the country's own business
    service.step(db, per, source(db, per), FW, "PER", 2020, "submit")
    got = repo.get(db, hub, FW.id, "PER", 2020)
    assert got["status"] == "submitted" and got["current"]["figures"]["victims"] == [3.0, 3.0, "microdata"]
    with pytest.raises(Invalid):
        service.save_answers(db, per, FW, "PER", 2020, {"legal.palermo": "no"})  # only drafts change
    with pytest.raises(Forbidden):
        service.step(db, per, source(db, per), FW, "PER", 2020, "review")  # the hub reviews
    service.step(db, hub, source(db, hub), FW, "PER", 2020, "review", comment="checked against the law")
    service.step(db, hub, source(db, hub), FW, "PER", 2020, "publish")
    versions = repo.history(db, per, FW.id, "PER", 2020)
    assert [(v["version"], v["action"], v["status"]) for v in versions] == [
        (1, "save", "draft"), (2, "save", "draft"), (3, "submit", "submitted"), (4, "review", "reviewed"),
        (5, "publish", "published")]
    assert versions[0]["answers"] == {"legal.palermo": {"value": "yes"}, "legal.all_forms": {"value": "partial"}}
    assert versions[1]["answers"]["legal.all_forms"]["evidence"] == ["https://example.org/law-123"]
    assert versions[3]["comment"] == "checked against the law"
    pub = repo.published(db, FW.id, "PER")
    assert len(pub) == 1 and pub[0]["year"] == 2020
    assert "figures" not in pub[0]  # the exact figures frozen at submission are not part of what is published
    card = pub[0]["scorecard"]
    # 3 victims from microdata: under the threshold of 5, published as the interval 1..4, like GLOTIP's "<5"
    assert card["figures"]["victims"]["lo"] == 1 and card["figures"]["victims"]["hi"] == 4
    assert card["figures"]["victims"]["value"] is None
    assert card["indicators"]["legal.all_forms"]["score"] == [1.0, 1.0]
    # reopening starts a new draft; the published version stays what the public sees
    service.step(db, per, source(db, per), FW, "PER", 2020, "reopen")
    assert repo.get(db, per, FW.id, "PER", 2020)["status"] == "draft"
    assert repo.published(db, FW.id, "PER")[0]["version"] == 5


def test_who_may_do_what(db, people):
    per, col, hub, inv = people["per"], people["col"], people["hub"], people["investigator"]
    with pytest.raises(NotVisible):
        service.save_answers(db, col, FW, "PER", 2021, {"legal.palermo": "yes"})  # another country
    with pytest.raises(Forbidden):
        service.save_answers(db, hub, FW, "PER", 2021, {"legal.palermo": "yes"})  # the hub does not fill in
    with pytest.raises(Forbidden):
        service.save_answers(db, inv, FW, "PER", 2021, {"legal.palermo": "yes"})  # no ASSESS_EDIT
    service.save_answers(db, people["focal"], FW, "PER", 2021, {"legal.palermo": "yes"})
    assert repo.get(db, col, FW.id, "PER", 2021) is None
    assert repo.get(db, per, FW.id, "PER", 2021)["current"]["answers"] == {"legal.palermo": {"value": "yes"}}
    with pytest.raises(Forbidden):
        service.step(db, per, source(db, per), FW, "PER", 2021, "publish")  # the hub publishes
    with pytest.raises(NotVisible):
        service.step(db, hub, source(db, hub), FW, "PER", 2021, "publish")  # a draft: the hub does not see it
    service.step(db, per, source(db, per), FW, "PER", 2021, "submit")
    with pytest.raises(Invalid):
        service.step(db, hub, source(db, hub), FW, "PER", 2021, "publish")  # submitted, not reviewed
    service.step(db, hub, source(db, hub), FW, "PER", 2021, "return", comment="evidence missing")
    assert repo.get(db, per, FW.id, "PER", 2021)["status"] == "draft"
    with pytest.raises(Invalid):
        service.step(db, per, source(db, per), FW, "PER", 2021, "approve")


def test_versions_are_append_only(db, people):
    service.save_answers(db, people["per"], FW, "PER", 2020, {"legal.palermo": "yes"})
    with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(assessment_versions.update().values(answers_json="{}"))
    with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(assessment_versions.delete())


def _publish(db, people, year: int, answers: dict) -> None:
    per, hub = people["per"], people["hub"]
    service.save_answers(db, per, FW, "PER", year, answers)
    for action, p in (("submit", per), ("review", hub), ("publish", hub)):
        service.step(db, p, source(db, p), FW, "PER", year, action)


def test_comparison_with_earlier_years_and_trends(db, people):
    _publish(db, people, 2020, {"legal.palermo": "partial"})
    _publish(db, people, 2021, {"legal.palermo": "yes", "legal.residence": "yes"})
    pub = {p["year"]: p["scorecard"] for p in repo.published(db, FW.id, "PER")}
    rows = {r["id"]: r for r in service.compare(FW, pub[2021], pub[2020])}
    assert rows["legal.palermo"]["change"] == 0.5  # partial (0.5) -> yes (1)
    assert rows["legal.residence"]["change"] == 1.0
    assert rows["legal.non_detention"]["change"] == 0.0
    trend = service.trend(db, FW, "PER")
    assert [t["year"] for t in trend] == [2020, 2021]
    # legal: 2020 instruments (0.5 + 0) / 2 = 0.25, victims 0 -> 0.125, capped at 0.5 anyway (all_forms missing)
    assert trend[0]["domains"]["legal"] == [0.125, 0.125]
    # 2021: instruments (1 + 0) / 2 = 0.5; victims (0 + 0 + 1) / 3 = 0.3333 -> (0.5 + 0.3333) / 2 = 0.41667
    assert trend[1]["domains"]["legal"][0] == pytest.approx(0.5 / 2 + 1 / 6)
    hemi = service.hemisphere(db, FW)
    assert [r["country"] for r in hemi["countries"]] == ["PER"]
    assert hemi["countries"][0]["year"] == 2021 and hemi["countries"][0]["previous_year"] == 2020


def test_import_questionnaire_files(db, people, tmp_path):
    y = tmp_path / "q.yaml"
    y.write_text("framework: oas-2009\ncountry: PER\nyear: 2022\nanswers:\n  legal.palermo: 'yes'\n"
                 "  prevention.action_plan: {value: adopted, evidence: ['https://example.org/plan']}\n",
                 encoding="utf-8")
    q = read(y, FW)
    assert (q.country, q.year) == ("PER", 2022)
    service.save_answers(db, people["per"], FW, q.country, q.year, q.answers, action="import")
    got = repo.get(db, people["per"], FW.id, "PER", 2022)["current"]
    assert got["action"] == "import" and got["answers"]["prevention.action_plan"]["value"] == "adopted"
    c = tmp_path / "q.csv"
    c.write_text("indicator,value,evidence,note\nlegal.palermo,yes,https://a.org/x;https://b.org/y,ratified 2002\n"
                 "legal.residence,maybe,,\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        read(c, FW)
    assert "q.csv: row 3: value = 'maybe'" in str(info.value)
    c.write_text("indicator,value,evidence\nlegal.palermo,yes,ftp://a.org/x\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="row 2: evidence = 'ftp://a.org/x'"):
        read(c, FW)
    j = tmp_path / "q.json"
    j.write_text('{"answers": {"prosecution.convictions": 3}}', encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="answers.prosecution.convictions.*computed"):
        read(j, FW)


def test_demo_self_assessments(db, people):
    from tipnet.demo.assessments import seed_assessments

    assert seed_assessments(db) == {"assessments": 8, "published": 5}
    assert seed_assessments(db) == {"assessments": 0, "published": 5}  # loading the demo twice adds nothing
    statuses = {(a["country"], a["year"]): a["status"] for a in repo.list_for(db, people["hub"], FW.id)}
    # the hub sees what was submitted at least once; Mexico's drafts stay Mexico's
    assert statuses == {("ARG", 2020): "published", ("ARG", 2021): "published", ("COL", 2020): "published",
                        ("COL", 2021): "published", ("PER", 2020): "published", ("PER", 2021): "submitted"}
    versions = repo.history(db, people["per"], FW.id, "PER", 2020)
    assert [v["action"] for v in versions] == ["import", "submit", "review", "publish"]
    assert all(e.startswith("https://example.org/") for v in versions for a in v["answers"].values()
               for e in a.get("evidence", []))
