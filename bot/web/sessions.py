"""Signed cookies: the signed-in session, and the short-lived state of a sign-in in progress.

A cookie's value is its JSON payload and an HMAC-SHA256 of it, both base64url; nothing is
kept on the server, so every replica that shares ``WARROOM_SESSION_SECRET`` accepts it.
A value kept on the server for a moment (``bot/web/notices.py``: a key shown once) is
sealed with a key made from the same secret (``Signer.seal``: Fernet, AES-128-CBC and
HMAC-SHA256), so the database alone, or a backup of it, never reads it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.basics.numbers import parse_token

SESSION_COOKIE = "warroom_session"
SIGN_IN_COOKIE = "warroom_sign_in"
# A sign-in must come back from Slack within this long.
SIGN_IN_MINUTES = 10


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Signer:
    """Signs and checks cookie payloads with one key, and seals values kept on the server
    for a moment; each purpose signs and seals apart from others."""

    key: bytes

    def _mac(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict[str, Any], expires: datetime) -> str:
        body = _b64(json.dumps({**payload, "exp": int(expires.timestamp())}).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def check(self, purpose: str, value: str | None, now: datetime) -> dict[str, Any] | None:
        """The payload, or None when the value is missing, forged, malformed or expired."""
        token = parse_token(value)  # compare_digest raises on text that is not ASCII
        if token is None or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            return None
        return payload if payload["exp"] > now.timestamp() else None

    def token(self, purpose: str, value: str) -> str:
        """A value derived from the key (the CSRF token of a session id)."""
        return self._mac(purpose, value)

    def _fernet(self, purpose: str) -> Fernet:
        derived = hmac.new(self.key, f"seal.{purpose}".encode(), hashlib.sha256).digest()
        return Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, purpose: str, value: bytes, now: datetime) -> str:
        """``value`` encrypted and authenticated with a key derived from this one for
        ``purpose``, stamped ``now``."""
        return self._fernet(purpose).encrypt_at_time(value, int(now.timestamp())).decode()

    def unseal(self, purpose: str, sealed: str, now: datetime, ttl: timedelta) -> bytes | None:
        """What ``seal`` sealed for ``purpose``; None when it is forged, another purpose's or
        key's, or sealed more than ``ttl`` before ``now``."""
        try:
            return self._fernet(purpose).decrypt_at_time(
                sealed.encode(), int(ttl.total_seconds()), int(now.timestamp())
            )
        except InvalidToken:
            return None


@dataclass(frozen=True)
class Session:
    """Who is signed in on this browser."""

    session_id: str
    user_id: str | None
    team_id: str | None
    name: str
    guest: bool = False  # a restricted or single-channel guest of the workspace

    @classmethod
    def new(
        cls, user_id: str | None, team_id: str | None, name: str, *, guest: bool = False
    ) -> Session:
        return cls(secrets.token_urlsafe(18), user_id, team_id, name, guest)

    def payload(self) -> dict[str, Any]:
        return {
            "sid": self.session_id,
            "u": self.user_id,
            "t": self.team_id,
            "n": self.name,
            "g": self.guest,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Session | None:
        session_id, user_id, team_id, name, guest = (
            payload.get(key) for key in ("sid", "u", "t", "n", "g")
        )
        if not isinstance(session_id, str) or not isinstance(name, str):
            return None
        if not (user_id is None or isinstance(user_id, str)):
            return None
        if not (team_id is None or isinstance(team_id, str)):
            return None
        # A cookie from before guests were told apart may be a guest's: sign in again.
        if not isinstance(guest, bool):
            return None
        return cls(session_id, user_id, team_id, name, guest=guest)


def session_expiry(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)
