"""An RSA private key read from PEM, and RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256,
RFC 8017, 8.2): what Vonage's application tokens need (bot/clients/phone/vonage/tokens.py). The key
is read once, with the settings; `cryptography` (OpenSSL) signs in constant time, where a
hand-written signer would not.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class PrivateKeyError(ValueError):
    """The private key cannot be read as an RSA key."""


class PrivateKey:
    """An RSA private key that signs, and never shows itself in logs or tracebacks."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"PrivateKey({self._key.key_size} bits)"

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 of ``message`` (RFC 8017, 8.2.1)."""
        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def read_private_key(path: Path) -> PrivateKey:
    """The RSA key of a PEM file (``BEGIN PRIVATE KEY`` or ``BEGIN RSA PRIVATE KEY``)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PrivateKeyError(f"cannot read {path}: {type(error).__name__}") from None
    return parse_private_key(data)


def parse_private_key(data: bytes | str) -> PrivateKey:
    raw = data.encode() if isinstance(data, str) else data
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise PrivateKeyError(
            "expected a PEM RSA private key (BEGIN PRIVATE KEY), unencrypted"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PrivateKeyError("the PEM does not hold an RSA private key")
    return PrivateKey(key)
