"""Finding 8 of the outside probe (first half): a registry complaint written by one country (free text, possibly
about a victim) was shown to every country's authority roles. A complaint is now shown to the country that recorded
it and to the hub, and to every country only when its author marks it so."""

from __future__ import annotations

import pytest
from auth_helpers import make_user, sign_in
from fastapi.testclient import TestClient

from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.coop import registry
from tipnet.coop.registry import RegistryError
from tipnet.web.app import create_app

SECRET = "Menor de 16 años retenida en Lima; madre denunció en el consulado"
SHARED = "Ofertas de empleo falsas publicadas en redes sociales"


def who(role: Role, country: str | None) -> Principal:
    return Principal(via=Via.SESSION, user_id=None, email=f"{role.value}.{country}@test", role=role, country=country)


COL, PER, ECU = who(Role.ANALYST, "COL"), who(Role.INVESTIGATOR, "PER"), who(Role.FOCAL_POINT, "ECU")
HUB = who(Role.HUB_ANALYST, None)


@pytest.fixture
def agency(db):
    a = registry.add(db, PER, {"kind": "recruitment", "name": "Agencia Horizonte", "country": "PER"})
    registry.add_complaint(db, COL, a, {"summary": SECRET, "source": "consulado"})
    registry.add_complaint(db, COL, a, {"summary": SHARED, "for_all": True})
    return a


def _summaries(db, actor: Principal, agency_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    seen = registry.get(db, actor, agency_id, restricted=True)
    assert seen is not None
    return [c["summary"] for c in seen["complaints"]]


def test_a_complaint_reaches_its_country_and_the_hub_only(db, agency):
    assert _summaries(db, COL, agency) == [SECRET, SHARED]
    assert _summaries(db, HUB, agency) == [SECRET, SHARED]
    assert _summaries(db, system("test"), agency) == [SECRET, SHARED]
    assert _summaries(db, PER, agency) == [SHARED]  # the agency's own country does not read COL's complaint
    assert _summaries(db, ECU, agency) == [SHARED]


def test_the_mark_is_a_yes_or_no(db, agency):
    made = registry.add_complaint(db, ECU, agency, {"summary": "Cobro de comisiones", "for_all": "on"})
    assert made > 0 and "Cobro de comisiones" in _summaries(db, COL, agency)
    with pytest.raises(RegistryError, match="for_all"):
        registry.add_complaint(db, ECU, agency, {"summary": "x", "for_all": "maybe"})


def test_the_agency_page_of_another_country_leaves_the_complaint_out(db, settings, agency):
    app = create_app(db, settings)
    per = TestClient(app)
    sign_in(per, make_user(db, "investigator", "PER"))
    page = per.get(f"/registry/{agency}.json").json()
    assert [c["summary"] for c in page["complaints"]] == [SHARED]
    assert SECRET not in per.get(f"/registry/{agency}").text
    col = TestClient(app)
    sign_in(col, make_user(db, "investigator", "COL"))
    assert SECRET in col.get(f"/registry/{agency}").text
    hub = TestClient(app)
    sign_in(hub, make_user(db, "hub_analyst"))
    assert [c["summary"] for c in hub.get(f"/registry/{agency}.json").json()["complaints"]] == [SECRET, SHARED]


def test_the_form_marks_a_complaint_for_all(db, settings, agency):
    col = TestClient(create_app(db, settings))
    sign_in(col, make_user(db, "investigator", "COL"))
    assert "name=\"for_all\"" in col.get(f"/registry/{agency}").text
    r = col.post(f"/registry/{agency}/events.json", data={"type": "complaint", "summary": "Para todos",
                                                          "for_all": "yes"})
    assert r.status_code == 201
    r = col.post(f"/registry/{agency}/events.json", data={"type": "complaint", "summary": "Solo COL"})
    assert r.status_code == 201
    assert _summaries(db, PER, agency) == [SHARED, "Para todos"]


def test_the_migration_matches_the_complaints_table(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tipnet.store.tables import metadata

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "agency_complaints" in str(d)] == []
