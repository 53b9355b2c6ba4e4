"""Federation: national nodes keep record-level data at home and exchange signed, encrypted bundles with the hub.

    keys      a node's (or the hub's) identity: Ed25519 signing key and X25519 encryption key
    bundle    the exchange format: manifest, signature, encrypted parts (zip); build, open, verify
    policy    what a node may share, per data kind (YAML in the node's home), and pseudonymisation
    share     a node's store -> parts of a bundle, under its policy
    node      the node's state: identity, hub, sequence numbers, outbox and results
    registry  the hub's register of nodes and keys (rotation, revocation, last contact)
    receipts  signed receipts from the hub
    hub       verify, decrypt, validate and apply a bundle in one transaction, with provenance
    results   what goes back to nodes (linkage cluster ids, release list) as bundles
    transport resumable push over HTTP(S), pull
"""
