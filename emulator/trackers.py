"""Fake GitHub, Jira Cloud and Linear on 127.0.0.1, for tests and the demo.

Each checks what its tracker checks (the path, the credentials, the fields it requires) and
answers with the tracker's own shapes and errors; each keeps every request and every issue
made, can fail the next requests (``fail``: a 5xx, or a 429 with ``Retry-After``; ``stall``),
and can close or reopen an issue the way a person does in the tracker, which sends the
tracker's webhook, signed as the tracker signs it, to the URL given.

    async with FakeGitHub(token="ghp_x", repos={"acme/web"}) as github:
        trackers = settings.trackers.replace(github_api_url=github.url, ...)
        settings = settings.replace(trackers=trackers)
        ...
        await github.close_issue(github.issues[0], webhook_url, secret)
        await github.reopen_issue(github.issues[0], webhook_url, secret)

Documentation each rule comes from is named in each class's docstring.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from emulator.fake_http import FakeHttpServer


@dataclass(frozen=True)
class TrackerRequest:
    """One request a fake answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class TrackerIssueRecord:
    """An issue a fake tracker holds."""

    external_id: str
    key: str
    url: str
    project: str
    title: str
    body: Any  # as sent: Markdown text, or Jira's ADF document
    state: str = "open"
    sent: dict[str, Any] = field(default_factory=dict)
    updated_at: float = field(default_factory=time.time)  # epoch seconds


