"""GitHub's webhooks, read as change events: a deployment that succeeded, a release
published, a push to the repository's default branch.

Deliveries (https://docs.github.com/en/webhooks/webhook-events-and-payloads): the event's
name in ``X-GitHub-Event``; ``deployment_status`` (``deployment_status.state`` ``success``:
a deploy of ``deployment.ref`` to its ``environment``, by ``deployment_status.creator``),
``release`` (``action`` ``published``: ``release.tag_name`` by ``release.author``, at
``release.published_at``), ``push`` (``ref`` the default branch's, ``refs/heads/`` +
``repository.default_branch``: ``head_commit`` by ``pusher``). Anything else (another state,
action or branch, ``ping`` when a webhook is made) is answered and not kept.

Signatures ("Validating webhook deliveries",
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries): GitHub
signs the body with the webhook's secret, ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>``;
the secret is the integration's key (kind ``github``) and its URL names the integration,
``/changes/github/<name>``. A missing or wrong signature is 401 and nothing is kept.

The repository (``owner/name``) is the service's whose ``repositories`` (WARROOM_SERVICES)
list it, else the integration's service. Its answers are warroom's own (GitHub reads only
the status): 202 ``{"status": "accepted", "id": …}``, 200 ``{"status": "ignored",
"reason": …}``, errors ``{"error": …, "problems": […]}``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import PayloadError, json_object
from bot.record.alerting.sources.source import (
    Delivery,
    hmac_sha256,
)
from bot.record.changes.events import SUMMARY_MAX, TEXT_MAX, ChangeSeen
from bot.record.changes.sources.checks import link_at, time_at

EVENT_HEADER = "X-GitHub-Event"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# The stored text: the event's name on a first line, a blank line, the body as it came.
_EVENT_LINE = f"{EVENT_HEADER}: "


def _object(document: dict[str, Any], field: str) -> dict[str, Any]:
    value = document.get(field)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value.strip()[:TEXT_MAX] if isinstance(value, str) and value.strip() else None


def _login(document: dict[str, Any], *fields: str) -> str | None:
    for field in fields:
        if name := _text(_object(document, field).get("login")):
            return name
    return None


def _first_link(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            problems: list[str] = []
            if (link := link_at(value, "link", problems)) is not None:
                return link
    return None


def _summary(text: str) -> str:
    return text[:SUMMARY_MAX]


def _deployment_status(
    document: dict[str, Any], repository: str, problems: list[str]
) -> ChangeSeen:
    status = _object(document, "deployment_status")
    deployment = _object(document, "deployment")
    if not status or not isinstance(status.get("id"), int):
        problems.append("'deployment_status.id' is missing")
        return ChangeSeen()
    if status.get("state") != "success":
        return ChangeSeen(ignored=f"a deployment status {str(status.get('state'))[:20]!r}")
    environment = _text(status.get("environment")) or _text(deployment.get("environment"))
    ref = _text(deployment.get("ref")) or _text(deployment.get("sha")) or "a deployment"
    said = _text(status.get("description")) or _text(deployment.get("description"))
    summary = f"{repository}: {ref} deployed to {environment or 'an environment'}"
    return ChangeSeen(
        kind="deploy",
        summary=_summary(f"{summary}: {said}" if said else summary),
        at=time_at(status.get("created_at"), "deployment_status.created_at", problems),
        who=_login(status, "creator") or _login(document, "sender"),
        link=_first_link(
            status.get("environment_url"),
            status.get("target_url"),
            status.get("log_url"),
            _object(document, "repository").get("html_url"),
        ),
        event_key=f"deployment_status:{status['id']}",
    )


def _release(document: dict[str, Any], repository: str, problems: list[str]) -> ChangeSeen:
    release = _object(document, "release")
    if not release or not isinstance(release.get("id"), int):
        problems.append("'release.id' is missing")
        return ChangeSeen()
    if document.get("action") != "published":
        return ChangeSeen(ignored=f"a release {str(document.get('action'))[:20]!r}")
    tag = _text(release.get("tag_name")) or str(release["id"])
    name = _text(release.get("name"))
    titled = f" ({name})" if name and name != tag else ""
    return ChangeSeen(
        kind="deploy",
        summary=_summary(f"{repository}: release {tag}{titled} published"),
        at=time_at(release.get("published_at"), "release.published_at", problems),
        who=_login(release, "author") or _login(document, "sender"),
        link=_first_link(release.get("html_url")),
        event_key=f"release:{release['id']}",
    )


def _push(document: dict[str, Any], repository: str, problems: list[str]) -> ChangeSeen:
    default = _text(_object(document, "repository").get("default_branch"))
    ref = document.get("ref")
    after = _text(document.get("after"))
    if not isinstance(ref, str) or after is None:
        problems.append("'ref' and 'after' are required")
        return ChangeSeen()
    if default is None or ref != f"refs/heads/{default}":
        return ChangeSeen(ignored="a push to another branch than the default")
    if document.get("deleted") is True:
        return ChangeSeen(ignored="the default branch deleted")
    head = _object(document, "head_commit")
    commits = document.get("commits")
    count = len(commits) if isinstance(commits, list) else 0
    message = (_text(head.get("message")) or "").splitlines()[0] if head else ""
    pushed = f"{count} commit{'s' if count != 1 else ''}" if count else "a push"
    summary = f"{repository}: {pushed} to {default}" + (f": {message}" if message else "")
    pusher = _object(document, "pusher")
    return ChangeSeen(
        kind="other",
        summary=_summary(summary),
        at=time_at(head.get("timestamp"), "head_commit.timestamp", problems) if head else None,
        who=_text(pusher.get("name")) or _login(document, "sender"),
        link=_first_link(document.get("compare"), head.get("url")),
        event_key=f"push:{document.get('before')}..{after}",
    )


READERS = {"deployment_status": _deployment_status, "release": _release, "push": _push}


def read_delivery(text: str, received_at: datetime) -> ChangeSeen:  # noqa: ARG001
    """A stored delivery (its event's name, then its body) as a change; PayloadError names
    what is wrong."""
    first, _, body = text.partition("\n\n")
    event = first.removeprefix(_EVENT_LINE).strip() if first.startswith(_EVENT_LINE) else ""
    document = json_object(body)
    reader = READERS.get(event)
    if reader is None:
        return ChangeSeen(ignored=f"a {event[:40] or 'nameless'} event")
    repository = _text(_object(document, "repository").get("full_name"))
    if repository is None:
        raise PayloadError(["'repository.full_name' is missing"])
    problems: list[str] = []
    seen = reader(document, repository, problems)
    if problems:
        raise PayloadError(problems)
    return ChangeSeen(
        kind=seen.kind,
        summary=seen.summary,
        at=seen.at,
        who=seen.who,
        link=seen.link,
        origin=repository,
        event_key=f"{repository}:{seen.event_key}",
        repository=repository,
        ignored=seen.ignored,
    )


@dataclass(frozen=True)
class GitHubWebhooks:
    """GitHub's webhooks, each integration's on its own path, signed with its key."""

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:
        given = delivery.headers.get(SIGNATURE_HEADER, "")
        expected = "sha256=" + hmac_sha256(key, body)
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())

    def stored(self, delivery: Delivery, body: str) -> str:
        event = delivery.headers.get(EVENT_HEADER, "").strip()[:40]
        return f"{_EVENT_LINE}{event}\n\n{body}"

    def parse(self, body: str, *, received_at: datetime) -> ChangeSeen:
        return read_delivery(body, received_at)


GITHUB = GitHubWebhooks()
