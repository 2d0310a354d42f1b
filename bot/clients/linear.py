"""Linear: the GraphQL mutation ``issueCreate`` with a personal API key.

Documentation followed (linear.app/developers):
- graphql: the endpoint ``https://api.linear.app/graphql``; a personal API key goes in the
  ``Authorization`` header as it is (OAuth tokens take ``Bearer``); errors follow the GraphQL
  format, an ``errors`` list whose ``extensions.code`` says what went wrong.
- rate-limiting: a limited request is answered with the error code ``RATELIMITED``; the
  ``X-RateLimit-Requests-Reset`` header says when (UTC epoch milliseconds) requests are
  allowed again.
- The mutation's answer: ``{"data": {"issueCreate": {"success", "issue": {"id",
  "identifier", "url"}}}}``.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from bot.basics.numbers import parse_bounded_int
from bot.basics.trackers import TrackerSettings
from bot.clients.trackers import (
    FiledIssue,
    IssueDraft,
    TrackerFailure,
    failure_for,
    send_json,
    short,
)
from bot.clients.vendor_http import RETRY_AFTER_MAX_SECONDS, Answer

ISSUE_CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) {"
    " issueCreate(input: $input) { success issue { id identifier url } } }"
)


def issue_request(team: str, draft: IssueDraft) -> dict[str, Any]:
    return {
        "query": ISSUE_CREATE,
        "variables": {
            "input": {"teamId": team, "title": short(draft.title), "description": draft.body}
        },
    }


async def file(
    http: aiohttp.ClientSession, settings: TrackerSettings, team: str, draft: IssueDraft
) -> FiledIssue:
    """Create the issue in the team ``team``."""
    answer = await send_json(
        http,
        settings.linear_api_url,
        issue_request(team, draft),
        headers={"Authorization": str(settings.linear_api_key)},
        timeout=settings.timeout,
    )
    body = answer.body_object
    created = ((body.get("data") or {}).get("issueCreate") or {}) if not body.get("errors") else {}
    issue = created.get("issue") or {}
    if answer.status == 200 and created.get("success") and issue.get("id"):
        return FiledIssue(
            external_id=str(issue["id"]), key=str(issue["identifier"]), url=str(issue["url"])
        )
    codes = _codes(body)
    if "RATELIMITED" in codes:
        raise TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=_reset_in(answer)
        )
    said = "; ".join(_messages(body)) or "the issue was not created"
    if answer.status >= 500:
        raise failure_for(answer, said)
    # Linear answers errors with 200 or 400 and says what in the error codes (``_REFUSALS``
    # and any other): the request itself was not taken, and would not be if sent again.
    raise TrackerFailure(f"HTTP {answer.status}: {said}"[:300], retryable=False)


def _codes(body: dict[str, Any]) -> set[str]:
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return {
        str((error.get("extensions") or {}).get("code"))
        for error in errors
        if isinstance(error, dict)
    }


def _messages(body: dict[str, Any]) -> list[str]:
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return [str(error.get("message")) for error in errors if isinstance(error, dict)]


def _reset_in(answer: Answer) -> float | None:
    """Seconds until Linear's reset time (epoch milliseconds), or its Retry-After."""
    reset = parse_bounded_int(answer.headers.get("X-RateLimit-Requests-Reset"), 0, 10**15)
    if reset is not None:
        return float(min(max(reset / 1000 - time.time(), 1.0), RETRY_AFTER_MAX_SECONDS))
    return answer.retry_after
