"""Privacy-preserving record linkage: find the same victim, trafficker or recruiter across agencies and borders
without any name leaving its country.

In the country: :mod:`~tipnet.link.normalise` (names of the region), :mod:`~tipnet.link.schema` (clkhash v3
compatible linkage schemas), :mod:`~tipnet.link.keys` (HKDF field keys, HMAC pseudonyms),
:mod:`~tipnet.link.encode` (CLKs and keyed blocking tokens), :mod:`~tipnet.link.dedupe` (Splink across agencies),
:mod:`~tipnet.link.resolve` (the hub's answer back to record ids).

At the hub, on encodings only: :mod:`~tipnet.link.match` (blocking, Dice, EM, one-to-one, clusters),
:mod:`~tipnet.link.compare`, :mod:`~tipnet.link.model`.

Around them: :mod:`~tipnet.link.results` (routes and networks from links), :mod:`~tipnet.link.synth` (hard
synthetic identities), :mod:`~tipnet.link.evaluate` (precision, recall, F1), :mod:`~tipnet.link.attack`
(frequency attacks on encodings).
"""
