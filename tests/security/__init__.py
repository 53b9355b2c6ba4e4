"""Tests that reproduce attacks found by probes of the running platform, so each stays fixed."""
