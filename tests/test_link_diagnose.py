"""The recall breakdown counts what sets of pairs would count (it works on integer keys, for large linkages)."""

from dataclasses import replace

from tipnet.link import match as hub
from tipnet.link.diagnose import recall_breakdown, truth_index_pairs
from tipnet.link.encode import encode_records
from tipnet.link.keys import PseudonymKey
from tipnet.link.schema import person_schema
from tipnet.link.synth import generate


def test_recall_breakdown_counts_as_sets_of_pairs_do():
    ss = generate(800, countries=("PER", "CHL"), seed=21)
    sets = {c: encode_records(cols, cols["record_id"], person_schema(), b"diagnose-test-linkage-secret",
                              PseudonymKey.from_secret(f"{c}-own-pseudonym-secret".encode(), c), c)
            for c, cols in ss.countries.items()}
    a, b = sets["PER"], sets["CHL"]
    person = {r: k for c in ss.countries.values() for r, k in zip(c["record_id"], c["person_key"], strict=True)}
    truth = truth_index_pairs(ss.countries["PER"]["record_id"], ss.countries["CHL"]["record_id"], person)
    truth |= {(0, 0), (0, 0)}  # one more pair, given twice: counted once
    settings = hub.MatchSettings(max_block_pairs=200)
    report, links = recall_breakdown(a, b, list(truth) + [(0, 0)], settings, uncapped=True)

    ca, cb, _ = hub.candidate_pairs(a, b, settings.max_block_pairs, settings.neighbours)
    blocked = set(zip(ca.tolist(), cb.tolist(), strict=True))
    loose = hub.link_pair(a, b, replace(settings, one_to_one=False))
    accepted = set(zip(loose.ia.tolist(), loose.ib.tolist(), strict=True))
    final = set(zip(links.ia.tolist(), links.ib.tolist(), strict=True))
    ua, ub, _ = hub.candidate_pairs(a, b, 2**62, 0)
    assert report["true_pairs"] == len(truth)
    assert report["blocked_true_pairs"] == len(truth & blocked) > 0
    assert report["accepted_true_pairs"] == len(truth & accepted) > 0
    assert report["linked_true_pairs"] == len(truth & final) > 0
    assert report["candidate_pairs"] == len(blocked) and report["links"] == len(final)
    uncapped = len(truth & set(zip(ua.tolist(), ub.tolist(), strict=True))) / len(truth)
    assert report["blocking_recall_uncapped"] == round(uncapped, 4)
    assert report["blocked_true_pairs"] < len(truth)  # the limit of 200 pairs per block loses some
