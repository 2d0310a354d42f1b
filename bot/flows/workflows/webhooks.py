"""Workflows' webhook and Teams actions: jobs of their own lane (``JobKind.WORKFLOW_WEBHOOK``),
so a slow or failing endpoint waits there, retried with backoff, never in front of the
incident's other work (bot/flows/workflows/actions.py runs the rest). A webhook's body is
signed (``X-Warroom-Signature``), never follows a redirect, and is given up, said in the
channel, after its last retry or at once on a 4xx other than 429.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from bot.clients.teams import TeamsFailure
from bot.flows.workflows.actions import action_failed, finished, job_work, template_incident
from bot.flows.workflows.teams import post_workflow_card
from bot.record.workflows.actions import Action
from bot.record.workflows.definitions import Workflow
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Incident, Job

log = logging.getLogger(__name__)
# A webhook is tried again after these waits, then given up (with a message in the channel).
WEBHOOK_BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
)


def signature(secret: str, body: bytes) -> str:
    """``X-Warroom-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def webhook_body(
    services: Services, job: Job, incident: Incident, workflow: Workflow
) -> bytes:
    """The JSON a webhook sends (README: "Workflows", webhooks)."""
    async with session_scope(services.engine) as session:
        shown = await template_incident(session, services, incident, plain=True)
    details = jobs.payload_of(job)
    document = {
        "workflow": workflow.name,
        "trigger": workflow.trigger,
        "event": details.get("event"),
        "delivery": job.key,
        "incident": shown,
    }
    return json.dumps(document, sort_keys=True, default=str).encode()


async def run_webhook(services: Services, job: Job) -> datetime | None:
    """The job handler of a webhook action: sent signed; retried with backoff on a 5xx, a
    429, a redirect (never followed), a timeout or no connection; given up at once on
    another 4xx, and after the last retry, with a message in the channel."""
    found = await job_work(services, job)
    if found is None:
        return None
    incident, workflow, action = found
    if action.verb == "teams":
        return await _run_teams(services, job, incident, workflow, action)
    url = str(action.args["url"])
    secret = str(
        services.settings.workflows.webhook_secrets.get(str(action.args["secret_env"]), "")
    )
    body = await webhook_body(services, job, incident, workflow)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "warroom",
        "X-Warroom-Signature": signature(secret, body),
        "X-Warroom-Delivery": job.key,
    }
    assert services.http is not None
    timeout = aiohttp.ClientTimeout(total=services.settings.workflows.webhook_timeout)
    try:
        async with services.http.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            status, location = response.status, response.headers.get("Location", "")
    except (aiohttp.ClientError, TimeoutError) as error:
        return await _webhook_retry(services, job, incident, workflow, action, _why(error))
    if 200 <= status < 300:
        did = f"webhook sent to {urlsplit(url).hostname} (HTTP {status})"
        await finished(services, job, incident, workflow, action, did=did)
        return None
    if 300 <= status < 400:
        # Never followed (the signed body is for this endpoint only); the endpoint may be
        # mid-deploy, so it is asked again like a 5xx, then given up.
        target = urlsplit(location).hostname or urlsplit(url).hostname
        where = "another host" if target != urlsplit(url).hostname else "another address"
        reason = f"HTTP {status}: redirected to {where} ({target}), not followed"
        return await _webhook_retry(services, job, incident, workflow, action, reason)
    if status >= 500 or status == 429:
        return await _webhook_retry(services, job, incident, workflow, action, f"HTTP {status}")
    await action_failed(services, job, incident, workflow, action, f"HTTP {status}")
    return None


async def _run_teams(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action
) -> datetime | None:
    """The ``teams`` action: the card posted, retried like a webhook on a 5xx, a 429 or no
    answer, given up at once on another 4xx (Teams' words, never the URL)."""
    async with session_scope(services.engine) as session:
        shown = await template_incident(session, services, incident, plain=True)
    try:
        await post_workflow_card(services, incident, workflow, action, shown)
    except TeamsFailure as failure:
        if failure.retryable:
            return await _webhook_retry(services, job, incident, workflow, action, failure.detail)
        await action_failed(services, job, incident, workflow, action, failure.detail)
        return None
    did = "card posted in Microsoft Teams"
    await finished(services, job, incident, workflow, action, did=did)
    return None


async def _webhook_retry(
    services: Services,
    job: Job,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    reason: str,
) -> datetime | None:
    if job.attempts < len(WEBHOOK_BACKOFF):
        log.info(
            "%s: webhook of %s: %s; tried again later", incident.reference, workflow.name, reason
        )
        return services.clock() + WEBHOOK_BACKOFF[job.attempts]
    reason = f"{reason}, given up after {job.attempts + 1} attempts"
    await action_failed(services, job, incident, workflow, action, reason)
    return None


def _why(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return f"no connection ({type(error).__name__})"
