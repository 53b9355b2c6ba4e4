"""What a country sends to the hub: record pseudonyms, packed CLKs and keyed blocking tokens. Nothing else.

An :class:`EncodedSet` holds the CLKs as an ``(N, W)`` array of ``uint64`` words, the pseudonyms, the blocking
tokens as two flat arrays (record index, 64-bit token) and the public schema (no key, no salt secret). Files are
JSON Lines (a header line, then ``{"pseudonym", "clk" (base64, clkhash's byte order), "blocks"}`` per record) or
Parquet (the same columns; the header in the file's key-value metadata).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = "tipnet-clk"
VERSION = 1

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class EncodedSet:
    country: str
    pseudonyms: npt.NDArray[np.str_]
    clks: U64  # (N, W)
    block_rec: I64  # (T,) record index of each blocking token
    block_tok: I64  # (T,) keyed 64-bit blocking token
    segments: tuple[tuple[str, int, int], ...]  # (field, first word, words)
    fingerprint: str
    schema: dict[str, Any]  # public schema JSON (features, lengths, hardening), never keys

    def __post_init__(self) -> None:
        if self.clks.dtype != np.uint64 or self.clks.ndim != 2:
            raise TypeError("clks must be an (N, W) uint64 array")
        if len(self.pseudonyms) != len(self.clks):
            raise ValueError("one pseudonym per CLK")

    def __len__(self) -> int:
        return len(self.pseudonyms)

    @property
    def words(self) -> int:
        return int(self.clks.shape[1])

    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "country": self.country, "count": len(self),
                "words": self.words, "segments": [list(s) for s in self.segments],
                "fingerprint": self.fingerprint, "schema": self.schema}

    def clk_bytes(self) -> npt.NDArray[np.uint8]:
        """(N, W*8) bytes, bit 0 of the filter = the most significant bit of byte 0 (clkhash/bitarray order)."""
        return self.clks.astype(">u8").view(np.uint8).reshape(len(self), self.words * 8)

    def blocks_by_record(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(len(self))]
        for r, t in zip(self.block_rec.tolist(), self.block_tok.tolist(), strict=True):
            out[r].append(t)
        return out

    def write(self, path: Path) -> Path:
        path = Path(path)
        if path.suffix == ".parquet":
            _write_parquet(self, path)
        else:
            _write_jsonl(self, path)
        return path


def _from_parts(header: dict[str, Any], pseudonyms: list[str], raw: npt.NDArray[np.uint8],
                blocks: list[list[int]]) -> EncodedSet:
    lens = np.fromiter((len(b) for b in blocks), np.int64, len(blocks))
    tok = np.fromiter((t for b in blocks for t in b), np.int64, int(lens.sum()))
    return _from_arrays(header, np.asarray(pseudonyms, dtype=np.str_), raw, lens, tok)


def _from_arrays(header: dict[str, Any], pseudonyms: npt.NDArray[np.str_], raw: npt.NDArray[np.uint8],
                 lens: I64, tok: I64) -> EncodedSet:
    """The set from its columns: ``lens[i]`` blocking tokens of record i, in order, in ``tok``."""
    if header.get("format") != FORMAT:
        raise ValueError("not a tipnet CLK file")
    words = int(header["words"])
    clks = raw.reshape(len(pseudonyms), words * 8).view(">u8").astype(np.uint64) if len(pseudonyms) else \
        np.zeros((0, words), np.uint64)
    rec = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    return EncodedSet(header["country"], pseudonyms, clks, rec, tok,
                      tuple((str(a), int(b), int(c)) for a, b, c in header["segments"]),
                      header["fingerprint"], header["schema"])


def _write_jsonl(es: EncodedSet, path: Path) -> None:
    raw = es.clk_bytes()
    blocks = es.blocks_by_record()
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(es.header(), ensure_ascii=False) + "\n")
        for i, p in enumerate(es.pseudonyms.tolist()):
            clk = base64.b64encode(raw[i].tobytes()).decode()
            fh.write(json.dumps({"pseudonym": p, "clk": clk, "blocks": [f"{t & (2**64 - 1):016x}"
                                                                          for t in blocks[i]]}) + "\n")


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _signed(h: str) -> int:
    v = int(h, 16)
    return v - 2**64 if v >= 2**63 else v


def _read_jsonl(path: Path) -> EncodedSet:
    it = _lines(path)
    header = next(it)
    pseudonyms: list[str] = []
    chunks: list[bytes] = []
    blocks: list[list[int]] = []
    for row in it:
        pseudonyms.append(row["pseudonym"])
        chunks.append(base64.b64decode(row["clk"]))
        blocks.append([_signed(h) for h in row.get("blocks", [])])
    raw = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    return _from_parts(header, pseudonyms, raw, blocks)


def _write_parquet(es: EncodedSet, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = es.clk_bytes()
    width = raw.shape[1]
    clk = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(es), [None, pa.py_buffer(raw.tobytes())])
    offsets = np.zeros(len(es) + 1, np.int32)
    np.cumsum(np.bincount(es.block_rec, minlength=len(es)), out=offsets[1:])
    order = np.argsort(es.block_rec, kind="stable")
    blocks = pa.ListArray.from_arrays(pa.array(offsets), pa.array(es.block_tok[order]))
    table = pa.table({"pseudonym": pa.array(es.pseudonyms.tolist(), pa.string()), "clk": clk, "blocks": blocks})
    table = table.replace_schema_metadata({b"tipnet": json.dumps(es.header()).encode()})
    pq.write_table(table, path)


def _read_parquet(path: Path) -> EncodedSet:
    """Column by column through Arrow (a million records' blocking tokens as Python lists took 3 GB more)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    header = json.loads(meta[b"tipnet"])
    n = table.num_rows
    pseudonyms = np.asarray(table.column("pseudonym").to_numpy(zero_copy_only=False), dtype=np.str_) if n else \
        np.zeros(0, np.str_)
    clk_col = table.column("clk").combine_chunks()
    raw = np.frombuffer(clk_col.buffers()[1], dtype=np.uint8)[clk_col.offset * header["words"] * 8:]
    raw = raw[: n * header["words"] * 8]
    blocks = table.column("blocks").combine_chunks()
    del table
    lens = pc.fill_null(pc.list_value_length(blocks), 0).to_numpy().astype(np.int64) if n else np.zeros(0, np.int64)
    tok = blocks.flatten().to_numpy().astype(np.int64) if n else np.zeros(0, np.int64)
    return _from_arrays(header, pseudonyms, raw.copy(), lens, tok)


def read_encoded(path: Path) -> EncodedSet:
    path = Path(path)
    return _read_parquet(path) if path.suffix == ".parquet" else _read_jsonl(path)
