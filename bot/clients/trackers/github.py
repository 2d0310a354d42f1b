"""GitHub Issues: ``POST /repos/{owner}/{repo}/issues`` with a token.

Documentation followed (docs.github.com):
- rest/issues/issues#create-an-issue: the body (``title``, ``body``), 201 with the issue
  (``id``, ``number``, ``html_url``), 403/404/410/422 refusals. The issue's ``id`` is kept:
  it stays the same when the repository is renamed or the issue transferred, when the
  number and the repository's name do not.
- rest/issues/issues#list-repository-issues: ``GET /repos/{owner}/{repo}/issues`` with
  ``state=all``, ``since`` (ISO 8601; issues updated at or after), ``sort=created``,
  ``direction=desc``, ``per_page`` (at most 100): the issues, each with its ``body``. Used
  before a retry, to find an issue an earlier attempt made (the list is read from the
  database, not from the search index, which lags behind).
- rest/using-the-rest-api/rate-limits-for-the-rest-api: a 403 or 429 with
  ``x-ratelimit-remaining: 0`` waits until ``x-ratelimit-reset`` (UTC epoch seconds); with
  ``retry-after``, that many seconds; any other secondary rate limit, at least a minute.
- rest/about-the-rest-api/api-versions: ``X-GitHub-Api-Version: 2022-11-28``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

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

API_VERSION = "2022-11-28"
# GitHub's advice when a secondary rate limit names no wait.
SECONDARY_LIMIT_WAIT = 60.0


def issue_body(draft: IssueDraft) -> dict[str, Any]:
    return {"title": short(draft.title), "body": draft.body}


def _headers(settings: TrackerSettings) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {settings.github_token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }


async def file(
    http: aiohttp.ClientSession, settings: TrackerSettings, repo: str, draft: IssueDraft
) -> FiledIssue:
    """Open the issue in ``repo`` (owner/name)."""
    answer = await send_json(
        http,
        f"{settings.github_api_url}/repos/{repo}/issues",
        issue_body(draft),
        headers=_headers(settings),
        timeout=settings.timeout,
    )
    if answer.status == 201:
        return _filed(repo, answer.body, "HTTP 201")
    raise _failure(answer)


async def find(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    repo: str,
    marker: str,
    since: datetime,
) -> FiledIssue | None:
    """The issue of ``repo`` created since ``since`` whose body carries ``marker``."""
    query = urlencode(
        {
            "state": "all",
            "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sort": "created",
            "direction": "desc",
            "per_page": "100",
        }
    )
    answer = await send_json(
        http,
        f"{settings.github_api_url}/repos/{repo}/issues?{query}",
        None,
        headers=_headers(settings),
        timeout=settings.timeout,
        method="GET",
    )
    if answer.status != 200:
        raise _failure(answer)
    if not isinstance(answer.body, list):
        raise TrackerFailure("HTTP 200: the issue list is not a list", retryable=False)
    for issue in answer.body:
        if isinstance(issue, dict) and marked(issue.get("body"), marker):
            return _filed(repo, issue, "Looking for an earlier issue")
    return None


def _filed(repo: str, found: object, what: str) -> FiledIssue:
    issue = typed_fields(found, {"id": int, "number": int, "html_url": str}, what)
    return FiledIssue(
        external_id=str(issue["id"]), key=f"{repo}#{issue['number']}", url=issue["html_url"]
    )


def _failure(answer: Answer) -> TrackerFailure:
    limited = _rate_limit_wait(answer)
    if limited is not None:
        return TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=limited
        )
    return failure_for(answer, _said(answer.body_object))


def _rate_limit_wait(answer: Answer) -> float | None:
    """Seconds to wait when a 403/429 is a rate limit (GitHub's headers say so), else None."""
    if answer.status not in (403, 429):
        return None
    headers = answer.headers
    seconds = answer.retry_after
    if seconds is not None:
        return seconds
    if headers.get("x-ratelimit-remaining") == "0":
        reset = parse_bounded_int(headers.get("x-ratelimit-reset"), 0, 10**12)
        if reset is not None:
            return seconds_until(reset)
    message = str(answer.body_object.get("message", ""))
    if answer.status == 429 or "rate limit" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def _said(body: dict[str, Any]) -> str:
    """GitHub's message, with each validation error's field and code."""
    message = str(body.get("message") or "")
    errors = body["errors"] if isinstance(body.get("errors"), list) else []
    parts = [
        f"{error.get('field', '')} {error.get('code', '')}".strip()
        if isinstance(error, dict)
        else str(error)
        for error in errors
    ]
    return "; ".join(filter(None, [message, *parts]))
