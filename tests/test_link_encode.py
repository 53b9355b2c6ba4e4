"""Linkage schema (clkhash v3 JSON), keys, the in-country encoder and the CLK file formats."""

import json

import numpy as np
import pytest

from tipnet.link.clk import read_encoded
from tipnet.link.encode import encode_records, tokens_of
from tipnet.link.keys import PseudonymKey, SecretError, derive_keys, read_secret
from tipnet.link.schema import Feature, LinkageSchema, person_schema

SECRET = b"shared-secret-of-national-authorities"
COLS = {
    "record_id": ["r1", "r2", "r3"],
    "given_names": ["María José", "Maria Jose", "Pedro"],
    "family_names": ["García López", "GARCIA LOPEZ", "Quispe"],
    "birth_date": ["1990-05-17", "1990-05-17", ""],
    "sex": ["female", "female", "male"],
    "place_of_birth": ["Cusco, Cusco", "Cusco", ""],
}

# A clkhash v3 schema as clkhash's own documentation writes them (shared filter, ignored feature, xor folds).
CLKHASH_V3 = {
    "version": 3,
    "clkConfig": {"l": 1024, "xorFolds": 1, "kdf": {"type": "HKDF", "hash": "SHA256", "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==", "info": "c2NoZW1hX2V4YW1wbGU=", "keySize": 64}},  # noqa: E501
    "features": [
        {"identifier": "INDEX", "ignored": True},
        {"identifier": "NAME freetext", "format": {"type": "string", "encoding": "utf-8", "case": "mixed",
                                                   "minLength": 3},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 30},
                     "hash": {"type": "doubleHash"}}},
        {"identifier": "DOB YYYY/MM/DD", "format": {"type": "date", "format": "%Y/%m/%d"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True}, "strategy": {"bitsPerFeature": 200},
                     "missingValue": {"sentinel": ""}}},
        {"identifier": "GENDER", "format": {"type": "enum", "values": ["M", "F"]},
         "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 20}}},
    ],
}
HASHING_KEYS = {"comparison", "strategy", "hash", "missingValue"}  # clkhash v3: additionalProperties false


def _encode(schema, cols=COLS, secret=SECRET, country="PER", own=b"peru-own-key-0123"):
    key = PseudonymKey.from_secret(own, country)
    return encode_records(cols, cols["record_id"], schema, secret, key, country)


def test_schema_json_is_clkhash_v3_shaped_and_round_trips():
    schema = person_schema()
    d = schema.to_json()
    assert d["version"] == 3 and d["clkConfig"]["kdf"]["type"] == "HKDF"
    assert d["clkConfig"]["l"] == sum(f["x-tipnet"]["segmentBits"] for f in d["features"])
    for f in d["features"]:
        assert set(f["hashing"]) <= HASHING_KEYS
        assert f["hashing"]["comparison"]["type"] in ("ngram", "exact")
        assert list(f["hashing"]["strategy"]) in (["bitsPerToken"], ["bitsPerFeature"])
        assert f["format"]["type"] in ("string", "date", "enum", "integer")
    assert LinkageSchema.loads(schema.dumps()) == schema
    assert LinkageSchema.loads(schema.dumps()).fingerprint() == schema.fingerprint()
    assert "secret" not in schema.dumps().lower()


def test_reads_a_clkhash_schema():
    schema = LinkageSchema.from_json(CLKHASH_V3)
    assert schema.layout == "shared" and schema.l == 1024 and schema.xor_folds == 1
    assert [f.identifier for f in schema.features] == ["NAME freetext", "DOB YYYY/MM/DD", "GENDER"]
    assert schema.ignored == ("INDEX",)
    assert schema.features[1].positional and schema.features[1].bits_per_feature == 200
    again = LinkageSchema.from_json(schema.to_json())
    assert again.features == schema.features and again.kdf == schema.kdf
    # it encodes: one shared 1024-bit filter (2048 before the fold)
    cols = {"record_id": ["a", "b"], "NAME freetext": ["Ana Quispe", "Ana Quispe"],
            "DOB YYYY/MM/DD": ["1990/01/02", ""], "GENDER": ["F", "F"]}
    es = _encode(schema, cols)
    assert es.clks.shape == (2, 16) and es.segments == (("clk", 0, 16),)


