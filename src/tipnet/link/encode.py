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

import hmac
import logging
from collections.abc import Sequence
from itertools import product

import numpy as np
import numpy.typing as npt

from tipnet.link.clk import EncodedSet
from tipnet.link.keys import FieldKeys, PseudonymKey, derive_keys
from tipnet.link.noise import flips, record_seeds
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
    h = np.empty((len(vocab), 2), dtype=np.uint64)
    for j, tok in enumerate(vocab):
        mac = hmac.digest(key, tok.encode("utf-8"), "sha256")
        h[j, 0] = int.from_bytes(mac[:8], "big")
        h[j, 1] = int.from_bytes(mac[8:16], "big")
    a = (h[:, 0] % np.uint64(length)).astype(np.int64)
    b = (h[:, 1] % np.uint64(length)).astype(np.int64)
    if non_singular:
        b[b == 0] = 1
    return (a[:, None] + np.arange(kmax, dtype=np.int64)[None, :] * b[:, None]) % length


def _hash_feature(feature: Feature, key: bytes, values: Sequence[str], salts: Sequence[str], length: int,
                  out: Bits) -> npt.NDArray[np.bool_]:
    """Set the bits of ``feature`` for every record into ``out`` (n, length); returns which records had tokens."""
    vocab: dict[str, int] = {}
    rec: list[int] = []
    ids: list[int] = []
    ks: list[int] = []
    for i, v in enumerate(values):
        toks = tokens_of(feature, v, salts[i] if salts else "")
        k = feature.k_for(len(toks))
        for t in toks:
            rec.append(i)
            ids.append(vocab.setdefault(t, len(vocab)))
            ks.append(k)
    present = np.zeros(len(values), dtype=np.bool_)
    if not rec:
        return present
    kmax = max(ks)
    pos = _positions(key, list(vocab), kmax, length, feature.prevent_singularity)[np.asarray(ids)]
    kk = np.asarray(ks)
    if (kk != kmax).any():  # bitsPerFeature: fewer positions for tokens of long values; repeat the first one
        mask = np.arange(kmax)[None, :] >= kk[:, None]
        pos = np.where(mask, pos[:, :1], pos)
    r = np.asarray(rec)
    out[r[:, None], pos] = True
    present[r] = True
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
            bits ^= flips(seeds, 0, bits.shape[1], schema.blip)
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
            flip = flips(seeds, first_bit, bits.shape[1], schema.blip)
            flip[~present] = False
            bits ^= flip
        first_bit += bits.shape[1]
        segments.append(bits)
    return _pack(np.concatenate(segments, axis=1))


def block_tokens(prep: Prepared, schema: LinkageSchema, key: bytes) -> tuple[npt.NDArray[np.int64],
                                                                               npt.NDArray[np.int64]]:
    """(record index, token) pairs: a keyed 64-bit hash of each combination of a blocking rule's values."""
    cache: dict[str, int] = {}
    rec: list[int] = []
    tok: list[int] = []
    for rule in schema.blocking:
        missing = [p for p in rule.parts if p not in prep.parts]
        if missing:
            raise ValueError(f"blocking rule {rule.name!r}: unknown parts {missing}")
        columns = [prep.parts[p] for p in rule.parts]
        for i in range(prep.n):
            for combo in product(*(c[i] for c in columns)):
                s = rule.name + "\x1f" + "\x1f".join(combo)
                t = cache.get(s)
                if t is None:
                    t = int.from_bytes(hmac.digest(key, s.encode("utf-8"), "sha256")[:8], "big", signed=True)
                    cache[s] = t
                rec.append(i)
                tok.append(t)
    return np.asarray(rec, dtype=np.int64), np.asarray(tok, dtype=np.int64)


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
    pseudonyms = np.asarray([pseudonym_key.pseudonym(r) for r in record_ids], dtype=np.str_)
    log.info("encoded %d records of %s into %d-bit CLKs, %d blocking tokens", prep.n, country, schema.l, len(tok))
    return EncodedSet(country.upper(), pseudonyms, clks, rec, tok, schema.segments(), schema.fingerprint(),
                      schema.to_json())


