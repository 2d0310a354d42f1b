"""Requests signed as Slack signs them (v0: HMAC-SHA256 of ``v0:<timestamp>:<body>`` with the
app's signing secret), for tests that post to /slack/events themselves."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

from emulator import BotResponse, SlackEmulator
from emulator.transport import Outbound


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


# What ``SentTwice`` sends twice: a slash command, an interaction (the emulator's kinds).
SENT_TWICE = ("slash_commands", "interactive")


class SentTwice:
    """While on (``with SentTwice(slack, at_once=...)``), the emulator sends each slash
    command and interaction twice: the same bytes signed at the same second, as a capture
    replayed within Slack's five minutes would arrive, one after the other or both at once.
    ``answers`` holds both answers of each, in the order sent (the first goes on to the
    emulator, as if it alone had been answered)."""

    def __init__(self, slack: SlackEmulator, *, at_once: bool = False) -> None:
        self.slack, self.at_once = slack, at_once
        self.answers: list[BotResponse] = []

    def __enter__(self) -> SentTwice:
        send = self.slack.send_to_bot

        async def twice(
            out: Outbound, *, signing_secret: str | None = None, timestamp: int | None = None
        ) -> BotResponse:
            if out.kind not in SENT_TWICE:  # the events the emulator sends meanwhile: once
                return await send(out, signing_secret=signing_secret, timestamp=timestamp)
            at = int(time.time()) if timestamp is None else timestamp
            sends = [send(out, signing_secret=signing_secret, timestamp=at) for _ in range(2)]
            if self.at_once:
                answers = list(await asyncio.gather(*sends))
            else:
                answers = [await sends[0], await sends[1]]
            self.answers += answers
            return answers[0]

        # On the instance: once deleted, the emulator's own method is found again.
        setattr(self.slack, "send_to_bot", twice)  # noqa: B010 (mypy: no method assignment)
        return self

    def __exit__(self, *_: object) -> None:
        delattr(self.slack, "send_to_bot")
