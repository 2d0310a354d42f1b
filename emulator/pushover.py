"""A fake Pushover (its Messages and Receipts APIs) on 127.0.0.1, for tests and the demo.

Strict where Pushover's documentation is: https://pushover.net/api ("TL;DR", "Message
Priority", "Limitations", "Response") and https://pushover.net/api/receipts ("Receipts and
Callbacks", "Callback URLs", "Canceling Retries of Emergency-Priority Notifications") and
https://pushover.net/api#verification ("User/Group Verification": ``POST
/1/users/validate.json`` with ``token``, ``user`` and an optional ``device``; a valid key is
answered ``status`` 1 with ``group`` and the user's ``devices``, any other with HTTP 400,
``status`` 0, ``user: invalid`` and ``errors``, as python-pushover's test doubles have it); each
rule cites its section where it is checked. A refusal is a 4xx with ``status: 0`` and
``errors``, as the docs' "Response" says. It keeps every message a user's phone would show,
each emergency one's receipt, and ``acknowledge`` does what tapping Acknowledge does: the
receipt acknowledged, and the message's ``callback`` called (``reach``: as a proxy would take
the call to the bot).

    async with FakePushover(users=[KEY]) as pushover:
        settings = ... WARROOM_PUSHOVER_TOKEN=pushover.token, WARROOM_PUSHOVER_API_URL=pushover.root
        (message,) = pushover.phone(KEY)
        await pushover.acknowledge(message.receipt)
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from emulator.fake_http import FakeHttpServer

# "TL;DR": the form fields of a message (attachments left out: warroom sends none).
FIELDS = frozenset(
    {
        "token", "user", "message", "device", "html", "monospace", "priority", "sound",
        "timestamp", "title", "ttl", "url", "url_title", "retry", "expire", "callback", "tags",
    }
)  # fmt: skip
# "Limitations": a message at most 1,024 characters, a title 250, a URL 512, its title 100.
LIMITS = {"message": 1024, "title": 250, "url": 512, "url_title": 100, "callback": 512}
# "Message Priority": -2 .. 2; "Emergency Priority": retry at least 30 seconds, expire at
# most 10,800 seconds (3 hours).
PRIORITIES = frozenset({"-2", "-1", "0", "1", "2"})
LEAST_RETRY, MOST_EXPIRE = 30, 10800
# "Registration": tokens and keys are 30 characters of [A-Za-z0-9].
KEY_ALPHABET = string.ascii_letters + string.digits
# The one device each of the fake's users has.
DEVICE = "iphone"


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(30))


@dataclass
class Sent:
    """One message Pushover took, as the user's phone shows it; an emergency one's receipt
    and what became of it."""

    user: str
    message: str
    title: str | None
    priority: int
    url: str | None
    url_title: str | None
    retry: int | None
    expire: int | None
    callback: str | None
    sound: str | None
    receipt: str | None
    acknowledged_at: int = 0
    cancelled: bool = False
    # Its ``expire`` seconds passed unacknowledged (``lapse``: the test's clock is not ours).
    lapsed: bool = False
    at: float = field(default_factory=time.time)


class FakePushover(FakeHttpServer):
    """Pushover for one application (``token``) and the user keys in ``users``."""

    def __init__(self, users: list[str], token: str | None = None) -> None:
        super().__init__()
        self.token = token or new_key()
        self.users = set(users)
        self.sent: list[Sent] = []
        self.refused: list[tuple[int, dict[str, Any]]] = []
        # The user keys "User/Group Verification" said valid, in order.
        self.validated: list[str] = []
        # (public address, where it leads): a callback to the first goes to the second.
        self.reach: tuple[str, str] = ("", "")

    def phone(self, user: str) -> list[Sent]:
        """What ``user``'s phone has shown, oldest first."""
        return [sent for sent in self.sent if sent.user == user]

    def with_receipt(self, receipt: str) -> Sent:
        return next(sent for sent in self.sent if sent.receipt == receipt)

    async def acknowledge(self, receipt: str, *, call_back: bool = True) -> int | None:
        """Tap Acknowledge on the emergency message: its receipt acknowledged, its callback
        called ("Callback URLs": a POST of receipt, acknowledged, acknowledged_at,
        acknowledged_by, acknowledged_by_device); the status warroom answered (None: no
        callback, or ``call_back`` False: the call lost on the way)."""
        sent = self.with_receipt(receipt)
        sent.acknowledged_at = int(time.time())
        if not sent.callback or not call_back:
            return None
        return await self.call_back(sent.callback, self._callback_form(sent))

    def lapse(self, receipt: str) -> None:
        """Let the emergency message's ``expire`` pass: Pushover stops repeating it."""
        self.with_receipt(receipt).lapsed = True

    async def call_back(self, callback: str, form: dict[str, str]) -> int:
        """POST ``form`` to ``callback`` as Pushover's servers do (a test may forge one)."""
        public, actual = self.reach
        url = callback.replace(public, actual, 1) if public else callback
        async with aiohttp.ClientSession() as session, session.post(url, data=form) as answer:
            await answer.read()
            return answer.status

    def _callback_form(self, sent: Sent) -> dict[str, str]:
        assert sent.receipt is not None
        return {
            "receipt": sent.receipt,
            "acknowledged": "1",
            "acknowledged_at": str(sent.acknowledged_at),
            "acknowledged_by": sent.user,
            "acknowledged_by_device": "iphone",
        }

    # -- HTTP ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        status, answer = await self._answer(request)
        answer.setdefault("request", str(uuid.uuid4()))
        if status != 200:
            self.refused.append((status, answer))
        return web.json_response(answer, status=status)

    async def _answer(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        if (mishap := await self.next_mishap()) is not None:
            return mishap.status, {"status": 0, "errors": ["injected failure"]}
        parts = request.path.strip("/").split("/")
        form = {key: str(value) for key, value in (await request.post()).items()}
        if request.method == "POST" and request.path == "/1/messages.json":
            return self._message(form)
        if request.method == "POST" and request.path == "/1/users/validate.json":
            return self._validate(form)
        if len(parts) == 3 and parts[:2] == ["1", "receipts"] and request.method == "GET":
            return self._receipt(parts[2].removesuffix(".json"), request.query.get("token"))
        if len(parts) == 4 and parts[3] == "cancel.json" and request.method == "POST":
            return self._cancel(parts[2], form.get("token"))
        return 404, {"status": 0, "errors": ["not found"]}

    def _message(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if (refused := self._token_refused(form.get("token"))) is not None:
            return refused
        if form.get("user") not in self.users:
            return 400, {"user": "invalid", "status": 0, "errors": ["user identifier is invalid"]}
        if problem := _problem(form):
            return 400, {"status": 0, "errors": [problem]}
        priority = int(form.get("priority") or 0)
        sent = Sent(
            user=form["user"],
            message=form["message"],
            title=form.get("title"),
            priority=priority,
            url=form.get("url"),
            url_title=form.get("url_title"),
            retry=int(form["retry"]) if "retry" in form else None,
            expire=int(form["expire"]) if "expire" in form else None,
            callback=form.get("callback"),
            sound=form.get("sound"),
            receipt=new_key() if priority == 2 else None,
        )
        self.sent.append(sent)
        answer: dict[str, Any] = {"status": 1}
        if sent.receipt:
            answer["receipt"] = sent.receipt
        return 200, answer

    def _validate(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """ "User/Group Verification": the token, then the key (one of ``users``), then the
        device when one is named (the fake's users each have one device, ``DEVICE``)."""
        if (refused := self._token_refused(form.get("token"))) is not None:
            return refused
        if unknown := sorted(set(form) - {"token", "user", "device"}):
            return 400, {"status": 0, "errors": [f"unknown parameter(s) {', '.join(unknown)}"]}
        if form.get("user") not in self.users:
            return 400, {
                "user": "invalid",
                "status": 0,
                "errors": ["user key is invalid"],
            }
        if form.get("device") and form["device"] != DEVICE:
            return 400, {
                "device": "invalid for this user",
                "status": 0,
                "errors": ["device name is not valid for user"],
            }
        self.validated.append(form["user"])
        return 200, {"status": 1, "group": 0, "devices": [DEVICE], "licenses": ["iOS"]}

    def _receipt(self, receipt: str, token: str | None) -> tuple[int, dict[str, Any]]:
        """ "Receipts and Callbacks": integer-valued fields; an unknown receipt is refused."""
        if (refused := self._token_refused(token)) is not None:
            return refused
        sent = next((s for s in self.sent if s.receipt == receipt), None)
        if sent is None:
            return 404, {"receipt": "not found", "status": 0, "errors": ["receipt not found"]}
        expires_at = int(sent.at) + (sent.expire or 0)
        over = sent.cancelled or sent.lapsed or time.time() > expires_at
        expired = int(not sent.acknowledged_at and over)
        return 200, {
            "status": 1,
            "acknowledged": int(bool(sent.acknowledged_at)),
            "acknowledged_at": sent.acknowledged_at,
            "acknowledged_by": sent.user if sent.acknowledged_at else "",
            "acknowledged_by_device": "iphone" if sent.acknowledged_at else "",
            "last_delivered_at": int(sent.at),
            "expired": expired,
            "expires_at": expires_at,
            "called_back": int(bool(sent.acknowledged_at and sent.callback)),
            "called_back_at": sent.acknowledged_at if sent.callback else 0,
        }

    def _cancel(self, receipt: str, token: str | None) -> tuple[int, dict[str, Any]]:
        """ "Canceling Retries": POST with the application's token; its repeats stop."""
        if (refused := self._token_refused(token)) is not None:
            return refused
        sent = next((s for s in self.sent if s.receipt == receipt), None)
        if sent is None:
            return 404, {"receipt": "not found", "status": 0, "errors": ["receipt not found"]}
        sent.cancelled = True
        return 200, {"status": 1}

    def _token_refused(self, token: str | None) -> tuple[int, dict[str, Any]] | None:
        if token != self.token:
            return 400, {
                "token": "invalid",
                "status": 0,
                "errors": ["application token is invalid"],
            }
        return None


def _problem(form: dict[str, str]) -> str | None:
    """Why Pushover would refuse this message, in its words, or None."""
    if unknown := sorted(set(form) - FIELDS):
        return f"unknown parameter(s) {', '.join(unknown)}"
    if not form.get("message"):
        return "message cannot be blank"
    for name, most in LIMITS.items():
        if len(form.get(name, "")) > most:
            return f"{name} is too long (maximum is {most} characters)"
    if "url_title" in form and "url" not in form:
        return "url_title given without url"
    priority = form.get("priority", "0")
    if priority not in PRIORITIES:
        return "priority is invalid"
    if priority == "2":
        return _emergency_problem(form)
    return None


def _emergency_problem(form: dict[str, str]) -> str | None:
    """ "Emergency Priority": retry and expire are required; retry at least 30, expire at
    most 10800."""
    for name in ("retry", "expire"):
        if not form.get(name, "").isdigit():
            return f"{name} must be supplied with priority=2"
    if int(form["retry"]) < LEAST_RETRY:
        return f"retry must be at least {LEAST_RETRY} seconds"
    if int(form["expire"]) > MOST_EXPIRE:
        return f"expire must be at most {MOST_EXPIRE} seconds"
    return None
