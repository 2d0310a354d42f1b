"""Vonage, the second SMS and voice provider: its application (whose private key signs the
calls to the Messages and Voice APIs), its number, and the signature secret its webhooks are
signed with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.reading import NO_SECRET, Feature, Secret, path, setting, url
from bot.record.paging.contacts import E164

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

DEFAULT_VONAGE_API_URL = "https://api.nexmo.com"


class PrivateKey:
    """The application's RSA key (PyJWT signs Vonage's RS256 tokens with it:
    bot/clients/phone/vonage/tokens.py); it never shows itself in logs or tracebacks."""

    def __init__(self, key: RSAPrivateKey) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"PrivateKey({self.key.key_size} bits)"


def read_private_key(pem: Path) -> PrivateKey:
    """The RSA key of a PEM file (``BEGIN PRIVATE KEY`` or ``BEGIN RSA PRIVATE KEY``), read
    as PyJWT reads an RS256 key; ValueError naming what is wrong, never the key."""
    # Imported here: only a configuration that names a key pays for PyJWT and OpenSSL.
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from jwt.algorithms import RSAAlgorithm
    from jwt.exceptions import InvalidKeyError

    try:
        data = pem.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {pem}: {type(error).__name__}") from None
    try:
        key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(data)
    except (InvalidKeyError, ValueError, TypeError):
        raise ValueError(
            "expected a PEM RSA private key (BEGIN PRIVATE KEY), unencrypted"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the PEM does not hold an RSA private key")
    return PrivateKey(key)


def private_key(raw: str) -> PrivateKey:
    """The application's private key, read from the PEM file at ``raw``."""
    return read_private_key(path(raw))


def e164(raw: str) -> str:
    """``+15555550123``: the Vonage number SMS and calls come from."""
    if not E164.match(raw):
        raise ValueError("expected an E.164 number like +15555550123")
    return raw


@dataclass(frozen=True)
class VonageSettings(Feature):
    """Vonage's Messages and Voice APIs, for contacts that name it (see Paging)."""

    application_id: str = setting(
        env="WARROOM_VONAGE_APPLICATION_ID",
        default="",
        doc="the Vonage application's id (a UUID), with Messages and Voice capabilities; its "
        "Messages Status URL is `WARROOM_PUBLIC_URL/vonage/status`",
        shown="none (no Vonage)",
    )
    private_key: PrivateKey | None = setting(
        env="WARROOM_VONAGE_PRIVATE_KEY_FILE",
        default=None,
        parse=private_key,
        doc="path of the application's private key (the PEM file the dashboard gives): "
        "it signs the JWT of each request to Vonage",
        shown="none (no Vonage)",
    )
    api_key: str = setting(
        env="WARROOM_VONAGE_API_KEY",
        default="",
        doc="the account's API key: a webhook whose token names another account is refused",
        shown="none (no Vonage)",
    )
    signature_secret: Secret = setting(
        env="WARROOM_VONAGE_SIGNATURE_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="the account's signature secret (Dashboard, API settings): Vonage signs its "
        "webhooks with it (HS256); an unsigned one is refused (401)",
        shown="none (no Vonage)",
    )
    from_number: str = setting(
        env="WARROOM_VONAGE_FROM",
        default="",
        parse=e164,
        doc="the Vonage number SMS and calls come from (E.164), linked to the application",
        shown="none (no Vonage)",
    )
    api_url: str = setting(
        env="WARROOM_VONAGE_API_URL",
        default=DEFAULT_VONAGE_API_URL,
        parse=url,
        doc="base URL of Vonage's Messages and Voice APIs",
    )

    @property
    def on(self) -> bool:
        return bool(
            self.application_id
            and self.private_key
            and self.api_key
            and self.signature_secret
            and self.from_number
        )

    def problems(self) -> list[str]:
        given = [
            self.application_id,
            self.private_key,
            self.api_key,
            self.signature_secret,
            self.from_number,
        ]
        if any(given) and not all(given):
            return [
                "WARROOM_VONAGE_APPLICATION_ID, WARROOM_VONAGE_PRIVATE_KEY_FILE, "
                "WARROOM_VONAGE_API_KEY, WARROOM_VONAGE_SIGNATURE_SECRET and WARROOM_VONAGE_FROM: "
                "set all five, or none"
            ]
        return []
