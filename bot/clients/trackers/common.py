"""Filing an issue in a tracker: what the tracker clients (github, jira, linear) share. Which
client files a follow-up is bot.flows.follow_ups.filing's choice (``file_issue``, ``find_issue``).

Each tracker's errors become ``TrackerFailure``: ``retryable`` when trying again may help
(5xx, a dropped connection, no answer in time, a rate limit with the wait it asked for), not
when the tracker refused the request for good (bad credentials, no such project, a field it
will not take). Secrets go in headers only: never in a failure's text, which is shown in
Slack and kept on the row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.basics.markdown_text import markdown_escape
from bot.clients.vendor_http import Answer, VendorFailure, call_json

TITLE_MAX = 240
_DETAIL_MAX = 300
# What a tracker turns into a notification or a cross-reference, wherever its Markdown shows
# it (GitHub, "Autolinked references and URLs" and "@mentioning people and teams";
# Linear alike): ``@name`` after anything but a letter, a digit or ``_`` (so ``bob@acme.com``
# stays an address), ``#123`` and ``owner/repo#123``, ``GH-123``.
_REFERENCES = r"(?<![A-Za-z0-9_])@|#(?=[0-9])|(?<![A-Za-z0-9_])GH(?=-[0-9])"
_REFERENCE = re.compile(_REFERENCES, re.I)
# In Markdown, the same outside a URL the tracker links (GFM's extended autolinks: a link runs
# to whitespace or ``<``, escaped here as ``&lt;``, and only trailing punctuation leaves it):
# a tracker never reads a reference inside a link, and a space there would break the address.
_LINKED_URL = r"(?P<url>https?://(?:(?!&lt;)[^\s<])+)"
_REFERENCE_OUTSIDE_LINKS = re.compile(f"{_LINKED_URL}|{_REFERENCES}", re.I)
# A zero-width space after the ``@``, ``#`` or ``GH``: shown the same, no longer a reference
# (what Renovate does to the release notes it quotes in GitHub).
_ZWSP = "\u200b"


class TrackerFailure(VendorFailure):
    """The tracker did not take the issue; ``retryable`` says whether trying again may help."""


@dataclass(frozen=True)
class IssueDraft:
    """What warroom files: a title, a Markdown body, and the links back to the incident."""

    title: str  # plain text, already inert (``inert``)
    body: str  # inert Markdown (GitHub, Linear): people's words through ``inert_markdown``
    plain_body: str  # the same as plain text, for Jira's Atlassian Document Format
    incident_url: str | None
    slack_url: str | None
    incident_reference: str
    # A line in the body naming this follow-up in this workspace: found again by searching
    # the tracker, it tells whether an earlier attempt made the issue after all.
    marker: str = ""


@dataclass(frozen=True)
class FiledIssue:
    """What the tracker answered: its own id, the key people use, and the issue's page."""

    external_id: str
    key: str
    url: str


def inert(text: str) -> str:
    """Text a tracker shows as it is (an issue's title), never as a mention of a person or a
    team nor as a reference to another issue: each ``@``, ``#`` before a digit and ``GH-``
    gets a zero-width space, so it reads the same and notifies and cross-links nobody under the
    bot's token."""
    return _REFERENCE.sub(_unlinked, text)


def inert_markdown(text: str) -> str:
    """Plain text (a person's words, decoded) as Markdown that only shows it: Markdown's own
    escaping (no image, link, raw HTML, heading or list of the person's), then ``inert``
    outside the URLs the tracker links."""
    return _REFERENCE_OUTSIDE_LINKS.sub(_unlinked, markdown_escape(text))


def _unlinked(match: re.Match[str]) -> str:
    return match.group(0) if match.groupdict().get("url") else match.group(0) + _ZWSP


async def send_json(
    http: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any] | None,
    *,
    headers: dict[str, str],
    timeout: float,
    method: str = "POST",
) -> Answer:
    """POST JSON (or GET); a connection that fails or an answer that never comes is
    retryable."""
    return await call_json(
        http, method, url, payload, headers=headers, timeout=timeout, failure=TrackerFailure
    )


def typed_fields(found: object, types: dict[str, type], what: str) -> dict[str, Any]:
    """``found`` when it is an object holding each field of ``types`` with its type; else a
    refusal for good naming what is missing: the answer is not one warroom can record, and
    asking again would not change it (nor file twice, since the retry searches first)."""
    if not isinstance(found, dict):
        raise TrackerFailure(f"{what}: the answer holds no issue", retryable=False)
    wrong = [
        name
        for name, kind in types.items()
        if not isinstance(found.get(name), kind) or isinstance(found.get(name), bool)
    ]
    if wrong:
        names = ", ".join(wrong)
        raise TrackerFailure(
            f"{what}: the issue's {names} missing or not of the expected type", retryable=False
        )
    return found


def marked(text: object, marker: str) -> bool:
    """Whether an issue's body (text, or a document as JSON) carries ``marker``: a tracker's
    search matches words, this checks the exact line."""
    return bool(marker) and marker in (text if isinstance(text, str) else json.dumps(text))


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
