"""Jira Cloud: ``POST /rest/api/3/issue`` with basic auth (email and API token).

Documentation followed (developer.atlassian.com/cloud/jira/platform):
- rest/v3/api-group-issues/#api-rest-api-3-issue-post: ``fields.project.key``,
  ``fields.summary``, ``fields.issuetype.name``, ``fields.description`` in Atlassian Document
  Format; 201 with ``{"id", "key", "self"}``; 400 with ``errorMessages`` and ``errors`` (field
  name to message), 401, 403.
- basic-auth-for-rest-apis: ``Authorization: Basic base64(email:api_token)``.
- apis/document/structure: an ADF document is ``{"type": "doc", "version": 1, "content"}``,
  paragraphs of text nodes, links as a ``link`` mark with ``attrs.href``.
- rate-limiting: 429 with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

from bot.basics.trackers import TrackerSettings
from bot.clients.trackers import (
    FiledIssue,
    IssueDraft,
    TrackerFailure,
    failure_for,
    send_json,
    short,
)


def adf_document(draft: IssueDraft) -> dict[str, Any]:
    """The description: each paragraph of the body, then the links back as linked text."""
    paragraphs = [text for text in draft.body.split("\n\n") if text.strip()]
    content: list[dict[str, Any]] = [
        {"type": "paragraph", "content": [{"type": "text", "text": text.strip()}]}
        for text in paragraphs
    ]
    for label, href in (
        (f"{draft.incident_reference} in warroom", draft.incident_url),
        ("The follow-up in Slack", draft.slack_url),
    ):
        if href:
            link = {
                "type": "text",
                "text": label,
                "marks": [{"type": "link", "attrs": {"href": href}}],
            }
            content.append({"type": "paragraph", "content": [link]})
    return {"type": "doc", "version": 1, "content": content}


def issue_body(settings: TrackerSettings, project: str, draft: IssueDraft) -> dict[str, Any]:
    return {
        "fields": {
            "project": {"key": project},
            "summary": short(draft.title, 254),  # Jira's summary holds 255 characters
            "issuetype": {"name": settings.jira_issue_type},
            "description": adf_document(draft),
        }
    }


def basic_auth(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode("ascii")


async def file(
    http: aiohttp.ClientSession, settings: TrackerSettings, project: str, draft: IssueDraft
) -> FiledIssue:
    """Create the issue in the project with key ``project``."""
    answer = await send_json(
        http,
        f"{settings.jira_url}/rest/api/3/issue",
        issue_body(settings, project, draft),
        headers={
            "Authorization": basic_auth(settings.jira_email, settings.jira_api_token),
            "Accept": "application/json",
        },
        timeout=settings.timeout,
    )
    body = answer.body_object
    if answer.status == 201 and body.get("key") and body.get("id"):
        key = str(body["key"])
        return FiledIssue(
            external_id=str(body["id"]), key=key, url=f"{settings.jira_url}/browse/{key}"
        )
    if answer.status == 201:
        raise TrackerFailure("HTTP 201 without the issue's key", retryable=False)
    raise failure_for(answer, _said(body))


def _said(body: dict[str, Any]) -> str:
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    fields = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    messages += [f"{name}: {message}" for name, message in fields.items()]
    return "; ".join(messages)
