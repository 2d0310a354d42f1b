"""An RSA private key read from PEM, and RSASSA-PKCS1-v1_5 signatures with SHA-256 (RFC 8017,
8.2): what RS256 JWTs need, in Python's integers, with no dependency. Used for Vonage's
application tokens (bot/clients/vonage/tokens.py); the key is read once, with the settings.

Signing runs in Python, not in constant time: the key is only on the host that signs, where
whoever could time it could read the file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

# RFC 8017, 9.2 note 1: the DER DigestInfo prefix of a SHA-256 digest.
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_PEM = re.compile(r"-----BEGIN (RSA )?PRIVATE KEY-----(.+?)-----END (RSA )?PRIVATE KEY-----", re.S)


class PrivateKeyError(ValueError):
    """The private key cannot be read as an RSA key."""


@dataclass(frozen=True)
class PrivateKey:
    """An RSA private key's numbers (with the CRT parts that make signing fast)."""

    n: int
    e: int
    d: int
    p: int
    q: int
    dp: int
    dq: int
    qinv: int

    def __repr__(self) -> str:  # the key never shows itself in logs or tracebacks
        return f"PrivateKey({self.n.bit_length()} bits)"

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 of ``message`` (RFC 8017, 8.2.1)."""
        size = (self.n.bit_length() + 7) // 8
        digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        padded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
        m = int.from_bytes(padded, "big")
        # The Chinese remainder theorem (RFC 8017, 5.1.2 2.b), checked against e.
        s1, s2 = pow(m, self.dp, self.p), pow(m, self.dq, self.q)
        s = s2 + self.q * ((self.qinv * (s1 - s2)) % self.p)
        if pow(s, self.e, self.n) != m:
            raise PrivateKeyError("the private key's numbers do not agree")
        return s.to_bytes(size, "big")


def read_private_key(path: Path) -> PrivateKey:
    """The RSA key of a PEM file (``BEGIN PRIVATE KEY`` or ``BEGIN RSA PRIVATE KEY``)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise PrivateKeyError(f"cannot read {path}: {type(error).__name__}") from None
    return parse_private_key(text)


def parse_private_key(text: str) -> PrivateKey:
    found = _PEM.search(text)
    if found is None:
        raise PrivateKeyError("expected a PEM RSA private key (BEGIN PRIVATE KEY)")
    try:
        der = base64.b64decode("".join(found.group(2).split()), validate=True)
        if not found.group(1):  # PKCS#8: version, the algorithm, the key in an OCTET STRING
            items = _sequence(der)
            der = items[2][1]
        numbers = [int.from_bytes(value, "big") for tag, value in _sequence(der)[1:9]]
    except (ValueError, IndexError):
        raise PrivateKeyError("the PEM does not hold an RSA private key") from None
    if len(numbers) != 8:
        raise PrivateKeyError("the PEM does not hold an RSA private key")
    return PrivateKey(*numbers)


def _sequence(der: bytes) -> list[tuple[int, bytes]]:
    """The elements (tag, contents) of the DER SEQUENCE ``der`` starts with."""
    tag, body, _ = _element(der, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    items, at = [], 0
    while at < len(body):
        tag, value, at = _element(body, at)
        items.append((tag, value))
    return items


def _element(der: bytes, at: int) -> tuple[int, bytes, int]:
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("truncated")
    return tag, der[at : at + length], at + length
