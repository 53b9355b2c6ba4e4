"""Reproducible linkage: the same records under the same secrets give the same encodings and the same links, run
after run and in any row order (the random bit flips, the training samples and the tie-breaks are keyed)."""

import csv
import json
import random

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tipnet.cli.link import link_app
from tipnet.link import match as hub
from tipnet.link.clk import EncodedSet
from tipnet.link.encode import encode_records
from tipnet.link.keys import PseudonymKey
from tipnet.link.ranks import pair_keys
from tipnet.link.schema import person_schema
from tipnet.link.synth import COLUMNS, generate

app = typer.Typer()
app.add_typer(link_app, name="link")
runner = CliRunner()
SECRET = b"a-secret-shared-by-national-authorities"
IDENTIFYING = [c for c in COLUMNS if c != "person_key"]


@pytest.fixture(scope="module")
def synth():
    return generate(400, countries=("PER", "CHL"), seed=33)


def _shuffled(cols, seed):
    order = list(range(len(cols["record_id"])))
    random.Random(seed).shuffle(order)
    return {k: [v[i] for i in order] for k, v in cols.items()}


def _encode(cols, country):
    key = PseudonymKey.from_secret(f"{country}-own-pseudonym-secret".encode(), country)
    return encode_records(cols, cols["record_id"], person_schema(), SECRET, key, country)


def _by_pseudonym(es: EncodedSet):
    blocks = es.blocks_by_record()
    return {p: (es.clks[i].tobytes(), sorted(blocks[i])) for i, p in enumerate(es.pseudonyms.tolist())}


def test_encoding_twice_gives_identical_bytes(synth, tmp_path):
    cols = synth.countries["PER"]
    first = _encode(cols, "PER").write(tmp_path / "a.jsonl").read_bytes()
    second = _encode(cols, "PER").write(tmp_path / "b.jsonl").read_bytes()
    assert first == second
    assert person_schema().blip > 0  # the default schema does flip bits: they are keyed, not drawn


def test_row_order_changes_neither_encodings_nor_links(synth):
    a, b = synth.countries["PER"], synth.countries["CHL"]
    ea, eb = _encode(a, "PER"), _encode(b, "CHL")
    sa, sb = _encode(_shuffled(a, 1), "PER"), _encode(_shuffled(b, 2), "CHL")
    assert _by_pseudonym(ea) == _by_pseudonym(sa) and _by_pseudonym(eb) == _by_pseudonym(sb)

    def links(x, y, settings):
        got = hub.link_pair(x, y, settings)
        return {(x.pseudonyms[i], y.pseudonyms[j], p) for i, j, p in
                zip(got.ia.tolist(), got.ib.tolist(), got.probability.tolist(), strict=True)}

    # small samples and several parts: the sampled pairs and the parts must follow the records, not the rows
    settings = hub.MatchSettings(u_sample=5_000, em_sample=3_000, part_pairs=4_000)
    base = links(ea, eb, settings)
    assert len(base) > 100
    assert links(sa, sb, settings) == base
    assert links(ea, eb, settings) == base


def test_ties_go_by_record_keys_not_positions():
    """Two candidates with the same probability: the one kept is the same whichever comes first."""
    ka = np.array([5, 9], np.uint64)
    kb = np.array([7, 3], np.uint64)
    ia, ib, score = np.array([0, 0]), np.array([0, 1]), np.array([0.8, 0.8])
    tie = pair_keys(ka, kb, ia, ib)
    keep = hub.greedy_one_to_one(ia, ib, score, tie)
    # the same two records listed the other way round (b's records swapped in position)
    keep_swapped = hub.greedy_one_to_one(ia, np.array([1, 0]), score, pair_keys(ka, kb[::-1].copy(), ia,
                                                                                   np.array([1, 0])))
    assert keep.sum() == keep_swapped.sum() == 1
    assert int(np.flatnonzero(keep)[0]) == int(np.flatnonzero(keep_swapped)[0])


def _write(path, cols):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(IDENTIFYING)
        w.writerows(zip(*(cols[n] for n in IDENTIFYING), strict=True))


def _cli_run(tmp, countries):
    """encode in each country, match at the hub, resolve back: the CLI with its defaults."""
    tmp.mkdir()
    (tmp / "shared.key").write_bytes(SECRET)
    for c, cols in countries.items():
        (tmp / f"{c}.own").write_text(f"{c}-own-pseudonym-secret")
        _write(tmp / f"{c}.csv", cols)
        r = runner.invoke(app, ["link", "encode", str(tmp / f"{c}.csv"), "--country", c, "-o", str(tmp / f"{c}.clk"
                                ".jsonl"), "--secret-file", str(tmp / "shared.key"), "--pseudonym-secret-file",
                                str(tmp / f"{c}.own"), "--json"])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["link", "match", *(str(tmp / f"{c}.clk.jsonl") for c in countries), "-o",
                            str(tmp / "hub.jsonl"), "--split-dir", str(tmp / "back"), "--json"])
    assert r.exit_code == 0, r.output
    for c in countries:
        r = runner.invoke(app, ["link", "resolve", str(tmp / "back" / f"{c}.jsonl"), "--input", str(tmp / f"{c}.csv"),
                                "--country", c, "-o", str(tmp / f"{c}.res.csv"), "--pseudonym-secret-file",
                                str(tmp / f"{c}.own"), "--json"])
        assert r.exit_code == 0, r.output
    return tmp


def test_cli_encode_match_resolve_twice_gives_identical_files(synth, tmp_path):
    one = _cli_run(tmp_path / "one", synth.countries)
    two = _cli_run(tmp_path / "two", synth.countries)
    files = ["PER.clk.jsonl", "CHL.clk.jsonl", "hub.jsonl", "back/PER.jsonl", "back/CHL.jsonl", "PER.res.csv",
             "CHL.res.csv"]
    for name in files:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    hub_rows = [json.loads(x) for x in (one / "hub.jsonl").read_text().splitlines()]
    assert len(hub_rows) > 200
    # shuffled rows: the hub's answer is the same file, byte for byte, and each record keeps its cluster
    shuffled = {c: _shuffled(cols, 7) for c, cols in synth.countries.items()}
    three = _cli_run(tmp_path / "three", shuffled)
    assert (three / "hub.jsonl").read_bytes() == (one / "hub.jsonl").read_bytes()
    for c in synth.countries:
        assert _sorted_rows(three / f"{c}.res.csv") == _sorted_rows(one / f"{c}.res.csv")


def _sorted_rows(path):
    return sorted(path.read_text().splitlines()[1:])
