"""Secure messaging between authority accounts: end-to-end encrypted with libsodium (PyNaCl on the Python side,
libsodium.js in the browser), signed, with receipts, key rotation and revocation. See wire.py for the format."""
