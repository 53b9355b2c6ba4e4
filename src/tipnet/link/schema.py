"""Linkage schemas: what is encoded and how, in a JSON form compatible with the clkhash v3 linkage schema.

A clkhash v3 schema (``version``, ``clkConfig`` with ``l``, ``xorFolds`` and an HKDF ``kdf``, and ``features`` with
``format`` and ``hashing``) is read as is: its features hash into one shared filter of ``l`` bits. tipnet's own
settings ride in ``x-tipnet`` objects, which clkhash's JSON Schema allows at the top level and in each feature:

- ``layout: "segmented"``: each feature owns a word-aligned segment of the filter (``segmentBits`` after folding),
  so the hub can score fields separately (``l`` is then the sum of the segments);
- ``prepare``: ``"person"`` derives given/family/names/dob/sex/place from the standard's columns with
  :mod:`tipnet.link.normalise`; ``"raw"`` reads the columns named by the feature identifiers, folded;
- per feature ``source`` (prepared field), ``tokens`` (``qgram``, ``date_parts`` or ``exact``), ``salt`` (a prepared
  field whose value salts every token), ``balance`` (Schnell's balanced filter: segment + its complement, keyed
  permutation), ``key`` (a key group: features naming the same group hash under one key and one permutation, so
  the hub can compare one's segment with another's, e.g. surnames in either order), and per schema ``blip``
  (randomised-response bit flips) and ``blocking`` rules.

Nothing secret lives in a schema: keys come from the shared secret (HKDF with the public ``kdf`` salt and info).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

TokenKind = Literal["qgram", "date_parts", "exact"]
Layout = Literal["segmented", "shared"]
Prepare = Literal["person", "raw"]


@dataclass(frozen=True)
class Kdf:
    hash: str = "SHA256"
    salt: str = base64.b64encode(b"tipnet-link-v1").decode()  # public, base64
    info: str = base64.b64encode(b"tipnet clk field keys").decode()
    key_size: int = 32

    def to_json(self) -> dict[str, Any]:
        return {"type": "HKDF", "hash": self.hash, "salt": self.salt, "info": self.info, "keySize": self.key_size}


@dataclass(frozen=True)
class Feature:
    identifier: str
    tokens: TokenKind = "qgram"
    n: int = 2
    positional: bool = False
    bits_per_token: int | None = 10
    bits_per_feature: int | None = None
    segment_bits: int = 0  # segmented layout: bits of this feature's segment after folding (multiple of 64)
    source: str | None = None  # prepared field; default: the identifier
    salt: str | None = None
    balance: bool = False
    key: str | None = None  # key group: features naming the same group hash under one key (comparable across)
    prevent_singularity: bool = True
    missing_sentinel: str | None = None
    format: dict[str, Any] = field(default_factory=lambda: {"type": "string", "encoding": "utf-8"})
    description: str = ""

    @property
    def source_field(self) -> str:
        return self.source or self.identifier

    @property
    def key_label(self) -> str:
        """The name its HMAC key and balancing permutation are derived under (its key group, else itself)."""
        return self.key or self.identifier

    def k_for(self, n_tokens: int) -> int:
        if self.bits_per_token is not None:
            return self.bits_per_token
        assert self.bits_per_feature is not None
        return max(1, round(self.bits_per_feature / max(n_tokens, 1)))

    def to_json(self) -> dict[str, Any]:
        if self.tokens == "qgram":
            comparison: dict[str, Any] = {"type": "ngram", "n": self.n, "positional": self.positional}
        else:
            comparison = {"type": "exact"}
        strategy = ({"bitsPerToken": self.bits_per_token} if self.bits_per_token is not None
                    else {"bitsPerFeature": self.bits_per_feature})
        hashing: dict[str, Any] = {"comparison": comparison, "strategy": strategy,
                                   "hash": {"type": "doubleHash", "prevent_singularity": self.prevent_singularity}}
        if self.missing_sentinel is not None:
            hashing["missingValue"] = {"sentinel": self.missing_sentinel}
        ext: dict[str, Any] = {"tokens": self.tokens, "hmac": "SHA256"}
        if self.segment_bits:
            ext["segmentBits"] = self.segment_bits
        if self.source:
            ext["source"] = self.source
        if self.salt:
            ext["salt"] = self.salt
        if self.balance:
            ext["balance"] = True
        if self.key:
            ext["key"] = self.key
        out: dict[str, Any] = {"identifier": self.identifier, "format": dict(self.format), "hashing": hashing,
                               "x-tipnet": ext}
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Feature:
        hashing = d["hashing"]
        comp = hashing["comparison"]
        ext = d.get("x-tipnet", {})
        if comp["type"] == "ngram":
            tokens: TokenKind = ext.get("tokens", "qgram")
        elif comp["type"] == "exact":
            tokens = ext.get("tokens", "exact")
        else:
            raise ValueError(f"feature {d['identifier']!r}: comparison {comp['type']!r} is not supported")
        strategy = hashing["strategy"]
        return cls(
            identifier=d["identifier"],
            tokens=tokens,
            n=int(comp.get("n", 2)),
            positional=bool(comp.get("positional", False)),
            bits_per_token=strategy.get("bitsPerToken"),
            bits_per_feature=strategy.get("bitsPerFeature"),
            segment_bits=int(ext.get("segmentBits", 0)),
            source=ext.get("source"),
            salt=ext.get("salt"),
            balance=bool(ext.get("balance", False)),
            key=ext.get("key"),
            prevent_singularity=bool(hashing.get("hash", {}).get("prevent_singularity", False)),
            missing_sentinel=hashing.get("missingValue", {}).get("sentinel"),
            format=dict(d.get("format", {"type": "string"})),
            description=d.get("description", ""),
        )


@dataclass(frozen=True)
class BlockingRule:
    """Records sharing the keyed hash of these prepared values are compared (one token per combination)."""

    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return "+".join(self.parts)


@dataclass(frozen=True)
class LinkageSchema:
    features: tuple[Feature, ...]
    l: int = 1024  # noqa: E741 - clkhash's name for the filter length
    xor_folds: int = 0
    kdf: Kdf = Kdf()
    layout: Layout = "shared"
    prepare: Prepare = "raw"
    blip: float = 0.0  # probability of flipping each bit of a present segment
    blocking: tuple[BlockingRule, ...] = ()
    ignored: tuple[str, ...] = ()  # clkhash 'ignored' features, kept for round trips
    name: str = ""

    def __post_init__(self) -> None:
        if self.layout == "segmented":
            total = 0
            for f in self.features:
                if f.segment_bits <= 0 or f.segment_bits % 64:
                    raise ValueError(f"feature {f.identifier!r}: segmentBits must be a positive multiple of 64")
                total += f.segment_bits
            if total != self.l:
                raise ValueError(f"segmented layout: l = {self.l} but the segments add up to {total}")
        elif self.l % 64:
            raise ValueError("l must be a multiple of 64")
        if not 0.0 <= self.blip < 0.5:
            raise ValueError("blip must be in [0, 0.5)")

    @property
    def words(self) -> int:
        return self.l // 64

    def segments(self) -> tuple[tuple[str, int, int], ...]:
        """(feature identifier, first word, number of words) of each segment; one 'clk' segment when shared."""
        if self.layout != "segmented":
            return (("clk", 0, self.words),)
        out, start = [], 0
        for f in self.features:
            out.append((f.identifier, start, f.segment_bits // 64))
            start += f.segment_bits // 64
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        clk: dict[str, Any] = {"l": self.l, "kdf": self.kdf.to_json()}
        if self.xor_folds:
            clk["xorFolds"] = self.xor_folds
        ext: dict[str, Any] = {"layout": self.layout, "prepare": self.prepare}
        if self.blip:
            ext["blip"] = self.blip
        if self.blocking:
            ext["blocking"] = [list(r.parts) for r in self.blocking]
        if self.name:
            ext["name"] = self.name
        feats = [f.to_json() for f in self.features]
        feats += [{"identifier": i, "ignored": True} for i in self.ignored]
        return {"version": 3, "clkConfig": clk, "features": feats, "x-tipnet": ext}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def fingerprint(self) -> str:
        """Hash of the canonical JSON: encodings made under different schemas must never be compared."""
        canon = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LinkageSchema:
        if int(d.get("version", 0)) != 3:
            raise ValueError(f"only version 3 linkage schemas are supported, not {d.get('version')!r}")
        clk = d["clkConfig"]
        kdf_d = clk.get("kdf", {})
        if kdf_d.get("type", "HKDF") != "HKDF":
            raise ValueError("only the HKDF key derivation is supported")
        kdf = Kdf(hash=kdf_d.get("hash", "SHA256"), salt=kdf_d.get("salt", ""), info=kdf_d.get("info", ""),
                  key_size=int(kdf_d.get("keySize", 64)))
        ext = d.get("x-tipnet", {})
        feats = tuple(Feature.from_json(f) for f in d["features"] if not f.get("ignored"))
        ignored = tuple(f["identifier"] for f in d["features"] if f.get("ignored"))
        return cls(
            features=feats,
            l=int(clk["l"]),
            xor_folds=int(clk.get("xorFolds", clk.get("xor_folds", 0))),
            kdf=kdf,
            layout=ext.get("layout", "shared"),
            prepare=ext.get("prepare", "raw"),
            blip=float(ext.get("blip", 0.0)),
            blocking=tuple(BlockingRule(tuple(p)) for p in ext.get("blocking", ())),
            ignored=ignored,
            name=ext.get("name", ""),
        )

    @classmethod
    def loads(cls, text: str) -> LinkageSchema:
        return cls.from_json(json.loads(text))

    @classmethod
    def read(cls, path: Path) -> LinkageSchema:
        return cls.loads(Path(path).read_text(encoding="utf-8"))

    def write(self, path: Path) -> None:
        Path(path).write_text(self.dumps() + "\n", encoding="utf-8")

    def hardened(self, blip: float = 0.02, balance: bool = False, salt: str | None = None,
                 xor_folds: int | None = None) -> LinkageSchema:
        """The same schema with frequency-attack hardening switched on (see ``tipnet.link.attack``)."""
        feats = tuple(replace(f, balance=balance or f.balance, salt=salt if salt and f.tokens == "qgram" else f.salt)
                      for f in self.features)
        return replace(self, features=feats, blip=blip,
                       xor_folds=self.xor_folds if xor_folds is None else xor_folds)


PERSON_BLOCKING = (
    # any name token (either field, either surname, joined and split compounds) with the birth year +-1
    BlockingRule(("names_ph", "year2")),
    BlockingRule(("given1_ph", "dob")),
    BlockingRule(("given1", "family")),
    BlockingRule(("dob", "place_ph")),
    BlockingRule(("family", "dob_md")),
    BlockingRule(("names_ph2",)),
    BlockingRule(("names_ph", "place_ph")),  # any name token with the place of birth
    BlockingRule(("family_ph", "given1_i")),  # surname in either position with the given name's initial
    BlockingRule(("given1_ph", "family_i")),  # given name with a surname's initial
)


def person_schema(hardened: bool = True) -> LinkageSchema:
    """tipnet's schema for persons of the case-data standard (given_names, family_names, birth_date, sex,
    place_of_birth): one segment per field plus a token-set segment of all name parts for swapped orders.

    Hardened (the default): per-field keys always, plus randomised-response bit flips (``blip``) so that equal
    names stop giving equal bit patterns. See ``tipnet.link.attack`` for what this does and does not defeat.
    """
    feats = (
        Feature("given", description="given names, short forms resolved", segment_bits=256, bits_per_token=6),
        Feature("family", description="family names without particles", segment_bits=320, bits_per_token=6),
        Feature("names", description="all name tokens as a set (order-free)", segment_bits=448, bits_per_token=5),
        Feature("dob", tokens="date_parts", description="birth date parts", segment_bits=128, bits_per_token=4,
                format={"type": "date", "format": "%Y-%m-%d"}),
        Feature("sex", tokens="exact", segment_bits=64, bits_per_token=4,
                format={"type": "enum", "values": ["f", "m"]}),
        Feature("place", description="town of birth", segment_bits=192, bits_per_token=6),
        # one name each, under one key so the hub can compare them across (surnames in either order, a given name
        # written as a surname)
        Feature("given1", description="first given name", segment_bits=320, bits_per_token=10, key="name"),
        Feature("surname1", description="first surname", segment_bits=320, bits_per_token=10, key="name"),
        Feature("surname2", description="second surname", segment_bits=320, bits_per_token=10, key="name"),
    )
    schema = LinkageSchema(features=feats, l=sum(f.segment_bits for f in feats), layout="segmented",
                           prepare="person", blocking=PERSON_BLOCKING, name="tipnet-person-v1")
    return schema.hardened(blip=0.02) if hardened else schema


def raw_schema(fields: Sequence[str], blocking: Sequence[Sequence[str]], segment_bits: int = 192,
               bits_per_token: int = 6, name: str = "") -> LinkageSchema:
    """A segmented schema over plain columns (bigrams of each folded value), e.g. for FEBRL-style files.
    Blocking parts are column names, ``<column>_ph`` (sound key) or ``<column>_p3`` (first three characters)."""
    feats = tuple(Feature(f, segment_bits=segment_bits, bits_per_token=bits_per_token) for f in fields)
    return LinkageSchema(features=feats, l=segment_bits * len(feats), layout="segmented", prepare="raw",
                         blocking=tuple(BlockingRule(tuple(b)) for b in blocking), name=name)
