"""In-country encoder: records -> keyed Bloom-filter encodings (CLKs), blocking tokens and pseudonyms.

Each distinct token (q-gram, date part, exact value) of a feature is hashed once with HMAC-SHA256 under the
feature's own key; the first two 64-bit words of the MAC give the double-hashing positions ``(h1 + i*h2) mod L``
(``h2`` never 0 mod L). Bits are set for all records of a chunk at once in a boolean matrix, which is then folded
(XOR), balanced (filter + complement, keyed permutation), flipped at random (``blip``) and packed into ``uint64``
words. The flips are keyed, not drawn from the OS: each record's come from its id and values under a key of the
shared and the country's own secret (:mod:`tipnet.link.noise`), so encoding the same records twice, in any order,
gives the same bytes. The encoder runs in the country that holds the names; its output holds none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import chain

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tipnet.link.clk import EncodedSet
from tipnet.link.keys import FieldKeys, Mac, PseudonymKey, derive_keys
from tipnet.link.noise import apply_flips, record_seeds
from tipnet.link.prepare import Columns, Prepared, prepare_person, prepare_raw
from tipnet.link.schema import Feature, LinkageSchema

log = logging.getLogger("tipnet.link")
CHUNK = 50_000
Bits = npt.NDArray[np.bool_]


def tokens_of(feature: Feature, value: str, salt: str = "") -> list[str]:
    """The tokens a feature hashes for one prepared value (clkhash's padded n-grams for ``qgram``)."""
    if not value:
        return []
    if feature.tokens == "qgram":
        n = feature.n
        word = " " * (n - 1) + value + " " * (n - 1) if n > 1 else value
        grams = [word[i:i + n] for i in range(len(word) - n + 1)]
        if feature.positional:
            grams = [f"{i + 1} {g}" for i, g in enumerate(grams)]
        toks = list(dict.fromkeys(grams))
    elif feature.tokens == "date_parts":
        y, m, d = value[:4], value[5:7], value[8:10]
        toks = [f"y{y}", f"m{m}", f"d{d}", f"ym{y}{m}", f"md{m}{d}", "p" + "".join(sorted((m, d))), f"ymd{value}"]
    else:
        toks = [value]
    return [f"{salt}\x1f{t}" for t in toks] if salt else toks


def _positions(key: bytes, vocab: list[str], kmax: int, length: int, non_singular: bool) -> npt.NDArray[np.int64]:
    """(V, kmax) bit positions of each token: (h1 + i*h2) mod length from HMAC-SHA256."""
    raw = Mac(key).digests((tok.encode("utf-8") for tok in vocab), 16)
    h = np.frombuffer(raw, dtype=">u8").reshape(len(vocab), 2).astype(np.uint64)
    a = (h[:, 0] % np.uint64(length)).astype(np.int64)
    b = (h[:, 1] % np.uint64(length)).astype(np.int64)
    if non_singular:
        b[b == 0] = 1
    return (a[:, None] + np.arange(kmax, dtype=np.int64)[None, :] * b[:, None]) % length


class _Index(dict[object, int]):
    """Numbers keys in order of first use."""

    def __missing__(self, key: object) -> int:
        i = self[key] = len(self)
        return i


def _distinct(keys: Sequence[object]) -> tuple[list[object], npt.NDArray[np.int64]]:
    """The distinct keys in order of first appearance, and each position's index among them."""
    ids = _Index()
    vid = np.fromiter(map(ids.__getitem__, keys), np.int64, len(keys))
    return list(ids), vid


def _hash_feature(feature: Feature, key: bytes, values: Sequence[str], salts: Sequence[str], length: int,
                  out: Bits) -> npt.NDArray[np.bool_]:
    """Set the bits of ``feature`` for every record into ``out`` (n, length); returns which records had tokens.
    Each distinct (salt, value) is tokenised and its bit row built once; records take their value's row."""
    distinct, vid = _distinct(list(zip(salts, values, strict=True)) if salts else values)
    vocab = _Index()
    ids: list[int] = []
    add = ids.extend
    counts: list[int] = []
    for d in distinct:
        salt, v = d if isinstance(d, tuple) else ("", d)
        toks = tokens_of(feature, str(v), str(salt))
        counts.append(len(toks))
        add(map(vocab.__getitem__, toks))
    lens = np.asarray(counts, np.int64).reshape(-1)
    k_of = {c: feature.k_for(c) for c in set(counts)}
    ks = np.asarray([k_of[c] for c in counts], np.int64).reshape(-1)
    present = lens[vid] > 0
    if not ids:
        return present
    has = lens > 0
    kmax = int(ks[has].max())
    pos = _positions(key, [str(t) for t in vocab], kmax, length, feature.prevent_singularity)[np.asarray(ids)]
    kk = np.repeat(ks, lens)
    if (kk != kmax).any():  # bitsPerFeature: fewer positions for tokens of long values; repeat the first one
        mask = np.arange(kmax)[None, :] >= kk[:, None]
        pos = np.where(mask, pos[:, :1], pos)
    rows = np.zeros((len(distinct), length), dtype=np.bool_)
    rows[np.repeat(np.arange(len(distinct)), lens)[:, None], pos] = True
    out |= rows[vid]
    return present


def _fold(bits: Bits, folds: int) -> Bits:
    for _ in range(folds):
        half = bits.shape[1] // 2
        bits = bits[:, :half] ^ bits[:, half:]
    return bits


def _permutation(seed: bytes, n: int) -> npt.NDArray[np.int64]:
    return np.random.Generator(np.random.PCG64(int.from_bytes(seed, "big"))).permutation(n)


def _pack(bits: Bits) -> npt.NDArray[np.uint64]:
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))  # bit 0 = MSB of byte 0, as clkhash/bitarray
    return packed.view(">u8").astype(np.uint64)


