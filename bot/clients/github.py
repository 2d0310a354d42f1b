"""GitHub Issues: ``POST /repos/{owner}/{repo}/issues`` with a token.

Documentation followed (docs.github.com):
- rest/issues/issues#create-an-issue: the body (``title``, ``body``), 201 with the issue
  (``number``, ``html_url``), 403/404/410/422 refusals.
- rest/using-the-rest-api/rate-limits-for-the-rest-api: a 403 or 429 with
  ``x-ratelimit-remaining: 0`` waits until ``x-ratelimit-reset`` (UTC epoch seconds); with
  ``retry-after``, that many seconds; any other secondary rate limit, at least a minute.
- rest/about-the-rest-api/api-versions: ``X-GitHub-Api-Version: 2022-11-28``.
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

API_VERSION = "2022-11-28"
# GitHub's advice when a secondary rate limit names no wait.
SECONDARY_LIMIT_WAIT = 60.0


def issue_body(draft: IssueDraft) -> dict[str, Any]:
    return {"title": short(draft.title), "body": draft.body}


async def file(
    http: aiohttp.ClientSession, settings: TrackerSettings, repo: str, draft: IssueDraft
) -> FiledIssue:
    """Open the issue in ``repo`` (owner/name)."""
    answer = await send_json(
        http,
        f"{settings.github_api_url}/repos/{repo}/issues",
        issue_body(draft),
        headers={
            "Authorization": f"Bearer {settings.github_token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        },
        timeout=settings.timeout,
    )
    body = answer.body_object
    if answer.status == 201 and "number" in body and "html_url" in body:
        number = str(body["number"])
        return FiledIssue(external_id=number, key=f"{repo}#{number}", url=str(body["html_url"]))
    if answer.status == 201:
        raise TrackerFailure("HTTP 201 without the issue's number", retryable=False)
    limited = _rate_limit_wait(answer)
    if limited is not None:
        raise TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=limited
        )
    raise failure_for(answer, _said(body))


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
            return float(min(max(reset - time.time(), 1.0), RETRY_AFTER_MAX_SECONDS))
    message = str(answer.body_object.get("message", ""))
    if answer.status == 429 or "rate limit" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def _said(body: dict[str, Any]) -> str:
    """GitHub's message, with each validation error's field and code."""
    message = str(body.get("message") or "")
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    parts = [
        f"{error.get('field', '')} {error.get('code', '')}".strip()
        if isinstance(error, dict)
        else str(error)
        for error in errors
    ]
    return "; ".join(filter(None, [message, *parts]))
