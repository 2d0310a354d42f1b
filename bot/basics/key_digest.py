"""The SHA-256 a key warroom makes is kept as (agents' tokens, integrations' keys): the
database never holds a working key."""

from __future__ import annotations

import hashlib


def digest(key: str) -> str:
    """The key's hex SHA-256, as kept ("surrogatepass": a header aiohttp could not decode
    is looked up, and found nowhere, instead of failing)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
