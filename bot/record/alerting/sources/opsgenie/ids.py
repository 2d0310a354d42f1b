"""Opsgenie's ids for what warroom keeps: an alert's ``id`` and a request's ``requestId``.

Opsgenie names an alert by a UUID (its ``id``) and answers each request with another (its
``requestId``, read back with ``GET /v2/alerts/requests/{requestId}``). warroom's are made
from its own rows, with no column of their own: an alert's from its number (the ``tiny`` id,
``/alerts/<number>``), a request's from its stored payload's id. Each is a UUID whose last
eight bytes are the number and whose first eight are a hash of the number and what it names,
so the same row always gets the same id, an alert id is no request id, and an id warroom did
not make reads as none. Whose the row is, is checked where it is read: an id opens nothing.
"""

from __future__ import annotations

import hashlib
import uuid

ALERT, REQUEST = "alert", "request"
_NUMBER_BYTES = 8
_LARGEST = 2 ** (8 * _NUMBER_BYTES) - 1


def _check(kind: str, number: int) -> bytes:
    return hashlib.sha256(f"warroom opsgenie {kind}:{number}".encode()).digest()[:_NUMBER_BYTES]


def made(kind: str, number: int) -> str:
    """The id of ``kind`` (``ALERT`` or ``REQUEST``) for row ``number``."""
    return str(uuid.UUID(bytes=_check(kind, number) + number.to_bytes(_NUMBER_BYTES, "big")))


def number_of(kind: str, given: str) -> int | None:
    """The row an id of ``kind`` names; None for any string warroom did not make so."""
    try:
        raw = uuid.UUID(given.strip()).bytes
    except ValueError:
        return None
    number = int.from_bytes(raw[_NUMBER_BYTES:], "big")
    if not 0 < number <= _LARGEST or raw[:_NUMBER_BYTES] != _check(kind, number):
        return None
    return number
