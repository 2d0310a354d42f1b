"""The JWTs of Vonage's APIs, without a dependency.

Outgoing (developer.vonage.com, "Authentication", JSON Web Tokens): the Voice API (and the
Messages API) take ``Authorization: Bearer <JWT>`` signed RS256 with the application's
private key, with the claims ``application_id``, ``iat``, ``jti`` and ``exp``. RSASSA-PKCS1
v1.5 with SHA-256 (RFC 8017, 8.2) is a modular power of a padded digest: done here with
Python's integers, from the PEM key the dashboard gives (PKCS#8, or PKCS#1).

The key is read by bot/basics/rsa.py.

Incoming ("Signed webhooks", Messages API and Voice API): each callback carries
``Authorization: Bearer <JWT>`` signed HS256 with the account's signature secret, its
claims ``api_key``, ``iat``, ``jti`` and ``payload_hash`` (the SHA-256 of the body, in hex).
A token not signed so, for another account, for another body, issued more than
``FRESHNESS`` seconds ago or later than ``FUTURE_SKEW`` from now, or past its ``exp``, is
refused. Vonage itself accepts a token at most 24 hours after its ``iat``, and 15 minutes
when it has no ``exp`` (Vonage API Support, "How long is my JSON Web Token valid
for?"), and its advice for webhooks is to check ``iat`` against stale tokens
(developer.vonage.com blog, "Validating Inbound Messages From the Vonage Messages API"). A
token signed 30 days ago, captured and replayed, is refused here; one replayed within the
window is stopped by the claim on what it acts on (the message's ``message_uuid``, the
call's ``uuid``: bot/flows/escalation/answers.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bot.basics.rsa import PrivateKey

# How long a token warroom signs is good for (Vonage accepts up to a day; a call is made at
# once).
TOKEN_LIFETIME = 300
# A webhook's token issued later than this is refused (clocks differ by seconds, not more).
FUTURE_SKEW = 300
# A webhook's token issued longer ago than this is refused: a delivery is signed as it is sent,
# so only a token kept somewhere is older (Slack's window for its requests, the same).
FRESHNESS = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def application_token(application_id: str, key: PrivateKey, *, now: float | None = None) -> str:
    """A JWT for Vonage's APIs as the application: RS256, good for ``TOKEN_LIFETIME``."""
    issued = int(time.time() if now is None else now)
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {
        "application_id": application_id,
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME,
        "jti": str(uuid.uuid4()),
    }
    signing = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    return f"{signing}.{_b64(key.sign(signing.encode()))}"


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True)
class WebhookClaims:
    """What a webhook's verified token says: the account and when it was signed."""

    api_key: str
    issued_at: int


def signed_by_vonage(
    secret: str,
    authorization: str,
    body: bytes,
    *,
    api_key: str = "",
    now: float | None = None,
) -> WebhookClaims | None:
    """The claims of a webhook's ``Authorization: Bearer`` token when Vonage signed it for
    this body (HS256 with ``secret``; ``api_key`` the account's when given); None otherwise."""
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3 or not secret:
        return None
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        given = _unb64(parts[2])
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    if header.get("alg") != "HS256":  # never "none", never a key chosen by the sender
        return None
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), given):
        return None
    return _checked(claims, body, api_key, time.time() if now is None else now)


def _checked(claims: dict[str, Any], body: bytes, api_key: str, now: float) -> WebhookClaims | None:
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int) or isinstance(issued, bool):
        return None
    if not now - FRESHNESS <= issued <= now + FUTURE_SKEW:
        return None
    if isinstance(expires, int) and expires < now:
        return None
    if api_key and claims.get("api_key") != api_key:
        return None
    payload_hash = claims.get("payload_hash")
    if not isinstance(payload_hash, str):
        return None
    if not hmac.compare_digest(payload_hash.lower(), hashlib.sha256(body).hexdigest()):
        return None
    return WebhookClaims(api_key=str(claims.get("api_key", "")), issued_at=issued)
