"""Requests signed as Slack signs them (v0: HMAC-SHA256 of ``v0:<timestamp>:<body>`` with the
app's signing secret), for tests that post to /slack/events themselves."""

from __future__ import annotations

import hashlib
import hmac
import time


def v0_signature(secret: str, timestamp: str, body: bytes | str) -> str:
    """The ``X-Slack-Signature`` of ``body`` sent at ``timestamp``: any bytes, UTF-8 or not."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return f"v0={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes | str, timestamp: str | None = None) -> dict[str, str]:
    """The two headers that sign ``body``, stamped now unless told otherwise."""
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": v0_signature(secret, stamp, body),
    }


def event_headers(
    secret: str, body: bytes | str, retry: int = 0, reason: str = "http_timeout"
) -> dict[str, str]:
    """The headers of an Events API delivery of ``body``: JSON, signed, and for Slack's
    ``retry``-th retry of it the retry number and its reason."""
    headers = {"Content-Type": "application/json", **signed_headers(secret, body)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": reason}
    return headers
