"""A webhook subscription's challenge: before a webhook is sent any notice, warroom POSTs it a
signed ``{"type": "url_verification", "challenge": "<random>"}`` and it must answer 2xx with
the challenge echoed, as Slack's Events API verifies a Request URL (the ``url_verification``
event: the challenge as plain text, ``challenge=<it>`` form-encoded, or the JSON object
``{"challenge": "<it>"}``) and Twitch's EventSub a callback (``webhook_callback_verification``:
the raw challenge). A JSON answer holding anything beside ``challenge`` is not an echo: a URL
that reflects whatever it is sent (an echo service) has not agreed to anything.

Until it echoes, it is sent nothing and counts against the webhook caps; an answer that is not
the echo (or a 4xx) refuses it for good, and a webhook that does not answer is tried again a
few times, then refused too (signing it up again starts over). Strangers' challenges run in a
lane of their own: a hanging URL never holds a notice back.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs

from bot.basics.backoff import backoff
from bot.clients.public_hosts import public_session
from bot.clients.vendor_http import VendorFailure
from bot.flows.scheduler import Wait
from bot.flows.status_page.subscriptions import post_to_webhook
from bot.record.status_page import subscriptions as subscribers
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Job, StatusSubscription

log = logging.getLogger(__name__)
CHALLENGE_TYPE = "url_verification"
# A webhook that does not answer (time-out, 5xx, no connection) is asked this many times, 30 s,
# 1, 2 and 4 minutes apart, before it is refused: about 8 minutes to start its receiver.
CHALLENGE_TRIES = 5
FIRST_WAIT = timedelta(seconds=30)


def echoed(answer: bytes, challenge: str) -> bool:
    """Whether ``answer`` is ``challenge`` echoed: as plain text, form-encoded
    (``challenge=...``) or a JSON object with that key alone (compared in constant time)."""
    text = answer.decode("utf-8", "replace").strip()
    said = [text]
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        said = [found["challenge"]] if _only_challenge(found) else []
    elif text.startswith("challenge="):
        said = parse_qs(text).get("challenge", [])[:1]
    return any(
        isinstance(s, str) and hmac.compare_digest(s.encode(), challenge.encode()) for s in said
    )


def _only_challenge(found: object) -> bool:
    return isinstance(found, dict) and set(found) == {"challenge"}


async def send_webhook_challenge(services: Services, job: Job) -> Wait | None:
    """The job handler: POST a waiting webhook its challenge; confirmed when it echoes it,
    refused when it answers anything else, asked again while it does not answer."""
    settings = services.settings.subscriptions
    subscription_id = int(jobs.payload_of(job)["subscription"])
    now = services.clock()
    async with session_scope(services.engine) as session:
        found = await session.get(StatusSubscription, subscription_id)
    if found is None or not subscribers.waiting_for_echo(
        found, now=now, within=settings.confirm_within
    ):
        return None
    challenge = subscribers.new_token()
    document = {"type": CHALLENGE_TYPE, "challenge": challenge}
    async with public_session(settings.webhook_allowed_hosts, subscribers.WEBHOOKS) as web:
        try:
            answer = await post_to_webhook(
                services,
                web,
                found,
                document,
                delivery=f"challenge:{subscription_id}:{job.attempts + 1}",
                answer=True,
            )
        except VendorFailure as failure:
            log.info("Status page: webhook %s not challenged: %s", subscription_id, failure)
            if failure.retryable and job.attempts + 1 < CHALLENGE_TRIES:
                return Wait(services.clock() + backoff(job.attempts, first=FIRST_WAIT))
            answer = None
    confirmed = answer is not None and echoed(answer, challenge)
    async with session_scope(services.engine) as session:
        await subscribers.webhook_answered(
            session, subscription_id, echoed=confirmed, now=services.clock()
        )
        await session.commit()
    log.info(
        "Status page: webhook %s %s its challenge",
        subscription_id,
        "echoed" if confirmed else "did not echo",
    )
    return None