def _encode_chunk(prep: Prepared, lo: int, hi: int, schema: LinkageSchema, keys: FieldKeys,
                  seeds: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    n = hi - lo
    folds = 2**schema.xor_folds
    if schema.layout != "segmented":
        bits = np.zeros((n, schema.l * folds), dtype=np.bool_)
        for f in schema.features:
            salts = prep.text[f.salt][lo:hi] if f.salt else []
            _hash_feature(f, keys.features[f.identifier], prep.text[f.source_field][lo:hi], salts, bits.shape[1],
                          bits)
        bits = _fold(bits, schema.xor_folds)
        if schema.blip:
            apply_flips(bits, seeds, 0, schema.blip)
        return _pack(bits)
    segments = []
    first_bit = 0
    for f in schema.features:
        base = f.segment_bits // 2 if f.balance else f.segment_bits
        bits = np.zeros((n, base * folds), dtype=np.bool_)
        salts = prep.text[f.salt][lo:hi] if f.salt else []
        present = _hash_feature(f, keys.features[f.identifier], prep.text[f.source_field][lo:hi], salts,
                                bits.shape[1], bits)
        bits = _fold(bits, schema.xor_folds)
        if f.balance:
            bits = np.concatenate([bits, ~bits], axis=1)[:, _permutation(keys.permutation[f.identifier],
                                                                            2 * base)]
            bits[~present] = False  # a missing value stays all zeros
        if schema.blip:
            apply_flips(bits, seeds, first_bit, schema.blip, present)
        first_bit += bits.shape[1]
        segments.append(bits)
    return _pack(np.concatenate(segments, axis=1))


I64 = npt.NDArray[np.int64]


def _part_ids(values: Sequence[tuple[str, ...]]) -> tuple[I64, I64, list[str]]:
    """A blocking part as flat arrays: each record's number of values, the values' ids (records in order, each
    record's values in order) and the distinct values (id -> value)."""
    lens = np.fromiter(map(len, values), np.int64, len(values))
    ids = _Index()
    flat = np.fromiter(map(ids.__getitem__, chain.from_iterable(values)), np.int64, int(lens.sum()))
    return lens, flat, [str(v) for v in ids]


def _cross(lens_a: I64, ids_a: I64, lens_b: I64, ids_b: I64) -> tuple[I64, I64, I64]:
    """Each record's pairs of an A value and a B value, in ``itertools.product`` order (A-major): the number of
    pairs per record and the A and B ids of each pair."""
    lens = lens_a * lens_b
    rec = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    k = np.arange(int(lens.sum()), dtype=np.int64) - first[rec]
    nb = lens_b[rec]
    start_a, start_b = np.cumsum(lens_a) - lens_a, np.cumsum(lens_b) - lens_b
    return lens, ids_a[start_a[rec] + k // nb], ids_b[start_b[rec] + k % nb]


def _rule_tokens(mac: Mac, name: str, parts: Sequence[tuple[I64, I64, list[str]]]) -> tuple[I64, I64]:
    """(number of tokens per record, tokens) of one rule: each combination of its parts' values, hashed once."""
    lens, cur, vocab = parts[0]
    table = np.arange(len(vocab), dtype=np.int64)[:, None]  # distinct combinations so far: value id per part
    vocabs = [vocab]
    for lens_b, ids_b, vocab_b in parts[1:]:
        lens, a, b = _cross(lens, cur, lens_b, ids_b)
        nb = max(len(vocab_b), 1)
        distinct, cur = np.unique(a * nb + b, return_inverse=True)
        cur = cur.reshape(-1).astype(np.int64)
        table = np.concatenate([table[distinct // nb], (distinct % nb)[:, None]], axis=1)
        vocabs.append(vocab_b)
    cols = [pa.array(v, pa.string()).take(pa.array(table[:, j])) for j, v in enumerate(vocabs)]
    texts = pc.binary_join_element_wise(pa.scalar(name), *cols, "\x1f")  # name \x1f value \x1f value ...
    raw = mac.digests(texts.cast(pa.binary()).to_pylist(), 8)
    hashed = np.frombuffer(raw, dtype=">i8").astype(np.int64)
    return lens, hashed[cur]


def block_tokens(prep: Prepared, schema: LinkageSchema, key: bytes) -> tuple[I64, I64]:
    """(record index, token) pairs: a keyed 64-bit hash of each combination of a blocking rule's values, in the
    order rule, record, combination (``itertools.product`` of the rule's parts). Each distinct combination of a
    rule's values is hashed once; the combinations are built with array operations, not per record."""
    mac = Mac(key)
    recs: list[I64] = [np.zeros(0, np.int64)]
    toks: list[I64] = [np.zeros(0, np.int64)]
    cache: dict[str, tuple[I64, I64, list[str]]] = {}
    for rule in schema.blocking:
        missing = [p for p in rule.parts if p not in prep.parts]
        if missing:
            raise ValueError(f"blocking rule {rule.name!r}: unknown parts {missing}")
        parts = [cache[p] if p in cache else cache.setdefault(p, _part_ids(prep.parts[p])) for p in rule.parts]
        per_rec, tok = _rule_tokens(mac, rule.name, parts)
        recs.append(np.repeat(np.arange(prep.n, dtype=np.int64), per_rec))
        toks.append(tok)
    return np.concatenate(recs), np.concatenate(toks)


def prepare(columns: Columns, schema: LinkageSchema) -> Prepared:
    if schema.prepare == "person":
        return prepare_person(columns)
    fields = {f.source_field for f in schema.features} | {f.salt for f in schema.features if f.salt}
    fields |= {p.removesuffix("_ph").removesuffix("_p3") for r in schema.blocking for p in r.parts}
    return prepare_raw(columns, sorted(fields))


def encode_records(columns: Columns, record_ids: Sequence[str], schema: LinkageSchema, secret: bytes,
                   pseudonym_key: PseudonymKey, country: str) -> EncodedSet:
    """Encode a country's records. ``columns`` maps column names to values (the standard's columns for the
    person schema). ``secret`` is the shared linkage secret; ``pseudonym_key`` the country's own key. The same
    records under the same secrets always give the same encodings (the random bit flips are keyed)."""
    if len(record_ids) != (len(next(iter(columns.values()))) if columns else 0):
        raise ValueError("one record id per row")
    keys = derive_keys(secret, schema)
    prep = prepare(columns, schema)
    seeds = np.zeros(prep.n, np.uint64)
    if schema.blip:
        fields = sorted({f.source_field for f in schema.features} | {f.salt for f in schema.features if f.salt})
        seeds = record_seeds(pseudonym_key.noise_key(keys), [str(r) for r in record_ids],
                             [prep.text[f] for f in fields])
    chunks = [_encode_chunk(prep, lo, min(lo + CHUNK, prep.n), schema, keys, seeds[lo:min(lo + CHUNK, prep.n)])
              for lo in range(0, prep.n, CHUNK)]
    clks = np.concatenate(chunks) if chunks else np.zeros((0, schema.words), np.uint64)
    rec, tok = block_tokens(prep, schema, keys.blocking)
    pseudonyms = np.asarray(pseudonym_key.pseudonyms([str(r) for r in record_ids]), dtype=np.str_)
    log.info("encoded %d records of %s into %d-bit CLKs, %d blocking tokens", prep.n, country, schema.l, len(tok))
    return EncodedSet(country.upper(), pseudonyms, clks, rec, tok, schema.segments(), schema.fingerprint(),
                      schema.to_json())


