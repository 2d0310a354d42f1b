"""The JWTs of Vonage's APIs, made and checked by PyJWT.

Outgoing (developer.vonage.com, "Authentication", JSON Web Tokens): the Voice API (and the
Messages API) take ``Authorization: Bearer <JWT>`` signed RS256 with the application's
private key (bot/config/vonage.py reads it), with the claims ``application_id``, ``iat``,
``jti`` and ``exp``.

Incoming ("Signed webhooks", Messages API and Voice API): each callback carries
``Authorization: Bearer <JWT>`` signed HS256 with the account's signature secret, its
claims ``api_key``, ``iat``, ``jti`` and ``payload_hash`` (the SHA-256 of the body, in hex).
A token not signed so (PyJWT: HS256 only, never "none" nor a key the sender chooses), for
another account, for another body, issued more than ``FRESHNESS`` seconds ago or later than
``FUTURE_SKEW`` from now, or past its ``exp``, is refused. Vonage itself accepts a token at
most 24 hours after its ``iat``, and 15 minutes when it has no ``exp`` (Vonage API Support,
"How long is my JSON Web Token valid for?"), and its advice for webhooks is to check ``iat``
against stale tokens (developer.vonage.com blog, "Validating Inbound Messages From the
Vonage Messages API"). A token signed 30 days ago, captured and replayed, is refused here;
one replayed within the window is stopped by the claim on what it acts on (the message's
``message_uuid``, the call's ``uuid``: bot/flows/escalation/answers.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from bot.config.vonage import PrivateKey

# How long a token warroom signs is good for (Vonage accepts up to a day; a call is made at
# once).
TOKEN_LIFETIME = 300
# A webhook's token issued later than this is refused (clocks differ by seconds, not more).
FUTURE_SKEW = 300
# A webhook's token issued longer ago than this is refused: a delivery is signed as it is sent,
# so only a token kept somewhere is older (Slack's window for its requests, the same).
FRESHNESS = 300


def application_token(application_id: str, key: PrivateKey, *, now: float | None = None) -> str:
    """A JWT for Vonage's APIs as the application: RS256, good for ``TOKEN_LIFETIME``."""
    issued = int(time.time() if now is None else now)
    claims = {
        "application_id": application_id,
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"typ": "JWT"})


@dataclass(frozen=True)
class WebhookClaims:
    """What a webhook's verified token says: the account and when it was signed."""

    api_key: str
    issued_at: int


def signed_by_vonage(
    secret: str, authorization: str, body: bytes, *, api_key: str = ""
) -> WebhookClaims | None:
    """The claims of a webhook's ``Authorization: Bearer`` token when Vonage signed it for
    this body (HS256 with ``secret``; ``api_key`` the account's when given); None otherwise."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    try:
        # The signature and exp by PyJWT; iat's window is warroom's own (PyJWT's allows any
        # age, and no skew without the same leeway on exp).
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            options={"require": ["iat", "payload_hash"], "verify_iat": False},
        )
    except jwt.InvalidTokenError:
        return None
    return _checked(claims, body, api_key, time.time())


def _checked(claims: dict[str, Any], body: bytes, api_key: str, now: float) -> WebhookClaims | None:
    issued = claims.get("iat")
    if not isinstance(issued, int) or isinstance(issued, bool):
        return None
    if not now - FRESHNESS <= issued <= now + FUTURE_SKEW:
        return None
    if api_key and claims.get("api_key") != api_key:
        return None
    payload_hash = claims.get("payload_hash")
    if not isinstance(payload_hash, str):
        return None
    if not hmac.compare_digest(payload_hash.lower(), hashlib.sha256(body).hexdigest()):
        return None
    return WebhookClaims(api_key=str(claims.get("api_key", "")), issued_at=issued)
