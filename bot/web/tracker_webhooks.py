"""``POST /trackers/{github,jira,linear}``: a tracker says an issue warroom filed was closed.

Each delivery is checked the way its tracker signs it, over the raw body, before anything in
it is read: a bad or missing signature is 401, a body over ``WARROOM_MAX_BODY_BYTES`` 413.
A closed issue marks its follow-up done (the draft ticks its box) and the channel is told;
everything else a tracker sends (other events, issues warroom did not file) is answered 200
and ignored, so the tracker does not retry it.

- GitHub (docs.github.com, webhooks/using-webhooks/validating-webhook-deliveries and
  webhook-events-and-payloads#issues): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>``;
  the ``issues`` event with ``action: closed``; "closed as not planned" is not done.
- Jira Cloud (developer.atlassian.com/cloud/jira/platform/webhooks, "Secure admin
  webhooks"): an admin webhook with a secret sends ``X-Hub-Signature: sha256=<hex>``;
  ``jira:issue_updated`` whose status is in the ``done`` category.
- Linear (linear.app/developers/webhooks): ``Linear-Signature: <hex HMAC-SHA256>``, and
  ``webhookTimestamp`` (epoch milliseconds) within a minute of now, against replays;
  an ``Issue`` ``update`` whose state type is ``completed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.alerting.webhooks import BodyTooLarge, read_body
from bot.basics.trackers import TrackerSettings
from bot.flows.filing import close_from_tracker
from bot.keys import services_key

log = logging.getLogger(__name__)
# Linear's advice: refuse a delivery whose timestamp is more than a minute away from now.
LINEAR_FRESHNESS_SECONDS = 60.0


def _signature_ok(secret: str, body: bytes, given: str, prefix: str) -> bool:
    expected = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # "replace": header bytes that are not text must fail the comparison, not raise.
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


Closing = tuple[str, str, str]  # external id, project ("" for any), who closed it


def _github(request: web.Request, event: dict[str, Any]) -> Closing | None:
    issue = event.get("issue") or {}
    closed = request.headers.get("X-GitHub-Event") == "issues" and event.get("action") == "closed"
    if not closed or issue.get("state_reason") == "not_planned" or "number" not in issue:
        return None
    repository = (event.get("repository") or {}).get("full_name") or ""
    return (
        str(issue["number"]),
        str(repository),
        str((event.get("sender") or {}).get("login") or ""),
    )


def _jira(_request: web.Request, event: dict[str, Any]) -> Closing | None:
    issue = event.get("issue") or {}
    status = ((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}
    if event.get("webhookEvent") != "jira:issue_updated" or status.get("key") != "done":
        return None
    return str(issue.get("id") or ""), "", str((event.get("user") or {}).get("displayName") or "")


def _linear(_request: web.Request, event: dict[str, Any]) -> Closing | None:
    data = event.get("data") or {}
    if event.get("type") != "Issue" or event.get("action") != "update":
        return None
    if (data.get("state") or {}).get("type") != "completed":
        return None
    return str(data.get("id") or ""), "", str((event.get("actor") or {}).get("name") or "")


# tracker: (its secret in the settings, the signature header, its prefix, what closes)
_TRACKERS: dict[str, tuple[Callable[[TrackerSettings], str], str, str, Any]] = {
    "github": (lambda t: t.github_webhook_secret, "X-Hub-Signature-256", "sha256=", _github),
    "jira": (lambda t: t.jira_webhook_secret, "X-Hub-Signature", "sha256=", _jira),
    "linear": (lambda t: t.linear_webhook_secret, "Linear-Signature", "", _linear),
}


async def receive_tracker_webhook(request: web.Request) -> web.Response:
    """One delivery from a tracker: verify it, then close the follow-up it names."""
    tracker = request.match_info["tracker"]
    if tracker not in _TRACKERS:
        return _answer(404, f"unknown tracker {tracker!r}; use github, jira or linear")
    services = request.app[services_key]
    secret_of, header, prefix, closing_of = _TRACKERS[tracker]
    secret = secret_of(services.settings.trackers)
    if not secret:
        return _answer(503, f"{tracker} webhooks are off: its webhook secret is not set")
    try:
        body = await read_body(request, services.settings.max_body_bytes)
    except BodyTooLarge:
        return _answer(413, f"body is larger than {services.settings.max_body_bytes} bytes")
    if not _signature_ok(secret, body, request.headers.get(header, ""), prefix):
        return _answer(401, f"missing or wrong {header}")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _answer(400, "body is not JSON")
    if not isinstance(event, dict):
        return _answer(400, "body is not a JSON object")
    if tracker == "linear" and not _fresh(event.get("webhookTimestamp")):
        return _answer(401, "webhookTimestamp is missing or more than a minute away from now")
    closing = closing_of(request, event)
    if closing is None or not closing[0]:
        return _answer(200, "ignored")
    external_id, project, by = closing
    try:
        issue = await close_from_tracker(services, tracker, external_id, project=project, by=by)
    except Exception:
        log.exception("closing a follow-up from %s failed", tracker)
        return _answer(503, "could not record it; send it again")
    return _answer(200, "closed" if issue is not None else "ignored")


def _fresh(timestamp: object) -> bool:
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return False
    return abs(time.time() - timestamp / 1000) <= LINEAR_FRESHNESS_SECONDS


def _answer(status: int, message: str) -> web.Response:
    key = "status" if status == 200 else "error"
    return web.json_response({key: message}, status=status)