def test_tokens_are_clkhash_ngrams():
    f = Feature("x", n=2)
    assert tokens_of(f, "ana") == [" a", "an", "na", "a "]
    assert tokens_of(Feature("x", n=2, positional=True), "ab") == ["1  a", "2 ab", "3 b "]
    assert tokens_of(Feature("d", tokens="date_parts"), "1990-05-17")[:3] == ["y1990", "m05", "d17"]
    assert tokens_of(f, "ana", salt="1990")[0] == "1990\x1f a"
    assert tokens_of(f, "") == []


def test_keys_are_per_field_and_never_printed():
    keys = derive_keys(SECRET, person_schema())
    values = list(keys.features.values())
    assert len(values) == 9 and all(len(v) == 32 for v in values)
    # one key per field, except the one-name segments, which share their key group's (compared across at the hub)
    group = {keys.features[f] for f in ("given1", "surname1", "surname2")}
    assert len(group) == 1 and len(set(values)) == 7 and group.isdisjoint(keys.features[f] for f in ("given", "family"))
    assert keys.permutation["surname1"] == keys.permutation["surname2"] != keys.permutation["family"]
    assert keys.blocking not in values
    assert "FieldKeys" in repr(keys) and SECRET.hex() not in repr(keys)
    assert derive_keys(SECRET, person_schema()).features == keys.features
    assert derive_keys(SECRET + b"x", person_schema()).features["given"] != keys.features["given"]
    with pytest.raises(SecretError):
        derive_keys(b"short", person_schema())


def test_read_secret(tmp_path, monkeypatch):
    (tmp_path / "s").write_bytes(SECRET + b"\n")
    assert read_secret(tmp_path / "s") == SECRET
    monkeypatch.setenv("TIPNET_LINK_SECRET", SECRET.decode())
    assert read_secret(env="TIPNET_LINK_SECRET") == SECRET
    with pytest.raises(SecretError):
        read_secret(env="TIPNET_NO_SUCH_VARIABLE")


def test_pseudonyms_are_keyed_per_country():
    a = PseudonymKey.from_secret(b"peru-own-key-0123", "PER")
    b = PseudonymKey.from_secret(b"chile-own-key-012", "CHL")
    assert a.pseudonym("r1") == a.pseudonym("r1") != b.pseudonym("r1")
    assert len(a.pseudonym("r1")) == 32 and "r1" not in a.pseudonym("r1")


def test_encoding_is_deterministic_without_flips_and_similar_for_variants():
    plain = person_schema(hardened=False)
    es = _encode(plain)
    assert es.clks.dtype == np.uint64 and es.clks.shape == (3, plain.words)
    assert np.array_equal(_encode(plain).clks, es.clks)
    assert not np.array_equal(_encode(plain, secret=SECRET + b"!").clks, es.clks)
    # accents and case do not change the encoding; a missing field is an all-zero segment
    assert np.array_equal(es.clks[0], es.clks[1])  # "Cusco, Cusco" and "Cusco": the town is what counts
    seg = {name: (s, w) for name, s, w in es.segments}
    s, w = seg["given"]
    assert np.array_equal(es.clks[0, s:s + w], es.clks[1, s:s + w])
    s, w = seg["dob"]
    assert not es.clks[2, s:s + w].any()
    # keyed blocking tokens are shared by the two variants
    t0 = set(es.block_tok[es.block_rec == 0].tolist())
    t1 = set(es.block_tok[es.block_rec == 1].tolist())
    assert len(t0 & t1) >= 5


