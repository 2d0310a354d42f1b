"""An SMS through Vonage's Messages API and a call through its Voice API.

- ``POST /v1/messages`` (developer.vonage.com/en/api/messages): ``{"message_type": "text",
  "channel": "sms", "to", "from", "text", "client_ref"}``, numbers in E.164 without the
  ``+``; answered 202 ``{"message_uuid"}``. Its status webhook (delivered, rejected,
  undelivered...) goes to the application's Status URL.
- ``POST /v1/calls`` (developer.vonage.com/en/api/voice): ``{"to": [{"type": "phone",
  "number"}], "from": {...}, "ncco": [...], "event_url": [...], "event_method": "POST"}``;
  answered 201 ``{"uuid", "status", "direction", "conversation_uuid"}``. Events (ringing,
  answered, completed, busy, timeout, unanswered, failed...) go to ``event_url``; the NCCO's
  ``input`` action posts the key pressed to its own ``eventUrl``.

Both authenticate with a JWT signed by the application's private key (``tokens``). A
refusal is an RFC 7807 document (``type``, ``title``, ``detail``, ``instance``,
``invalid_parameters``); Vonage's ``detail`` may quote the number, so a failure's text is
made from the status and the ``type`` alone: numbers stay out of the channel, the record
and the logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.clients.phone.vonage.tokens import application_token
from bot.clients.vendor_http import Answer, VendorFailure, call_json
from bot.config.vonage import PrivateKey

TIMEOUT = 10.0
# How long a call rings before Vonage reports it unanswered (seconds, the API's default 60).
RINGING_SECONDS = 45
# Vonage's refusals warroom says in its own words, by HTTP status.
REFUSED_FOR_GOOD = {
    401: "Vonage refused the application's credentials (HTTP 401)",
    402: "the Vonage account is out of credit (HTTP 402)",
    403: "Vonage forbids this application to do it (HTTP 403)",
}


class VonageFailure(VendorFailure):
    """Vonage did not take the request; ``problem`` is its RFC 7807 ``type`` when it gave one."""

    def __init__(self, detail: str, *, retryable: bool, problem: str = "", **rest: Any) -> None:
        super().__init__(detail, retryable=retryable, **rest)
        self.problem = problem


@dataclass(frozen=True)
class VonageAccount:
    """Where and as which application to call Vonage, and the number SMS and calls come
    from (E.164)."""

    api_url: str
    application_id: str
    private_key: PrivateKey
    from_number: str

    def headers(self) -> dict[str, str]:
        token = application_token(self.application_id, self.private_key, now=time.time())
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def vonage_number(e164: str) -> str:
    """``+15555550123`` as Vonage takes it: ``15555550123``."""
    return e164.removeprefix("+")


async def send_sms(
    http: aiohttp.ClientSession, account: VonageAccount, *, to: str, text: str, client_ref: str
) -> str:
    """Send an SMS; its ``message_uuid``. VonageFailure when Vonage does not take it."""
    payload = {
        "message_type": "text",
        "channel": "sms",
        "to": vonage_number(to),
        "from": vonage_number(account.from_number),
        "text": text,
        "client_ref": client_ref[:100],
    }
    answer = await _post(http, account, "/v1/messages", payload)
    if answer.status == 202:
        return str(answer.body_object.get("message_uuid", ""))
    raise _failure(answer)


async def place_call(
    http: aiohttp.ClientSession,
    account: VonageAccount,
    *,
    to: str,
    ncco: list[dict[str, Any]],
    event_url: str,
) -> str:
    """Place a call that runs ``ncco``; its ``uuid``. Its events are posted to ``event_url``."""
    payload = {
        "to": [{"type": "phone", "number": vonage_number(to)}],
        "from": {"type": "phone", "number": vonage_number(account.from_number)},
        "ncco": ncco,
        "event_url": [event_url],
        "event_method": "POST",
        "ringing_timer": RINGING_SECONDS,
    }
    answer = await _post(http, account, "/v1/calls", payload)
    if answer.status in (200, 201):
        return str(answer.body_object.get("uuid", ""))
    raise _failure(answer)


async def _post(
    http: aiohttp.ClientSession, account: VonageAccount, path: str, payload: dict[str, Any]
) -> Answer:
    try:
        return await call_json(
            http,
            "POST",
            account.api_url + path,
            payload,
            timeout=TIMEOUT,
            failure=VonageFailure,
            headers=account.headers(),
        )
    except VonageFailure as failure:
        raise VonageFailure(
            f"Vonage: {failure.detail}", retryable=failure.retryable, timed_out=failure.timed_out
        ) from None


def _failure(answer: Answer) -> VonageFailure:
    problem = str(answer.body_object.get("type", ""))
    # The part after the last / names the problem (messages#1150); never the detail.
    named = problem.rsplit("/", 1)[-1][:60]
    status = answer.status
    if status == 429 or status >= 500:
        said = "too many requests" if status == 429 else "an error"
        return VonageFailure(
            f"Vonage answered HTTP {status} ({said})",
            retryable=True,
            problem=problem,
            status=status,
            retry_after=answer.retry_after,
        )
    invalid = answer.body_object.get("invalid_parameters") or []
    bad_number = any(isinstance(p, dict) and p.get("name") == "to" for p in invalid)
    said = REFUSED_FOR_GOOD.get(status) or (
        f"Vonage refused it (HTTP {status}{', ' + named if named else ''})"
    )
    if bad_number:
        said = f"Vonage says the number is not valid (HTTP {status})"
    return VonageFailure(
        said, retryable=False, problem=problem, status=status, bad_address=bad_number
    )


def digits_ncco(say: str, *, event_url: str) -> list[dict[str, Any]]:
    """An NCCO that says ``say`` (a key cuts it short) and waits 8 seconds for one key,
    posted to ``event_url`` (its answer is the call's next NCCO)."""
    return [
        {"action": "talk", "text": say, "bargeIn": True},
        {
            "action": "input",
            "type": ["dtmf"],
            "dtmf": {"maxDigits": 1, "timeOut": 8},
            "eventUrl": [event_url],
            "eventMethod": "POST",
        },
    ]


def talk_ncco(say: str) -> list[dict[str, Any]]:
    """An NCCO that says ``say``; the call ends after it."""
    return [{"action": "talk", "text": say}]
