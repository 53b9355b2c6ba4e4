"""Name normalisation for the region: accents, particles, two surnames, compounds, swapped order, short forms."""

from datetime import date

import pytest

from tipnet.link.normalise import (
    family_tokens,
    fold,
    given_tokens,
    normalise_place,
    normalise_sex,
    parse_date,
    parse_name,
    phonetic,
)


@pytest.mark.parametrize(("raw", "folded"), [
    ("JOSÉ", "jose"), ("Núñez", "nunez"), ("Gonçalves", "goncalves"), ("O'Brien", "obrien"),
    ("Jean-Baptiste", "jean baptiste"), ("  María   Ángeles ", "maria angeles"), ("Straße", "strasse"), (None, ""),
])
def test_fold(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize(("raw", "tokens"), [
    ("García López", ("garcia", "lopez")),
    ("de la Cruz", ("cruz",)),
    ("Delacruz", ("cruz",)),  # glued particle split off
    ("DELACRUZ", ("cruz",)),
    ("Delgado", ("delgado",)),  # not a particle + known name: left alone
    ("dos Santos", ("santos",)),
    ("Dossantos", ("santos",)),
    ("da Silva e Souza", ("silva", "souza")),  # Portuguese connector "e"
    ("Pérez y Gómez", ("perez", "gomez")),  # Spanish connector "y"
    ("van der Berg", ("berg",)),
    ("Saint-Fleur", ("fleur",)),
    ("De La", ("de", "la")),  # only particles: kept
])
def test_family_tokens(raw, tokens):
    assert family_tokens(raw) == tokens


def test_given_names_short_forms():
    assert given_tokens("Pancho") == ("francisco",)
    assert given_tokens("Zé") == ("jose",)
    assert given_tokens("Bill") == ("william",)
    assert given_tokens("Majo") == ("maria", "jose")
    assert given_tokens("María de los Ángeles") == ("maria", "angeles")
    assert given_tokens("Pancho", resolve_nicknames=False) == ("pancho",)


def test_swapped_order_and_surnames_give_same_token_set():
    a = parse_name("María José", "García López")
    assert a.given1 == "maria" and a.surname1 == "garcia" and a.surname2 == "lopez"
    swapped_fields = parse_name("García López", "María José")
    swapped_surnames = parse_name("MARIA JOSE", "LOPEZ GARCIA")
    assert a.tokens == swapped_fields.tokens == swapped_surnames.tokens
    assert a.family_key == swapped_surnames.family_key == "garcia lopez"
    # a short form written in the family field (fields swapped) still yields the name it stands for
    assert "luis" in parse_name("Martínez", "Lucho").tokens


def test_dates_sex_places():
    assert parse_date("1990-05-17") == date(1990, 5, 17)
    assert parse_date("19900517") == date(1990, 5, 17)
    assert parse_date("17/05/1990") == date(1990, 5, 17)
    assert parse_date("2019-13-45") is None and parse_date("") is None
    assert [normalise_sex(s) for s in ("female", "F", "Mujer", "masculino", "other", None)] == \
        ["f", "f", "f", "m", "", ""]
    assert normalise_place("San Miguel de Tucumán, Tucumán") == "san miguel de tucuman"


def test_phonetic_keys_absorb_spelling_variants():
    assert phonetic("gonzalez") == phonetic("gonsales")
    assert phonetic("vasquez") == phonetic("basques")
    assert phonetic("yesenia") == phonetic("llesenia")


def test_prepared_names_match_parse_name_and_variants():
    """prepare_person derives each field's part once; the result must equal the whole-name derivation."""
    from itertools import combinations

    from tipnet.link.normalise import parse_name, phonetic
    from tipnet.link.prepare import name_variants, prepare_person

    given = ["María José", "Pepe", "Ana", None, "de los Ángeles", "Juan Carlos", "Pancho", "Lu"]
    family = ["García-López", "Delacruz Quispe", "Pepe Rojas", "da Conceição", "", "De La", "Mamani Mamani", "Li"]
    prep = prepare_person({"given_names": given, "family_names": family})
    for i, (g, f) in enumerate(zip(given, family, strict=True)):
        name = parse_name(g, f)
        codes = sorted({phonetic(t) for t in name.tokens if len(t) > 1})
        assert prep.text["names"][i] == name.token_key
        assert prep.text["surname2"][i] == (name.family[-1] if len(name.family) > 1 else "")
        assert prep.parts["names_ph2"][i] == tuple(f"{a}|{b}" for a, b in combinations(codes, 2))
        assert prep.parts["names_ph"][i] == tuple(sorted({phonetic(t) for t in name_variants(name, g, f)}))
        assert prep.parts["family_ph"][i] == tuple(dict.fromkeys(phonetic(t) for t in name.family))
    assert "jose" in prep.text["names"][2].split()  # a short form in the family field adds its name