def test_hardened_encoding_flips_bits_but_keeps_missing_segments_empty():
    schema = person_schema(hardened=True)
    a = _encode(schema)
    b = _encode(schema, own=b"another-countrys-own-key")  # the flips are keyed with the country's own secret too
    assert not np.array_equal(a.clks, b.clks)
    plain = _encode(person_schema(hardened=False))
    assert not np.array_equal(a.clks, plain.clks)
    s, w = next((s, w) for name, s, w in a.segments if name == "dob")
    assert not a.clks[2, s:s + w].any()
    balanced = _encode(person_schema(hardened=False).hardened(blip=0.0, balance=True))
    s, w = next((s, w) for name, s, w in balanced.segments if name == "given")
    assert int(np.bitwise_count(balanced.clks[0, s:s + w]).sum()) == w * 64 // 2  # constant weight


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_clk_files_round_trip(tmp_path, suffix):
    es = _encode(person_schema(hardened=False))
    back = read_encoded(es.write(tmp_path / f"per{suffix}"))
    assert np.array_equal(back.clks, es.clks)
    assert back.pseudonyms.tolist() == es.pseudonyms.tolist()
    assert sorted(zip(back.block_rec.tolist(), back.block_tok.tolist(), strict=True)) == \
        sorted(zip(es.block_rec.tolist(), es.block_tok.tolist(), strict=True))
    assert back.segments == es.segments and back.fingerprint == es.fingerprint and back.country == "PER"
    if suffix == ".jsonl":
        header = json.loads((tmp_path / "per.jsonl").read_text().splitlines()[0])
        assert header["format"] == "tipnet-clk" and header["count"] == 3


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_clk_files_round_trip_a_record_without_blocking_tokens_and_an_empty_set(tmp_path, suffix):
    from dataclasses import replace

    es = _encode(person_schema(hardened=False))
    keep = es.block_rec != 1
    holed = replace(es, block_rec=es.block_rec[keep], block_tok=es.block_tok[keep])
    back = read_encoded(holed.write(tmp_path / f"holed{suffix}"))
    assert 1 not in back.block_rec.tolist() and len(back) == 3 and back.block_rec.dtype == np.int64
    assert sorted(zip(back.block_rec.tolist(), back.block_tok.tolist(), strict=True)) == \
        sorted(zip(holed.block_rec.tolist(), holed.block_tok.tolist(), strict=True))
    empty = replace(es, pseudonyms=es.pseudonyms[:0], clks=es.clks[:0], block_rec=es.block_rec[:0],
                    block_tok=es.block_tok[:0])
    back = read_encoded(empty.write(tmp_path / f"empty{suffix}"))
    assert len(back) == 0 and back.clks.shape == (0, es.words) and len(back.block_tok) == 0


# sha256 (first 32 hex digits) of clks + block_rec + block_tok for 300 synthetic records, taken from the encoder
# before its speed-ups: a faster encoder must give the same bytes.
GOLDEN = {"hard": "d1fb90e927a93b18ac5abf706b44c692", "plain": "c37c6b67f231f4065e2011009d8baa32",
          "hard_more": "b447a8a71891cd2ab91024153400a0a5", "raw": "a14abe440db03526df67a193d4469ced",
          "flat": "5170263b06291332f98f4a4601e4e374"}


def test_encodings_are_byte_identical_to_the_pinned_ones():
    import hashlib
    from dataclasses import replace

    from tipnet.link.schema import raw_schema
    from tipnet.link.synth import generate

    cols = generate(300, countries=("PER",), seed=11).countries["PER"]
    raw = raw_schema(["given_names", "family_names", "birth_date"],
                     [["given_names_p3", "family_names_ph"], ["birth_date"]])
    schemas = {"hard": person_schema(), "plain": person_schema(False),
               "hard_more": person_schema(False).hardened(blip=0.05, balance=True, salt="dob", xor_folds=1),
               "raw": raw.hardened(blip=0.03), "flat": replace(person_schema(), layout="clk", l=1024)}
    for name, schema in schemas.items():
        es = encode_records(cols, cols["record_id"], schema, b"golden-shared-secret-0123",
                            PseudonymKey.from_secret(b"golden-own-key-0123", "PER"), "PER")
        digest = hashlib.sha256(es.clks.tobytes() + es.block_rec.tobytes() + es.block_tok.tobytes()).hexdigest()
        assert digest[:32] == GOLDEN[name], name


