"""``POST /trackers/{github,jira,linear}``: a tracker says an issue warroom filed was closed
or reopened.

Each delivery is checked the way its tracker signs it, over the raw body, before anything in
it is read: a bad or missing signature is 401, a body over ``WARROOM_MAX_BODY_BYTES`` 413.
A closed issue marks its follow-up done (the draft ticks its box) and the channel is told; a
reopened one makes it filed and not done again (the box is unticked), told likewise;
everything else a tracker sends (other events, issues warroom did not file) is answered 200
and ignored, so the tracker does not retry it. Signed JSON whose parts are not of the shapes
documented (``"issue": "number"``) is answered 400. A change is applied once, by what the
signed payload says (the issue, closed or reopened, and the tracker's time of the change),
never by the delivery id, which the signature does not cover: a change applied before, or
older than the last one applied, is a replay or a late delivery, answered 200 and ignored
(an old "closed" must not close again an issue reopened since).

- GitHub (docs.github.com, webhooks/using-webhooks/validating-webhook-deliveries and
  webhook-events-and-payloads#issues): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>``;
  the ``issues`` event with ``action: closed`` ("closed as not planned" is not done) or
  ``action: reopened``; the issue is named by its ``id``, which stays when the repository is
  renamed or the issue transferred (and by its number in ``repository.full_name``, in any
  case, for issues filed before warroom kept ids).
- Jira Cloud (developer.atlassian.com/cloud/jira/platform/webhooks, "Secure admin
  webhooks"): an admin webhook with a secret sends ``X-Hub-Signature: sha256=<hex>``;
  ``jira:issue_updated`` whose status is in the ``done`` category closes; one whose
  ``changelog.items`` moved the ``status`` into another category (``new``,
  ``indeterminate``) reopens.
- Linear (linear.app/developers/webhooks): ``Linear-Signature: <hex HMAC-SHA256>``, and
  ``webhookTimestamp`` (epoch milliseconds) within a minute of now, against replays;
  an ``Issue`` ``update`` whose state type is ``completed`` closes; one whose ``updatedFrom``
  (the previous values of what changed) has a ``stateId`` and whose state type is anything
  else (``triage``, ``backlog``, ``unstarted``, ``started``, ``canceled``) reopens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.basics.numbers import bounded_json_number
from bot.basics.trackers import TrackerChange
from bot.config.trackers import TrackerSettings
from bot.flows.follow_ups.filing import change_from_tracker
from bot.keys import services_key
from bot.web.pages_common import BodyTooLarge, read_body

log = logging.getLogger(__name__)
# Linear's advice: refuse a delivery whose timestamp is more than a minute away from now.
LINEAR_FRESHNESS_SECONDS = 60.0
# Epoch milliseconds stay below 10^14 until the year 5138.
LINEAR_TIMESTAMP_MAX = 10**14


def _signature_ok(secret: str, body: bytes, given: str, prefix: str) -> bool:
    expected = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # "replace": header bytes that are not text must fail the comparison, not raise.
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


class WrongShape(ValueError):
    """Signed JSON that is not the event its tracker documents: answered 400, saying where."""


def _object(holder: dict[str, Any], name: str) -> dict[str, Any]:
    """``holder[name]`` when it is an object, {} when it is absent or null; WrongShape when it
    is anything else."""
    value = holder.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WrongShape(f"{name!r} is not a JSON object")
    return value


def _iso_time(holder: dict[str, Any], name: str) -> datetime | None:
    """``holder[name]``, an ISO 8601 time (GitHub's ``2024-05-01T10:00:00Z``), in UTC; None
    when absent, WrongShape when it is anything else."""
    value = holder.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WrongShape(f"{name!r} is not an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch_ms(holder: dict[str, Any], name: str) -> datetime | None:
    """``holder[name]``, epoch milliseconds (Jira's ``timestamp``, Linear's
    ``webhookTimestamp``), as a UTC time; None when absent, WrongShape when it is not a
    number of milliseconds between 1970 and 9999."""
    value = holder.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 2.5e14:
        raise WrongShape(f"{name!r} is not a time in epoch milliseconds")
    return datetime.fromtimestamp(value / 1000, UTC)


def _github(request: web.Request, event: dict[str, Any]) -> TrackerChange | None:
    issue, repository = _object(event, "issue"), _object(event, "repository")
    action = event.get("action")
    if request.headers.get("X-GitHub-Event") != "issues" or "id" not in issue:
        return None
    if action == "closed" and issue.get("state_reason") == "not_planned":
        return None
    if action not in ("closed", "reopened"):
        return None
    # The issue as it stood after this event: a state that disagrees with the action is no
    # change warroom can apply.
    if issue.get("state") not in (None, "closed" if action == "closed" else "open"):
        return None
    return TrackerChange(
        "github",
        str(issue["id"]),
        closed=action == "closed",
        project=str(repository.get("full_name") or ""),
        by=str(_object(event, "sender").get("login") or ""),
        number=str(issue.get("number") or ""),
        at=_iso_time(issue, "updated_at"),
    )


def _jira(_request: web.Request, event: dict[str, Any]) -> TrackerChange | None:
    issue = _object(event, "issue")
    status = _object(_object(_object(issue, "fields"), "status"), "statusCategory")
    if event.get("webhookEvent") != "jira:issue_updated":
        return None
    done = status.get("key") == "done"
    # Out of Done only when this update moved the status: other edits of an open issue
    # say nothing about it.
    if not done and not _changed(event.get("changelog"), "status"):
        return None
    by = str(_object(event, "user").get("displayName") or "")
    at = _epoch_ms(event, "timestamp")
    return TrackerChange("jira", str(issue.get("id") or ""), closed=done, by=by, at=at)


def _changed(changelog: object, field_name: str) -> bool:
    items = changelog.get("items") if isinstance(changelog, dict) else None
    return isinstance(items, list) and any(
        isinstance(item, dict) and item.get("field") == field_name for item in items
    )


def _linear(_request: web.Request, event: dict[str, Any]) -> TrackerChange | None:
    data = _object(event, "data")
    if event.get("type") != "Issue" or event.get("action") != "update":
        return None
    completed = _object(data, "state").get("type") == "completed"
    # updatedFrom holds the previous values of what this update changed: a state that is
    # not completed says "reopened" only when the state is what changed.
    if not completed and "stateId" not in _object(event, "updatedFrom"):
        return None
    by = str(_object(event, "actor").get("name") or "")
    at = _epoch_ms(event, "webhookTimestamp")
    return TrackerChange("linear", str(data.get("id") or ""), closed=completed, by=by, at=at)


# tracker: (its secret in the settings, the signature header, its prefix, what changed)
_TRACKERS: dict[str, tuple[Callable[[TrackerSettings], str], str, str, Any]] = {
    "github": (lambda t: t.github_webhook_secret, "X-Hub-Signature-256", "sha256=", _github),
    "jira": (lambda t: t.jira_webhook_secret, "X-Hub-Signature", "sha256=", _jira),
    "linear": (lambda t: t.linear_webhook_secret, "Linear-Signature", "", _linear),
}


async def receive_tracker_webhook(request: web.Request) -> web.Response:
    """One delivery from a tracker: verify it, then close or reopen the follow-up it names."""
    tracker = request.match_info["tracker"]
    if tracker not in _TRACKERS:
        return _answer(404, f"unknown tracker {tracker!r}; use github, jira or linear")
    services = request.app[services_key]
    secret_of, header, prefix, change_of = _TRACKERS[tracker]
    secret = secret_of(services.settings.trackers)
    if not secret:
        return _answer(503, f"{tracker} webhooks are off: its webhook secret is not set")
    try:
        body = await read_body(request, services.settings.runtime.max_body_bytes)
    except BodyTooLarge:
        return _answer(413, f"body is larger than {services.settings.runtime.max_body_bytes} bytes")
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
    try:
        change = change_of(request, event)
    except WrongShape as wrong:
        return _answer(400, f"not a {tracker} issue event: {wrong}")
    if change is None or not change.external_id:
        return _answer(200, "ignored")
    try:
        issue = await change_from_tracker(services, change)
    except Exception:
        log.exception("recording an issue change from %s failed", tracker)
        return _answer(503, "could not record it; send it again")
    if issue is None:
        return _answer(200, "ignored")
    return _answer(200, "closed" if change.closed else "reopened")


def _fresh(timestamp: object) -> bool:
    milliseconds = bounded_json_number(timestamp, 0, LINEAR_TIMESTAMP_MAX)
    if milliseconds is None:
        return False
    return abs(time.time() - milliseconds / 1000) <= LINEAR_FRESHNESS_SECONDS


def _answer(status: int, message: str) -> web.Response:
    key = "status" if status == 200 else "error"
    return web.json_response({key: message}, status=status)
