"""Filing an issue in a tracker: what every tracker client shares, and the one call flows make.

Each tracker's errors become ``TrackerFailure``: ``retryable`` when trying again may help
(5xx, a dropped connection, no answer in time, a rate limit with the wait it asked for), not
when the tracker refused the request for good (bad credentials, no such project, a field it
will not take). Secrets go in headers only: never in a failure's text, which is shown in
Slack and kept on the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.basics.trackers import TrackerSettings, TrackerTarget
from bot.clients.vendor_http import Answer, VendorFailure, call_json

TITLE_MAX = 240
_DETAIL_MAX = 300


class TrackerFailure(VendorFailure):
    """The tracker did not take the issue; ``retryable`` says whether trying again may help."""


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


async def send_json(
    http: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str],
    timeout: float,
) -> Answer:
    """POST JSON; a connection that fails or an answer that never comes is retryable."""
    return await call_json(
        http, "POST", url, payload, headers=headers, timeout=timeout, failure=TrackerFailure
    )


def failure_for(answer: Answer, said: str, *, rate_limited: bool = False) -> TrackerFailure:
    """The failure an unsuccessful answer means: 429 (or ``rate_limited``) waits as asked,
    5xx is retried, anything else is refused for good with the tracker's words ``said``."""
    wait = answer.retry_after
    if rate_limited or answer.status == 429:
        return TrackerFailure(
            f"HTTP {answer.status}: rate limited", retryable=True, retry_after=wait
        )
    if answer.status >= 500:
        return TrackerFailure(f"HTTP {answer.status}", retryable=True, retry_after=wait)
    detail = f"HTTP {answer.status}: {said}" if said else f"HTTP {answer.status}"
    return TrackerFailure(detail[:_DETAIL_MAX], retryable=False)


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
