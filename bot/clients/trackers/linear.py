"""Linear: the GraphQL mutation ``issueCreate`` with a personal API key.

Documentation followed (linear.app/developers):
- graphql: the endpoint ``https://api.linear.app/graphql``; a personal API key goes in the
  ``Authorization`` header as it is (OAuth tokens take ``Bearer``); errors follow the GraphQL
  format, an ``errors`` list whose ``extensions.code`` says what went wrong.
- rate-limiting: a limited request is answered with the error code ``RATELIMITED``; the
  ``X-RateLimit-Requests-Reset`` header says when (UTC epoch milliseconds) requests are
  allowed again. Linear's own SDK (@linear/sdk ``parseLinearError``) also takes HTTP 429 and
  an error whose ``extensions.type`` is ``ratelimited`` as a rate limit; so does warroom.
- The mutation's answer: ``{"data": {"issueCreate": {"success", "issue": {"id",
  "identifier", "url"}}}}``.
- filtering: ``issues(filter: {description: {contains: $text}})`` answers ``{"data":
  {"issues": {"nodes": [...]}}}``; used before a retry, to find an issue an earlier attempt
  made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from bot.basics.numbers import parse_bounded_int
from bot.clients.trackers.common import (
    FiledIssue,
    IssueDraft,
    TrackerFailure,
    failure_for,
    marked,
    send_json,
    short,
    typed_fields,
)
from bot.clients.vendor_http import Answer, seconds_until
from bot.config.trackers import TrackerSettings

ISSUE_CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) {"
    " issueCreate(input: $input) { success issue { id identifier url } } }"
)
ISSUES_MARKED = (
    "query IssuesMarked($team: ID!, $marker: String!) {"
    " issues(filter: {team: {id: {eq: $team}}, description: {contains: $marker}}, first: 50)"
    " { nodes { id identifier url description } } }"
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
    body = await _ask(http, settings, issue_request(team, draft))
    created = body["data"].get("issueCreate")
    if not isinstance(created, dict) or created.get("success") is not True:
        raise TrackerFailure("HTTP 200: the issue was not created", retryable=False)
    return _filed(created.get("issue"), "HTTP 200")


async def find(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    team: str,
    marker: str,
    _since: datetime,
) -> FiledIssue | None:
    """The issue of ``team`` whose description carries ``marker``."""
    request = {"query": ISSUES_MARKED, "variables": {"team": team, "marker": marker}}
    body = await _ask(http, settings, request)
    nodes = (body["data"].get("issues") or {}).get("nodes")
    if not isinstance(nodes, list):
        raise TrackerFailure("HTTP 200: the search answer holds no issues", retryable=False)
    for issue in nodes:
        if isinstance(issue, dict) and marked(issue.get("description"), marker):
            return _filed(issue, "Looking for an earlier issue")
    return None


async def _ask(
    http: aiohttp.ClientSession, settings: TrackerSettings, request: dict[str, Any]
) -> dict[str, Any]:
    """The answer's body when it has ``data`` and no errors; else the failure it means."""
    answer = await send_json(
        http,
        settings.linear_api_url,
        request,
        headers={"Authorization": str(settings.linear_api_key)},
        timeout=settings.timeout,
    )
    body = answer.body_object
    if answer.status == 200 and not body.get("errors") and isinstance(body.get("data"), dict):
        return body
    if _rate_limited(answer.status, body):
        raise TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=_reset_in(answer)
        )
    said = "; ".join(_messages(body)) or "the issue was not created"
    if answer.status >= 500:
        raise failure_for(answer, said)
    # Linear answers errors with 200 or 400 and says what in the error codes: the request
    # itself was not taken, and would not be if sent again.
    raise TrackerFailure(f"HTTP {answer.status}: {said}"[:300], retryable=False)


def _filed(found: object, what: str) -> FiledIssue:
    issue = typed_fields(found, {"id": str, "identifier": str, "url": str}, what)
    return FiledIssue(external_id=issue["id"], key=issue["identifier"], url=issue["url"])


def _rate_limited(status: int, body: dict[str, Any]) -> bool:
    """A rate limit as Linear's SDK reads one (``parseLinearError``): HTTP 429, or an error
    whose ``extensions.code`` is ``RATELIMITED`` or whose ``extensions.type`` is
    ``ratelimited`` (in any case)."""
    errors = body["errors"] if isinstance(body.get("errors"), list) else []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and (
            str(extensions.get("code")).upper() == "RATELIMITED"
            or str(extensions.get("type")).lower() == "ratelimited"
        ):
            return True
    return status == 429


def _messages(body: dict[str, Any]) -> list[str]:
    errors = body["errors"] if isinstance(body.get("errors"), list) else []
    return [str(error.get("message")) for error in errors if isinstance(error, dict)]


def _reset_in(answer: Answer) -> float | None:
    """Seconds until Linear's reset time (epoch milliseconds), or its Retry-After."""
    reset = parse_bounded_int(answer.headers.get("X-RateLimit-Requests-Reset"), 0, 10**15)
    if reset is not None:
        return seconds_until(reset / 1000)
    return answer.retry_after