def test_in_place_flips_are_the_reference_draws():
    from tipnet.link.noise import apply_flips, flips

    rng = np.random.default_rng(4)
    for n, m in ((300, 2368), (5, 40), (0, 64)):  # 2368 bits: several blocks of rows
        bits = rng.random((n, m)) < 0.3
        seeds = rng.integers(0, 2**63, n, dtype=np.uint64)
        present = rng.random(n) < 0.8
        want = bits ^ (flips(seeds, 17, m, 0.05) & present[:, None])
        got = bits.copy()
        apply_flips(got, seeds, 17, 0.05, present)
        assert np.array_equal(got, want)
        assert n == 0 or (got != bits).any()


def test_blocking_tokens_in_rule_record_combination_order():
    import hmac
    from itertools import product

    from tipnet.link.encode import block_tokens, prepare

    schema = person_schema()
    prep = prepare(COLS, schema)
    key = b"k" * 32
    rec, tok = block_tokens(prep, schema, key)
    want_rec, want_tok = [], []
    for rule in schema.blocking:  # the plain loop the encoder's cache must reproduce
        for i in range(prep.n):
            for combo in product(*(prep.parts[p][i] for p in rule.parts)):
                s = rule.name + "\x1f" + "\x1f".join(combo)
                want_rec.append(i)
                want_tok.append(int.from_bytes(hmac.digest(key, s.encode(), "sha256")[:8], "big", signed=True))
    assert rec.tolist() == want_rec and tok.tolist() == want_tok
    assert len(set(want_tok)) < len(want_tok)  # r1 and r2 share tokens: the cache is exercised


def test_mac_is_hmac_sha256():
    import hmac

    from tipnet.link.keys import Mac

    for key in (b"k" * 32, b"short", b"x" * 64, b"a-key-longer-than-one-sha256-block-" * 3):
        for msg in (b"", b"names_ph+year2\x1fgrsia\x1f1990", "María".encode()):
            assert Mac(key).digest(msg) == hmac.digest(key, msg, "sha256")
    key = PseudonymKey.from_secret(b"peru-own-key-0123", "PER")
    assert key.pseudonyms(["r1", "r2"]) == [key.pseudonym("r1"), key.pseudonym("r2")]


def test_blocking_tokens_of_three_part_rules_with_many_and_no_values():
    """Rules of one, two and three parts over records with several values per part, none, and repeated ones: the
    array-built cross product gives the plain per-record loop's tokens, in its order."""
    import dataclasses
    import hmac
    from itertools import product

    from tipnet.link.encode import block_tokens
    from tipnet.link.prepare import Prepared
    from tipnet.link.schema import BlockingRule

    parts = {"a": [("x", "y"), (), ("y",), ("x", "y", "z"), ("z",)],
             "b": [("1",), ("2", "3"), ("3", "1"), ("1",), ()],
             "c": [("p", "q"), ("p",), ("q", "p"), ("p", "q"), ("q",)]}
    rules = (BlockingRule(("a",)), BlockingRule(("c", "a")), BlockingRule(("a", "b", "c")),
             BlockingRule(("c", "b", "a")))
    schema = dataclasses.replace(person_schema(), blocking=rules)
    key = b"q" * 32
    rec, tok = block_tokens(Prepared(5, {}, parts), schema, key)
    want_rec, want_tok = [], []
    for rule in rules:
        for i in range(5):
            for combo in product(*(parts[p][i] for p in rule.parts)):
                s = rule.name + "\x1f" + "\x1f".join(combo)
                want_rec.append(i)
                want_tok.append(int.from_bytes(hmac.digest(key, s.encode(), "sha256")[:8], "big", signed=True))
    assert rec.tolist() == want_rec and tok.tolist() == want_tok
    assert len(want_tok) > 30 and len(set(want_tok)) < len(want_tok)
    empty = block_tokens(Prepared(0, {}, {p: [] for p in parts}), schema, key)
    assert empty[0].size == 0 and empty[1].size == 0


def test_mac_digests_are_the_macs_prefixes():
    import hmac

    from tipnet.link.keys import Mac

    msgs = [b"", b"a", "José".encode(), b"x" * 200]
    for size in (8, 16, 32):
        want = b"".join(hmac.digest(b"k" * 32, m, "sha256")[:size] for m in msgs)
        assert Mac(b"k" * 32).digests(iter(msgs), size) == want
