"""Web addresses stored for others to follow (a directory entry's or an agency's website): only `http`, `https` and
`mailto`. A `javascript:`, `data:` or `vbscript:` address would run in the reader's browser or mail client when
followed from a page, a vCard or a spreadsheet."""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEMES = ("http", "https", "mailto")


def url_problem(value: str) -> str | None:
    """Why `value` is not an address tipnet keeps (None when it is one). An empty value is no problem."""
    if not value:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "an address has no spaces or control characters"
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in SCHEMES:
        return f"use an address that starts with {', '.join(s + ':' for s in SCHEMES)}"
    parts = urlsplit(value)
    if scheme in ("http", "https") and not parts.netloc:
        return f"an {scheme} address names a host ({scheme}://host/...)"
    if scheme == "mailto" and "@" not in parts.path:
        return "a mailto address names an e-mail address (mailto:name@host)"
    return None


def is_allowed(value: str | None) -> bool:
    return not value or url_problem(value) is None
