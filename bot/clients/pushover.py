"""Pushover (https://pushover.net/api): a push notification POSTed as a form to its Messages
API; an emergency one (priority 2) is repeated every ``retry`` seconds until acknowledged or
``expire`` seconds pass, shown on iOS as a critical alert (through Do Not Disturb and the
mute switch), and answered with a ``receipt``. The Receipts API
(https://pushover.net/api/receipts) says whether it was acknowledged, and cancels its repeats.
User verification (https://pushover.net/api#verification, ``POST /1/users/validate.json`` with
``token`` and ``user``) says whether a user key a person typed is a valid user with an active
device, before warroom sends it a code.

The application token is a secret: it goes in the form (or the receipt's query) only, never
in a failure's text. A user key is an address: not logged either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from bot.basics.logs import page_stage
from bot.clients.vendor_http import VendorFailure
from bot.config import Secret

API_URL = "https://api.pushover.net"
TIMEOUT = 10.0
# "Message priority": -2 lowest .. 1 high, 2 emergency (repeated until acknowledged).
EMERGENCY = 2
# An emergency notification's repeats: every RETRY seconds ("at least 30") for at most
# EXPIRE seconds ("a maximum value of 10800 seconds (3 hours)").
RETRY = 60
EXPIRE = 10800
# "Limitations": a message of at most 1,024 characters, a title of 250, a URL of 512 and its
# title of 100.
MOST_MESSAGE, MOST_TITLE, MOST_URL, MOST_URL_TITLE = 1024, 250, 512, 100
# "Receipts and Callbacks": 30 characters of [A-Za-z0-9]; user keys are alike.
KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
KEY_LENGTH = 30


def is_key(value: str) -> bool:
    """Whether ``value`` has a Pushover key's shape (a user key, a receipt)."""
    return len(value) == KEY_LENGTH and set(value) <= KEY_CHARACTERS


class PushoverFailure(VendorFailure):
    """Pushover did not take the request."""


@dataclass(frozen=True)
class Message:
    """One notification to one user key; ``callback``: where Pushover POSTs when an
    emergency one is acknowledged."""

    user: str
    title: str
    message: str
    priority: int
    url: str | None = None
    url_title: str | None = None
    callback: str | None = None

    def form(self, token: Secret) -> dict[str, str]:
        """The form Pushover takes: a long title or message cut to its limits rather than
        refused (a page that fails for an incident's long title would wake nobody)."""
        form = {
            "token": str(token),
            "user": self.user,
            "title": _cut(self.title, MOST_TITLE),
            "message": _cut(self.message, MOST_MESSAGE),
            "priority": str(self.priority),
        }
        if self.priority == EMERGENCY:
            form |= {"retry": str(RETRY), "expire": str(EXPIRE), "sound": "persistent"}
            if self.callback:
                form["callback"] = self.callback
        if self.url and len(self.url) <= MOST_URL:
            form["url"] = self.url
            if self.url_title:
                form["url_title"] = _cut(self.url_title, MOST_URL_TITLE)
        return form


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


@dataclass(frozen=True)
class Receipt:
    """What the Receipts API says of an emergency notification."""

    acknowledged: bool
    acknowledged_by: str
    expired: bool

    @property
    def state(self) -> str:
        """Pushover's own word for it: acknowledged, expired, or still being repeated."""
        return "acknowledged" if self.acknowledged else "expired" if self.expired else "repeating"


async def send(
    http: aiohttp.ClientSession,
    api_url: str,
    token: Secret,
    message: Message,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """Send ``message``; its receipt (an emergency one) or Pushover's request id.
    PushoverFailure: 429 and 5xx (and no answer) may pass, a 4xx will not."""
    page_stage("push")
    status, body = await _call(
        http, "POST", f"{api_url}/1/messages.json", form=message.form(token), timeout=timeout
    )
    if status == 200 and body.get("status") == 1:
        return str(body.get("receipt") or body.get("request") or "")
    raise _failure(status, body)


async def validate_user(
    http: aiohttp.ClientSession, api_url: str, token: Secret, user: str
) -> None:
    """Whether ``user`` is a key Pushover delivers to ("User/Group Verification": ``status``
    1, with the user's ``devices``); PushoverFailure (``bad_address``: the key is not a
    user's, or has no active device) when it is not."""
    if not is_key(user):
        raise PushoverFailure("not a user key", retryable=False, status=400, bad_address=True)
    url = f"{api_url}/1/users/validate.json"
    form = {"token": str(token), "user": user}
    status, body = await _call(http, "POST", url, form=form, timeout=TIMEOUT)
    if status != 200 or body.get("status") != 1:
        raise _failure(status, body)


async def read_receipt(
    http: aiohttp.ClientSession, api_url: str, token: Secret, receipt: str
) -> Receipt:
    """The receipt as Pushover has it now (re-read: a callback is only a hint)."""
    if not is_key(receipt):
        raise PushoverFailure("not a receipt", retryable=False, status=400)
    url = URL(f"{api_url}/1/receipts/{receipt}.json").with_query(token=str(token))
    status, body = await _call(http, "GET", url, timeout=TIMEOUT)
    if status != 200 or body.get("status") != 1:
        raise _failure(status, body)
    return Receipt(
        acknowledged=body.get("acknowledged") == 1,
        acknowledged_by=str(body.get("acknowledged_by") or ""),
        expired=body.get("expired") == 1,
    )


async def cancel(http: aiohttp.ClientSession, api_url: str, token: Secret, receipt: str) -> None:
    """Stop an emergency notification's repeats (the phone stops ringing)."""
    if not is_key(receipt):
        raise PushoverFailure("not a receipt", retryable=False, status=400)
    url = f"{api_url}/1/receipts/{receipt}/cancel.json"
    status, body = await _call(http, "POST", url, form={"token": str(token)}, timeout=TIMEOUT)
    if status != 200 or body.get("status") != 1:
        raise _failure(status, body)


async def _call(
    http: aiohttp.ClientSession,
    method: str,
    url: str | URL,
    *,
    form: dict[str, str] | None = None,
    timeout: float,
) -> tuple[int, dict[str, Any]]:
    try:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with http.request(
            method, url, data=form, timeout=limit, allow_redirects=False
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = {}
            return response.status, body if isinstance(body, dict) else {}
    except TimeoutError:
        raise PushoverFailure(
            f"no answer within {timeout:g} seconds", retryable=True, timed_out=True
        ) from None
    except aiohttp.ClientError as error:
        detail = f"connection failed ({type(error).__name__})"
        raise PushoverFailure(detail, retryable=True) from None


def _failure(status: int, body: dict[str, Any]) -> PushoverFailure:
    """Pushover's refusal in its words (``errors``: "application token is invalid", "user
    identifier is not a valid user...": never the token or key themselves)."""
    errors = body.get("errors")
    said = "; ".join(str(error) for error in errors)[:200] if isinstance(errors, list) else ""
    detail = f"Pushover answered HTTP {status}" + (f": {said}" if said else "")
    # "user" in the errors: the user key is wrong, its owner should hear of it.
    bad_user = isinstance(body.get("user"), str) and body.get("user") == "invalid"
    return PushoverFailure(
        detail,
        retryable=status == 429 or status >= 500,
        status=status,
        bad_address=bad_user,
    )
