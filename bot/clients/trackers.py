"""Filing an issue in a tracker: what every tracker client shares, and the one call flows make.

Each tracker's errors become ``TrackerFailure``: ``retryable`` when trying again may help
(5xx, a dropped connection, no answer in time, a rate limit with the wait it asked for), not
when the tracker refused the request for good (bad credentials, no such project, a field it
will not take). Secrets go in headers only: never in a failure's text, which is shown in
Slack and kept on the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.basics.numbers import parse_bounded_int
from bot.basics.trackers import TrackerSettings, TrackerTarget

# A longer wait asked for is read as a day: the filing is retried, not parked for years.
RETRY_AFTER_MAX_SECONDS = 86_400
TITLE_MAX = 240
_DETAIL_MAX = 300


class TrackerFailure(Exception):
    """The tracker did not take the issue; ``retryable`` says whether trying again may help."""

    def __init__(self, detail: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssueDraft:
    """What warroom files: a title, a Markdown body, and the links back to the incident."""

    title: str
    body: str  # Markdown (GitHub, Linear); turned into Atlassian Document Format for Jira
    incident_url: str | None
    slack_url: str | None
    incident_reference: str


@dataclass(frozen=True)
class FiledIssue:
    """What the tracker answered: its own id, the key people use, and the issue's page."""

    external_id: str
    key: str
    url: str


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read."""

    status: int
    body: Any  # parsed JSON, or the text when it is not JSON
    headers: Any


async def send_json(
    http: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str],
    timeout: float,
) -> Answer:
    """POST JSON; a connection that fails or an answer that never comes is retryable."""
    try:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with http.post(url, json=payload, headers=headers, timeout=limit) as response:
            text = await response.text()
            return Answer(response.status, _parsed(text), response.headers)
    except TimeoutError:
        raise TrackerFailure(f"no answer within {timeout:g} seconds", retryable=True) from None
    except aiohttp.ClientError as error:
        raise TrackerFailure(
            f"connection failed ({type(error).__name__})", retryable=True
        ) from None


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def failure_for(answer: Answer, said: str, *, rate_limited: bool = False) -> TrackerFailure:
    """The failure an unsuccessful answer means: 429 (or ``rate_limited``) waits as asked,
    5xx is retried, anything else is refused for good with the tracker's words ``said``."""
    wait = retry_after(answer.headers.get("Retry-After"))
    if rate_limited or answer.status == 429:
        return TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=wait
        )
    if answer.status >= 500:
        return TrackerFailure(f"HTTP {answer.status}", retryable=True, retry_after=wait)
    detail = f"HTTP {answer.status}: {said}" if said else f"HTTP {answer.status}"
    return TrackerFailure(detail[:_DETAIL_MAX], retryable=False)


def retry_after(raw: str | None) -> float | None:
    """Seconds from a Retry-After header: whole ASCII seconds only, at most a day."""
    seconds = parse_bounded_int(raw, 0, 10**12)
    return float(min(seconds, RETRY_AFTER_MAX_SECONDS)) if seconds is not None else None


def short(text: str, limit: int = TITLE_MAX) -> str:
    """One line of at most ``limit`` characters (an issue title)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def file_issue(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    target: TrackerTarget,
    draft: IssueDraft,
) -> FiledIssue:
    """File ``draft`` in ``target``; raise TrackerFailure unless the tracker made the issue."""
    # Imported here: each tracker's module imports this one for what they share.
    from bot.clients import github, jira, linear

    missing = settings.missing(target.kind)
    if missing:
        raise TrackerFailure(f"{', '.join(missing)} not set", retryable=False)
    project = settings.project_of(target)
    if not project:
        raise TrackerFailure(f"no {target.kind} project named", retryable=False)
    filers = {"github": github.file, "jira": jira.file, "linear": linear.file}
    return await filers[target.kind](http, settings, project, draft)