class FakeTracker(FakeHttpServer):
    """What the three fakes share: the requests, the issues, webhook deliveries; injected
    failures (``fail``, ``stall``) come before any check, answered in the tracker's words;
    ``answer_late`` takes the next request (the issue is made) and holds its answer, as a
    tracker that answers after the client stopped waiting."""

    delivery_header = ""  # the header naming a webhook delivery

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TrackerRequest] = []
        self.issues: list[TrackerIssueRecord] = []
        self.deliveries: list[tuple[str, int]] = []  # webhook URL, the answer's status
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []  # URL, body, headers
        self._late: list[float] = []

    def answer_late(self, seconds: float) -> None:
        """Do the next request's work, then hold its answer ``seconds`` (until ``stop()``)."""
        self._late.append(seconds)

    @property
    def url(self) -> str:
        """The tracker's address, ``http://127.0.0.1:PORT`` (only once started)."""
        return self.root

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if (mishap := await self.next_mishap()) is not None:
            response = self.failure(mishap.status, mishap.headers)
        else:
            response = await self.answer(request, body)
            if self._late:
                await self.hold(self._late.pop(0))
        self.requests.append(
            TrackerRequest(
                request.method, request.path, dict(request.headers), body, response.status
            )
        )
        return response

    def failure(self, status: int, headers: dict[str, str]) -> web.Response:
        """The tracker's answer to an injected failure."""
        return web.json_response({"message": "Server Error"}, status=status, headers=headers)

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        raise NotImplementedError

    async def deliver(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> int:
        """POST a webhook delivery as the tracker sends it; the receiver's status."""
        self.sent.append((url, _encoded(payload), headers))
        return await self._post(url, _encoded(payload), headers)

    async def replay(self, number: int, delivery_id: str | None, to: str | None = None) -> int:
        """POST the ``number``-th delivery sent (0-based) again, as someone who captured it
        would: the same signed body, under ``delivery_id`` (None: without the header, which
        the signature does not cover), to its URL or ``to``; the receiver's status."""
        url, body, headers = self.sent[number]
        url = to or url
        again = {k: v for k, v in headers.items() if k != self.delivery_header}
        if delivery_id is not None:
            again[self.delivery_header] = delivery_id
        return await self._post(url, body, again)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
            self.deliveries.append((url, r.status))
            return r.status


def _encoded(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _iso_seconds(raw: str | None) -> float | bool | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` as epoch seconds; None when absent, False when malformed."""
    if raw is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(raw, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return False


def _json_body(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class FakeGitHub(FakeTracker):
    """GitHub's REST API, issues only.

    docs.github.com: rest/issues/issues#create-an-issue (201 with the issue; 404 for a
    repository the token cannot see; 422 "Validation Failed" with ``errors`` such as
    ``missing_field``); rest/authentication (401 "Bad credentials");
    rest/about-the-rest-api/api-versions (400 for an unsupported ``X-GitHub-Api-Version``);
    webhooks/webhook-events-and-payloads#issues (the ``issues`` event's actions include
    ``closed`` and ``reopened``, each with the issue and its ``state_reason``, the repository
    and the sender) and webhooks/using-webhooks/validating-webhook-deliveries
    (``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``, ``X-GitHub-Event``,
    ``X-GitHub-Delivery``); rest/issues/issues#list-repository-issues (``GET
    /repos/{owner}/{repo}/issues``: ``state`` open|closed|all, ``sort`` created|updated|
    comments, ``direction`` asc|desc, ``since`` ISO 8601 (issues updated at or after),
    ``per_page`` at most 100; 200 with a list of issues).
    """

    delivery_header = "X-GitHub-Delivery"  # the header naming a webhook delivery

    API_VERSIONS = ("2022-11-28", "2026-03-10")

    def __init__(self, *, token: str, repos: set[str], login: str = "warroom-bot") -> None:
        """``login``: the account ``token`` belongs to, shown as each issue's author."""
        super().__init__()
        self.token, self.repos, self.login = token, repos, login

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        parts = request.path.strip("/").split("/")
        if request.headers.get("Authorization") not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return _github_error(401, "Bad credentials")
        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in self.API_VERSIONS:
            return _github_error(400, f"API version {version!r} is not supported.")
        if len(parts) != 4 or parts[0] != "repos" or parts[3] != "issues":
            return _github_error(404, "Not Found")
        repo = f"{parts[1]}/{parts[2]}"
        if repo not in self.repos:
            return _github_error(404, "Not Found")
        if request.method == "GET":
            return self._list(request, repo)
        if request.method != "POST":
            return _github_error(404, "Not Found")
        sent = _json_body(body)
        if sent is None:
            return _github_error(400, "Problems parsing JSON")
        if not isinstance(sent.get("title"), str | int) or not str(sent.get("title")).strip():
            errors = [{"resource": "Issue", "code": "missing_field", "field": "title"}]
            return _github_error(422, "Validation Failed", errors)
        number = 1 + sum(1 for issue in self.issues if issue.project == repo)
        issue = TrackerIssueRecord(
            str(number),
            f"{repo}#{number}",
            f"{self.url}/{repo}/issues/{number}",
            repo,
            str(sent["title"]),
            sent.get("body"),
            sent=sent,
        )
        self.issues.append(issue)
        return web.json_response(self._issue_json(issue), status=201)

    def _list(self, request: web.Request, repo: str) -> web.Response:
        query = request.query
        choices = {
            "state": ("open", "closed", "all"),
            "sort": ("created", "updated", "comments"),
            "direction": ("asc", "desc"),
        }
        for name, allowed in choices.items():
            if name in query and query[name] not in allowed:
                errors = [{"resource": "Issue", "field": name, "code": "invalid"}]
                return _github_error(422, "Validation Failed", errors)
        since = _iso_seconds(query.get("since"))
        per_page = query.get("per_page", "30")
        if not per_page.isdigit() or not 1 <= int(per_page) <= 100 or since is False:
            return _github_error(422, "Validation Failed")
        state = query.get("state", "open")
        found = [
            self._issue_json(issue)
            for issue in self.issues
            if issue.project == repo
            and (state == "all" or issue.state == state)
            and (since is None or issue.updated_at >= since)
        ]
        if query.get("direction", "desc") == "desc":
            found.reverse()
        return web.json_response(found[: int(per_page)])

    def _issue_json(self, issue: TrackerIssueRecord) -> dict[str, Any]:
        number = int(issue.external_id)
        return {
            "id": 1_000_000 + number,
            "node_id": base64.b64encode(f"I_{issue.key}".encode()).decode(),
            "url": f"{self.url}/repos/{issue.project}/issues/{number}",
            "html_url": issue.url,
            "number": number,
            "state": issue.state,
            "state_reason": "completed" if issue.state == "closed" else None,
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issue.updated_at)),
            "title": issue.title,
            "body": issue.body,
            "user": {"login": self.login, "id": 1, "type": "Bot"},
            "labels": [],
            "comments": 0,
        }

    async def close_issue(self, issue: TrackerIssueRecord, webhook_url: str, secret: str) -> int:
        """Close the issue as a person would; send the ``issues`` event (action ``closed``)."""
        issue.state, issue.updated_at = "closed", time.time()
        return await self._send_issues_event("closed", issue, webhook_url, secret)

    async def reopen_issue(self, issue: TrackerIssueRecord, webhook_url: str, secret: str) -> int:
        """Reopen the issue as a person would; send the ``issues`` event (``reopened``)."""
        issue.state, issue.updated_at = "open", time.time()
        return await self._send_issues_event("reopened", issue, webhook_url, secret)

    async def _send_issues_event(
        self, action: str, issue: TrackerIssueRecord, webhook_url: str, secret: str
    ) -> int:
        payload = {
            "action": action,
            "issue": self._issue_json(issue),
            "repository": {"full_name": issue.project, "name": issue.project.split("/")[1]},
            "sender": {"login": "octocat", "id": 583231, "type": "User"},
        }
        body = _encoded(payload)
        return await self.deliver(
            webhook_url,
            payload,
            {
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/044aadd",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": "sha256=" + hex_hmac(secret, body),
            },
        )


def _github_error(status: int, message: str, errors: list[Any] | None = None) -> web.Response:
    body: dict[str, Any] = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
        "status": str(status),
    }
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status)


class FakeJira(FakeTracker):
    """Jira Cloud's REST API v3, creating issues only.

    developer.atlassian.com/cloud/jira/platform: rest/v3/api-group-issues
    (``POST /rest/api/3/issue``: 201 ``{"id", "key", "self"}``; 400 with ``errorMessages``
    and ``errors`` by field; 401 without valid credentials); basic-auth-for-rest-apis (email
    and API token); apis/document/structure (a description must be an ADF ``doc`` of
    version 1); webhooks (admin webhooks with a secret carry ``X-Hub-Signature:
    sha256=<hex HMAC-SHA256 of the body>``; ``jira:issue_updated`` with the issue, its
    ``fields.status.statusCategory`` keyed ``new``, ``indeterminate`` or ``done``, and the
    ``changelog`` items of what moved, ``fromString``/``toString``);
    rest/v3/api-group-issue-search (``POST /rest/api/3/search/jql`` with ``jql``, ``fields``,
    ``maxResults``: 200 ``{"issues": [{"id", "key", "self", "fields"}]}``, 400 with
    ``errorMessages`` for JQL it cannot parse). Of JQL it knows only ``project = "KEY" AND
    text ~ "\"phrase\""``, and matches the phrase in the summary and description as they
    were sent; anything else is refused.
    """

    delivery_header = "X-Atlassian-Webhook-Identifier"  # the header naming a webhook delivery

    SEARCH = re.compile(r'^project = "([^"]+)" AND text ~ "\\"(.+)\\""$')

    def __init__(
        self,
        *,
        email: str,
        token: str,
        projects: set[str],
        issue_types: tuple[str, ...] = ("Task", "Bug"),
    ) -> None:
        super().__init__()
        self.credentials = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects, self.issue_types = projects, issue_types

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        if request.headers.get("Authorization") != self.credentials:
            return _jira_error(401, ["You are not authenticated. Authentication required."])
        if request.method == "POST" and request.path == "/rest/api/3/search/jql":
            return self._search(_json_body(body) or {})
        if request.method != "POST" or request.path != "/rest/api/3/issue":
            return _jira_error(404, ["Not found."])
        sent = _json_body(body)
        fields = sent.get("fields") if sent else None
        if not isinstance(fields, dict):
            return _jira_error(400, ['Unexpected body: expected {"fields": {...}}'])
        errors = self._field_errors(fields)
        if errors:
            return _jira_error(400, [], errors)
        project = fields["project"]["key"]
        number = 1 + sum(1 for issue in self.issues if issue.project == project)
        issue_id = str(10000 + len(self.issues) + 1)
        key = f"{project}-{number}"
        issue = TrackerIssueRecord(
            issue_id,
            key,
            f"{self.url}/browse/{key}",
            project,
            fields["summary"],
            fields.get("description"),
            sent=sent or {},
        )
        self.issues.append(issue)
        answer = {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue_id}"}
        return web.json_response(answer, status=201)

    def _search(self, sent: dict[str, Any]) -> web.Response:
        matched = self.SEARCH.match(str(sent.get("jql", "")))
        if matched is None:
            return _jira_error(400, [f"Error in the JQL Query: {sent.get('jql')!r}"])
        project, phrase = matched.group(1), matched.group(2).replace('\\"', '"')
        found = [
            {
                "id": issue.external_id,
                "key": issue.key,
                "self": f"{self.url}/rest/api/3/issue/{issue.external_id}",
                "fields": {"description": issue.body},
            }
            for issue in self.issues
            if issue.project == project
            and phrase in issue.title + json.dumps(issue.body, ensure_ascii=False)
        ]
        return web.json_response({"issues": found[: int(sent.get("maxResults") or 50)]})

    def _field_errors(self, fields: dict[str, Any]) -> dict[str, str]:
        errors = {}
        project = fields.get("project")
        if not isinstance(project, dict) or project.get("key") not in self.projects:
            errors["project"] = "valid project is required"
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        kind = fields.get("issuetype")
        if not isinstance(kind, dict) or kind.get("name") not in self.issue_types:
            errors["issuetype"] = "The issue type selected is invalid."
        description = fields.get("description")
        if description is not None and not _is_adf(description):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        return errors

    def failure(self, status: int, headers: dict[str, str]) -> web.Response:
        return _jira_error(
            status,
            ["Rate limit exceeded." if status == 429 else "Internal server error."],
            headers=headers,
        )

    async def close_issue(self, issue: TrackerIssueRecord, webhook_url: str, secret: str) -> int:
        """Move the issue to Done; send ``jira:issue_updated`` signed with the secret."""
        return await self._move(issue, ("Done", "done", "Done"), webhook_url, secret)

    async def reopen_issue(self, issue: TrackerIssueRecord, webhook_url: str, secret: str) -> int:
        """Move the issue from Done back to To Do (category ``new``); send the webhook."""
        return await self._move(issue, ("To Do", "new", "To Do"), webhook_url, secret)

    async def _move(
        self,
        issue: TrackerIssueRecord,
        status: tuple[str, str, str],
        webhook_url: str,
        secret: str,
    ) -> int:
        """``status``: its name, its category's key and name (``new``, ``indeterminate``,
        ``done``, as the REST API's statusCategory has them)."""
        name, category_key, category_name = status
        was = "Done" if issue.state == "done" else "To Do"
        issue.state = category_key
        payload = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
            "issue": {
                "id": issue.external_id,
                "key": issue.key,
                "self": f"{self.url}/rest/api/3/issue/{issue.external_id}",
                "fields": {
                    "summary": issue.title,
                    "status": {
                        "name": name,
                        "statusCategory": {"key": category_key, "name": category_name},
                    },
                    "resolution": {"name": "Done"} if category_key == "done" else None,
                },
            },
            "changelog": {
                "id": str(10400 + len(self.deliveries)),
                "items": [
                    {
                        "field": "status",
                        "fieldtype": "jira",
                        "fromString": was,
                        "toString": name,
                    }
                ],
            },
        }
        body = _encoded(payload)
        return await self.deliver(
            webhook_url,
            payload,
            {
                "Content-Type": "application/json",
                "User-Agent": "Atlassian Webhook HTTP Client",
                "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
                "X-Hub-Signature": "sha256=" + hex_hmac(secret, body),
            },
        )


def _is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def _jira_error(
    status: int,
    messages: list[str],
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        {"errorMessages": messages, "errors": errors or {}}, status=status, headers=headers
    )


class FakeLinear(FakeTracker):
    """Linear's GraphQL API, ``issueCreate`` only.

    linear.app/developers: graphql (one endpoint, ``/graphql``; a personal API key in
    ``Authorization`` as it is; GraphQL ``errors`` with ``extensions.code``); rate-limiting
    (``RATELIMITED``, ``X-RateLimit-Requests-Reset`` in epoch milliseconds); webhooks
    (``Linear-Signature``: hex HMAC-SHA256 of the raw body; ``webhookTimestamp`` in the body,
    epoch milliseconds; ``Linear-Delivery``, ``Linear-Event``; an ``update`` carries the
    entity in ``data``, its workflow state's ``type``, and ``updatedFrom``, the previous
    values of what changed); filtering (``issues(filter: {team: {id: {eq}}, description:
    {contains}})`` answered ``{"data": {"issues": {"nodes": [...]}}}``).
    """

    delivery_header = "Linear-Delivery"  # the header naming a webhook delivery

    def __init__(self, *, api_key: str, teams: dict[str, str]) -> None:
        """``teams``: team id -> team key (the identifier's prefix)."""
        super().__init__()
        self.api_key, self.teams = api_key, teams
        # How an injected 429 is answered, in each way Linear's SDK reads as a rate limit
        # (@linear/sdk parseLinearError: the HTTP status 429, or the error's
        # ``extensions.type`` "ratelimited", beside the documented ``extensions.code``):
        # "code" (HTTP 400, code RATELIMITED), "http" (HTTP 429, no code) or "type"
        # (HTTP 400, type "ratelimited", no code).
        self.rate_limit_form = "code"

    def _rate_limited(self, wait: int) -> web.Response:
        reset = {"X-RateLimit-Requests-Reset": str(int(time.time() * 1000) + wait * 1000)}
        error: dict[str, Any]
        if self.rate_limit_form == "http":
            error = {"message": "Too many requests"}
            return web.json_response({"errors": [error]}, status=429, headers=reset)
        if self.rate_limit_form == "type":
            error = {"message": "Rate limit exceeded", "extensions": {"type": "ratelimited"}}
            return web.json_response({"errors": [error]}, status=400, headers=reset)
        return _linear_error(400, "Rate limit exceeded", "RATELIMITED", reset)

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        if request.path != "/graphql" or request.method != "POST":
            return web.json_response({"errors": [{"message": "Not found"}]}, status=404)
        if request.headers.get("Authorization") != self.api_key:
            return _linear_error(
                401, "Authentication required, not authenticated", "AUTHENTICATION_ERROR"
            )
        sent = _json_body(body)
        query = sent.get("query") if sent else None
        variables = (sent or {}).get("variables") or {}
        if isinstance(query, str) and query.startswith("query") and "issues(filter:" in query:
            return self._issues_marked(variables)
        issue_input = variables.get("input") if isinstance(variables, dict) else None
        if (
            not isinstance(query, str)
            or "issueCreate" not in query
            or not isinstance(issue_input, dict)
        ):
            return _linear_error(
                400, "Expected the issueCreate mutation with $input", "GRAPHQL_VALIDATION_FAILED"
            )
        team = issue_input.get("teamId")
        if team not in self.teams:
            return _linear_error(400, "Entity not found: Team", "INVALID_INPUT")
        if not isinstance(issue_input.get("title"), str) or not issue_input["title"].strip():
            return _linear_error(
                400, "Argument Validation Error: title should not be empty", "INVALID_INPUT"
            )
        number = 1 + sum(1 for issue in self.issues if issue.project == team)
        identifier = f"{self.teams[team]}-{number}"
        issue = TrackerIssueRecord(
            str(uuid.uuid4()),
            identifier,
            f"{self.url}/acme/issue/{identifier.lower()}",
            team,
            issue_input["title"],
            issue_input.get("description"),
            sent=sent or {},
        )
        self.issues.append(issue)
        created = {
            "success": True,
            "issue": {"id": issue.external_id, "identifier": identifier, "url": issue.url},
        }
        return web.json_response({"data": {"issueCreate": created}})

    def _issues_marked(self, variables: Any) -> web.Response:
        team = variables.get("team") if isinstance(variables, dict) else None
        marker = variables.get("marker") if isinstance(variables, dict) else None
        if not isinstance(team, str) or not isinstance(marker, str):
            return _linear_error(
                400, "Variable $team and $marker are required", "GRAPHQL_VALIDATION_FAILED"
            )
        nodes = [
            {"id": i.external_id, "identifier": i.key, "url": i.url, "description": i.body}
            for i in self.issues
            if i.project == team and isinstance(i.body, str) and marker in i.body
        ]
        return web.json_response({"data": {"issues": {"nodes": nodes}}})

    def failure(self, status: int, headers: dict[str, str]) -> web.Response:
        if status == 429:
            return self._rate_limited(int(headers.get("Retry-After", "60")))
        return web.json_response(
            {"errors": [{"message": "Internal server error"}]}, status=status, headers=headers
        )

    async def close_issue(
        self,
        issue: TrackerIssueRecord,
        webhook_url: str,
        secret: str,
        *,
        sent_at: float | None = None,
    ) -> int:
        """Move the issue to a completed state; send the ``Issue`` ``update`` webhook."""
        return await self._move(issue, ("Done", "completed"), webhook_url, secret, sent_at)

    async def reopen_issue(self, issue: TrackerIssueRecord, webhook_url: str, secret: str) -> int:
        """Move the issue back to an unstarted state; send the ``Issue`` ``update`` webhook."""
        return await self._move(issue, ("Todo", "unstarted"), webhook_url, secret, None)

    async def _move(
        self,
        issue: TrackerIssueRecord,
        state: tuple[str, str],
        webhook_url: str,
        secret: str,
        sent_at: float | None,
    ) -> int:
        """``state``: the workflow state's name and type (``triage``, ``backlog``,
        ``unstarted``, ``started``, ``completed``, ``canceled``)."""
        name, kind = state
        issue.state = kind
        moment = time.time() if sent_at is None else sent_at
        payload = {
            "action": "update",
            "type": "Issue",
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment)),
            "organizationId": "5c0ee4a1-8c3a-4a11-9bd4-7d8a55e5b2c1",
            "url": issue.url,
            "data": {
                "id": issue.external_id,
                "identifier": issue.key,
                "title": issue.title,
                "url": issue.url,
                "state": {"id": str(uuid.uuid4()), "name": name, "type": kind},
            },
            # The previous values of what changed: here the state.
            "updatedFrom": {"stateId": str(uuid.uuid4())},
            "webhookTimestamp": int(moment * 1000),
            "webhookId": str(uuid.uuid4()),
        }
        body = _encoded(payload)
        return await self.deliver(
            webhook_url,
            payload,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Linear-Webhook",
                "Linear-Delivery": str(uuid.uuid4()),
                "Linear-Event": "Issue",
                "Linear-Signature": hex_hmac(secret, body),
            },
        )


def _linear_error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> web.Response:
    error = {"message": message, "extensions": {"code": code, "userPresentableMessage": message}}
    return web.json_response({"errors": [error]}, status=status, headers=headers)
