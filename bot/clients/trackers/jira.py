"""Jira Cloud: ``POST /rest/api/3/issue`` with basic auth (email and API token).

Documentation followed (developer.atlassian.com/cloud/jira/platform):
- rest/v3/api-group-issues/#api-rest-api-3-issue-post: ``fields.project.key``,
  ``fields.summary``, ``fields.issuetype.name``, ``fields.description`` in Atlassian Document
  Format; 201 with ``{"id", "key", "self"}``; 400 with ``errorMessages`` and ``errors`` (field
  name to message), 401, 403.
- basic-auth-for-rest-apis: ``Authorization: Basic base64(email:api_token)``.
- apis/document/structure: an ADF document is ``{"type": "doc", "version": 1, "content"}``,
  paragraphs of text nodes, links as a ``link`` mark with ``attrs.href``.
- rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post: ``POST
  /rest/api/3/search/jql`` with ``{"jql", "fields", "maxResults"}``, answered ``{"issues":
  [{"id", "key", "fields"}], "nextPageToken"}`` (the older ``/rest/api/3/search`` is removed
  from Jira Cloud); JQL's ``text ~ "\"phrase\""`` matches a phrase in the text fields.
  Used before a retry, to find an issue an earlier attempt made.
- rate-limiting: 429 with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import aiohttp

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
from bot.config.trackers import TrackerSettings


def adf_document(draft: IssueDraft) -> dict[str, Any]:
    """The description: each paragraph of the body, then the links back as linked text.

    The body as plain text: a text node is shown as it is (no Markdown, no wiki markup; a
    mention, an image or a link is a node of its own kind, never made from a text node's
    characters), so people's words in it neither notify, link nor load anything."""
    paragraphs = [text for text in draft.plain_body.split("\n\n") if text.strip()]
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


def _headers(settings: TrackerSettings) -> dict[str, str]:
    return {
        "Authorization": basic_auth(settings.jira_email, settings.jira_api_token),
        "Accept": "application/json",
    }


async def file(
    http: aiohttp.ClientSession, settings: TrackerSettings, project: str, draft: IssueDraft
) -> FiledIssue:
    """Create the issue in the project with key ``project``."""
    answer = await send_json(
        http,
        f"{settings.jira_url}/rest/api/3/issue",
        issue_body(settings, project, draft),
        headers=_headers(settings),
        timeout=settings.timeout,
    )
    if answer.status == 201:
        return _filed(settings, answer.body, "HTTP 201")
    raise failure_for(answer, _said(answer.body_object))


async def find(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    project: str,
    marker: str,
    _since: datetime,
) -> FiledIssue | None:
    """The issue of ``project`` whose description carries ``marker``."""
    phrase = marker.replace("\\", "\\\\").replace('"', '\\"')
    answer = await send_json(
        http,
        f"{settings.jira_url}/rest/api/3/search/jql",
        {
            "jql": f'project = "{project}" AND text ~ "\\"{phrase}\\""',
            "fields": ["description"],
            "maxResults": 50,
        },
        headers=_headers(settings),
        timeout=settings.timeout,
    )
    body = answer.body_object
    if answer.status != 200:
        raise failure_for(answer, _said(body))
    found = body.get("issues")
    if not isinstance(found, list):
        raise TrackerFailure("HTTP 200: the search answer holds no issues", retryable=False)
    for issue in found:
        fields = issue.get("fields") if isinstance(issue, dict) else None
        if isinstance(fields, dict) and marked(fields.get("description"), marker):
            return _filed(settings, issue, "Looking for an earlier issue")
    return None


def _filed(settings: TrackerSettings, found: object, what: str) -> FiledIssue:
    issue = typed_fields(found, {"id": str, "key": str}, what)
    key = issue["key"]
    return FiledIssue(external_id=issue["id"], key=key, url=f"{settings.jira_url}/browse/{key}")


def _said(body: dict[str, Any]) -> str:
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    fields = body["errors"] if isinstance(body.get("errors"), dict) else {}
    messages += [f"{name}: {message}" for name, message in fields.items()]
    return "; ".join(messages)
