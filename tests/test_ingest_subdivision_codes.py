"""National subdivision codes (INEGI, UBIGEO, DANE, IBGE) and names resolve to ISO 3166-2 on import."""

from __future__ import annotations

import pycountry
import pytest

from tipnet.ingest.subdivisions import _national, is_subdivision_of, resolve_subdivision

A2 = {"MEX": "MX", "PER": "PE", "COL": "CO", "BRA": "BR", "CHL": "CL", "DOM": "DO", "GRD": "GD", "KNA": "KN"}


@pytest.mark.parametrize(("country", "raw", "iso"), [
    # Mexico, INEGI: 09 Ciudad de México, 14 Jalisco, 32 Zacatecas; 14039 is Guadalajara; 090150001 a locality
    ("MEX", "09", "MX-CMX"), ("MEX", "9", "MX-CMX"), ("MEX", "14", "MX-JAL"), ("MEX", "32", "MX-ZAC"),
    ("MEX", "14039", "MX-JAL"), ("MEX", "090150001", "MX-CMX"), ("MEX", "CDMX", "MX-CMX"),
    ("MEX", "Estado de México", "MX-MEX"), ("MEX", "estado de mexico", "MX-MEX"), ("MEX", "Michoacan", "MX-MIC"),
    # Peru, UBIGEO: 15 Lima (department), 150101 Lima district (Lima Metropolitana), 150501 San Vicente de Cañete
    ("PER", "15", "PE-LIM"), ("PER", "150101", "PE-LMA"), ("PER", "1501", "PE-LMA"), ("PER", "150501", "PE-LIM"),
    ("PER", "080101", "PE-CUS"), ("PER", "80101", "PE-CUS"), ("PER", "07", "PE-CAL"), ("PER", "25", "PE-UCA"),
    ("PER", "Huánuco", "PE-HUC"), ("PER", "HUANUCO", "PE-HUC"), ("PER", "Huancavelica", "PE-HUV"),
    # Colombia, DANE: 05 Antioquia (05001 Medellín), 11 Bogotá, 76 Valle del Cauca (76001 Cali), 88 San Andrés
    ("COL", "05", "CO-ANT"), ("COL", "05001", "CO-ANT"), ("COL", "5001", "CO-ANT"), ("COL", "11001", "CO-DC"),
    ("COL", "76001", "CO-VAC"), ("COL", "88", "CO-SAP"), ("COL", "Bogotá D.C.", "CO-DC"), ("COL", "Narino", "CO-NAR"),
    # Brazil, IBGE: 35 São Paulo (3550308 the city), 53 Distrito Federal, 13 Amazonas (130260 Manaus, no check digit)
    ("BRA", "35", "BR-SP"), ("BRA", "3550308", "BR-SP"), ("BRA", "53", "BR-DF"), ("BRA", "130260", "BR-AM"),
    ("BRA", "Sao Paulo", "BR-SP"), ("BRA", "São Paulo", "BR-SP"), ("BRA", "Brasília", "BR-DF"),
    # ISO codes keep working
    ("MEX", "MX-JAL", "MX-JAL"), ("PER", "LMA", "PE-LMA"),
])
def test_real_codes_resolve(country: str, raw: str, iso: str) -> None:
    assert resolve_subdivision(country, raw) == iso


@pytest.mark.parametrize(("country", "raw"), [
    ("MEX", "33"), ("MEX", "00"), ("PER", "26"), ("COL", "06"), ("BRA", "10"), ("BRA", "54"), ("MEX", "123"),
    ("PER", "1234567"), ("GTM", "01x"),
])
def test_unknown_codes_do_not_resolve(country: str, raw: str) -> None:
    assert resolve_subdivision(country, raw) is None


def test_every_table_entry_is_an_iso_code_of_its_country() -> None:
    counts = {}
    for alpha3, spec in _national().items():
        targets = [*(spec.get("codes") or {}).values(), *(spec.get("prefixes") or {}).values(),
                   *(spec.get("aliases") or {}).values()]
        for code in targets:
            sub = pycountry.subdivisions.get(code=code)
            assert sub is not None and code.startswith(A2[alpha3] + "-"), code
            assert sub.parent_code is None or spec.get("provinces"), code  # second level only where in use
            assert is_subdivision_of(alpha3, code)
        if spec.get("codes"):
            counts[alpha3] = len(set(spec["codes"].values()))
    # 32 Mexican states, 25 Peruvian departments (Lima Metropolitana has no UBIGEO department), 33 DANE, 27 IBGE
    assert counts == {"MEX": 32, "PER": 25, "COL": 33, "BRA": 27}


@pytest.mark.parametrize(("country", "raw", "code"), [
    ("DOM", "Santiago", "DO-25"), ("DOM", "Distrito Nacional", "DO-01"), ("DOM", "San Pedro de Macorís", "DO-23"),
    ("DOM", "Cibao Norte", "DO-35"),  # ISO's first level still resolves
    ("KNA", "Saint George Basseterre", "KN-03"), ("CHL", "Región Metropolitana", "CL-RM"),
    ("GRD", "Carriacou and Petite Martinique", "GD-10")])
def test_provinces_and_names_in_use(country: str, raw: str, code: str) -> None:
    # the Dominican provinces and the Kittitian parishes are ISO's second level, and what agencies and the geometry use
    assert resolve_subdivision(country, raw) == code


def test_second_level_stays_out_where_agencies_do_not_use_it() -> None:
    assert resolve_subdivision("PER", "Santiago") is None and resolve_subdivision("MEX", "Cibao Norte") is None
