"""The recruiter and travel agency registry: public and restricted fields, links from perpetrator records in the
caller's scope only, the multi-country flag, and the audit trail of every change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tipnet.auth import audit, records
from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.coop import registry, search
from tipnet.coop.registry import RegistryError
from tipnet.errors import Forbidden, NotVisible
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.store.tables_auth import audit_log

HEADER = "record_id,case_id,role,perpetrator_roles,sex,age,identification_date,consent_share_hub\n"


def who(role: Role, country: str | None) -> Principal:
    return Principal(via=Via.SESSION, user_id=None, email=f"{role.value}.{country}@test", role=role, country=country)


PER = who(Role.ANALYST, "PER")
COL = who(Role.ANALYST, "COL")
ECU = who(Role.INVESTIGATOR, "ECU")
HUB = who(Role.HUB_ANALYST, None)


def _load(db, settings, tmp_path: Path, country: str, rows: str) -> None:
    path = tmp_path / f"{country}.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    report = import_file(path, db, ImportOptions(country=country), settings)
    assert report.rows_quarantined == 0, report.to_dict()



def _record(db, actor: Principal, country: str, record_id: str) -> int:
    ids = registry.find_records(db, actor, country, record_id)
    assert len(ids) == 1
    return ids[0]


@pytest.fixture
def world(db, settings, tmp_path):
    _load(db, settings, tmp_path, "PER", "P1,PC1,perpetrator,recruiter,M,40,2022-03-01,\n"
                                         "P2,PC2,perpetrator,exploiter,F,35,2022-03-02,\n"
                                         "P3,PC3,victim,,F,17,2022-03-03,true\n")
    _load(db, settings, tmp_path, "COL", "C1,CC1,perpetrator,broker_travel_agent;transporter,M,50,2023-01-01,\n"
                                         "C2,CC2,perpetrator,recruiter,F,29,2023-02-01,\n")
    _load(db, settings, tmp_path, "ECU", "E1,EC1,perpetrator,recruiter,M,44,2023-05-05,\n")
    agency = registry.add(db, PER, {"kind": "recruitment", "name": "Agencia Horizonte Laboral S.A.C.",
                                    "country": "PER", "identifier": "RUC-2055", "licence_status": "licensed",
                                    "licence_issued_on": "2018-04-01", "licence_expires_on": "2024-03-31",
                                    "licence_authority": "Ministerio de Trabajo"})
    return {"agency": agency, "P1": _record(db, PER, "PER", "P1"), "P2": _record(db, PER, "PER", "P2"),
            "P3": _record(db, PER, "PER", "P3"), "C1": _record(db, COL, "COL", "C1"),
            "C2": _record(db, COL, "COL", "C2"), "E1": _record(db, ECU, "ECU", "E1")}


def _actions(db) -> list[str]:
    with db.engine.connect() as conn:
        return [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]


def test_bad_agency_input_names_the_field_and_value(db):
    with pytest.raises(RegistryError, match="kind: 'employment'"):
        registry.add(db, PER, {"kind": "employment", "name": "X", "country": "PER"})
    with pytest.raises(RegistryError, match="licence_status: 'ok'"):
        registry.add(db, PER, {"kind": "travel", "name": "X", "country": "PER", "licence_status": "ok"})
    with pytest.raises(RegistryError, match="licence_expires_on: 2019-01-01 is before"):
        registry.add(db, PER, {"kind": "travel", "name": "X", "country": "PER", "licence_issued_on": "2020-01-01",
                               "licence_expires_on": "2019-01-01"})
    with pytest.raises(RegistryError, match="colour: not a field"):
        registry.add(db, PER, {"kind": "travel", "name": "X", "country": "PER", "colour": "red"})


def test_a_country_registers_its_own_agencies_only(db):
    with pytest.raises(Forbidden):
        registry.add(db, PER, {"kind": "travel", "name": "Viajes Sol", "country": "COL"})
    registry.add(db, COL, {"kind": "travel", "name": "Viajes Sol", "country": "COL"})
    registry.add(db, HUB, {"kind": "travel", "name": "Voyages Lune", "country": "HTI"})


def test_links_need_a_recruiter_or_broker_record_in_scope(db, world):
    a = world["agency"]
    with pytest.raises(RegistryError, match="exploiter"):
        registry.link(db, PER, a, world["P2"])
    with pytest.raises(RegistryError, match="role 'victim'"):
        registry.link(db, PER, a, world["P3"])
    with pytest.raises(NotVisible):  # COL's record is not in PER's scope
        registry.link(db, PER, a, world["C1"])
    first = registry.link(db, PER, a, world["P1"])
    assert registry.link(db, PER, a, world["P1"]) == first  # linking twice keeps one link
    assert registry.multi_country(db) == {}


def test_an_agency_in_cases_of_two_countries_is_flagged(db, world):
    a = world["agency"]
    other = registry.add(db, COL, {"kind": "travel", "name": "Viajes Andinos", "country": "COL"})
    registry.link(db, PER, a, world["P1"])
    registry.link(db, COL, other, world["C2"])
    registry.link(db, COL, other, world["C1"])  # two COL records: still one country
    assert registry.multi_country(db) == {}
    registry.link(db, COL, a, world["C1"])  # COL's broker worked with the Peruvian agency
    assert registry.multi_country(db) == {a: ["COL", "PER"]}
    registry.link(db, ECU, a, world["E1"])
    assert registry.multi_country(db) == {a: ["COL", "ECU", "PER"]}
    registry.unlink(db, ECU, a, world["E1"])
    registry.unlink(db, PER, a, world["P1"])
    assert registry.multi_country(db) == {}
    with pytest.raises(NotVisible):
        registry.unlink(db, PER, a, world["C1"])  # not PER's record to unlink


def test_public_and_restricted_fields(db, world):
    a = world["agency"]
    registry.link(db, PER, a, world["P1"])
    registry.link(db, COL, a, world["C1"])
    registry.add_sanction(db, PER, a, {"measure": "suspension", "authority": "SUNAFIL", "imposed_on": "2023-05-01",
                                       "description": "Cobro ilegal de comisiones a postulantes"})
    registry.add_complaint(db, COL, a, {"summary": "Ofertas de empleo falsas en el exterior", "source": "consulado"})
    registry.add_certification(db, PER, a, {"scheme": "IRIS ethical recruitment", "issued_on": "2020-01-01"})
    public = registry.get(db, system(), a, restricted=False)
    assert public is not None
    assert public["name"] == "Agencia Horizonte Laboral S.A.C." and public["licence_status"] == "licensed"
    assert [s["measure"] for s in public["sanctions"]] == ["suspension"]
    assert [c["scheme"] for c in public["certifications"]] == ["IRIS ethical recruitment"]
    assert not {"complaints", "case_links", "multi_country", "linked_countries"} & set(public)
    assert "PC1" not in json.dumps(public) and "consulado" not in json.dumps(public)

    per = registry.get(db, PER, a, restricted=True)
    assert per is not None and per["multi_country"] is True and per["linked_countries"] == ["COL", "PER"]
    assert [(x["country"], x["case_id"], x["record_id"]) for x in per["case_links"]] == [("PER", "PC1", "P1")]
    assert per["complaints"] == []  # COL's complaint is COL's and the hub's (tests/security/test_registry_visibility)
    col = registry.get(db, COL, a, restricted=True)
    assert col is not None and [c["source"] for c in col["complaints"]] == ["consulado"]
    assert [(x["case_id"], x["roles"]) for x in col["case_links"]] == [("CC1", "broker_travel_agent")]
    hub = registry.get(db, HUB, a, restricted=True)  # neither file shared with the hub: no records for it
    assert hub is not None and hub["case_links"] == [] and hub["multi_country"] is True


def test_the_hub_sees_links_to_shared_records_only(db, world):
    a = world["agency"]
    registry.link(db, COL, a, world["C1"])
    assert registry.get(db, HUB, a, restricted=True)["case_links"] == []  # type: ignore[index]
    with db.engine.connect() as conn:
        from tipnet.store.tables import persons
        sid = conn.execute(select(persons.c.submission_id).where(persons.c.id == world["C1"])).scalar_one()
    records.set_shared(db, COL, sid, True)
    links = registry.get(db, HUB, a, restricted=True)["case_links"]  # type: ignore[index]
    assert [x["case_id"] for x in links] == ["CC1"]  # a perpetrator's record needs no victim consent


def test_the_public_search_index_holds_public_fields_only(db, world):
    a = world["agency"]
    registry.link(db, PER, a, world["P1"])
    registry.add_complaint(db, PER, a, {"summary": "Retención de pasaportes", "source": "inspección"})
    registry.add_sanction(db, PER, a, {"measure": "fine", "description": "Multa por publicidad engañosa"})
    assert [h["id"] for h in search.search(db, "horizonte laboral").hits] == [a]
    assert [h["id"] for h in search.search(db, "enganosa").hits] == [a]  # sanctions are public, accents folded
    assert search.search(db, "pasaportes").hits == []  # complaints are not
    assert search.search(db, "PC1").hits == []
    hit = search.search(db, "", search.Filters(source="registry")).hits[0]
    assert hit["kind"] == "recruitment_agency" and hit["country"] == "PER" and hit["year"] == 2018


def test_licence_changes_and_every_registry_change_are_audited(db, world):
    a = world["agency"]
    changed = registry.change(db, PER, a, {"licence_status": "revoked"})
    assert changed == {"licence_status": {"from": "licensed", "to": "revoked"}}
    assert registry.change(db, PER, a, {"licence_status": "revoked"}) == {}  # nothing changed, nothing logged
    with pytest.raises(Forbidden):
        registry.change(db, COL, a, {"licence_status": "licensed"})
    with pytest.raises(Forbidden):  # COL records its own sanctions, not Peru's
        registry.add_sanction(db, COL, a, {"measure": "fine", "country": "PER"})
    registry.link(db, PER, a, world["P1"])
    registry.get(db, PER, a, restricted=True)
    assert _actions(db) == ["registry.create", "registry.update", "registry.link", "registry.read"]
    with db.engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "registry.update")).one()
    assert json.loads(row.details)["licence_status"] == {"from": "licensed", "to": "revoked"}
    assert row.subject_country == "PER"
    assert audit.verify(db).ok
    assert registry.get_public(db, a)["licence_status"] == "revoked"  # type: ignore[index]


def test_the_demo_registry_links_recruiter_records_and_shows_one_flag(db, world):
    from tipnet.demo.registry import seed_registry

    summary = seed_registry(db, countries=3)
    assert summary["agencies"] == 6 and summary["flagged"] == 1
    flagged = registry.multi_country(db)
    (agency_id, countries), = flagged.items()
    assert countries == ["COL", "ECU"]  # the first country's agency also appears in the next one's cases
    assert registry.get_public(db, agency_id)["name"].endswith("(ficticia)")  # type: ignore[index]
    assert seed_registry(db, countries=3)["already_loaded"] is True
