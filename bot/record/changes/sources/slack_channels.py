"""Messages that apps and bots post in the team's change channels (WARROOM_CHANGE_CHANNELS),
read as change events with the shapes their senders document, else kept as raw text.

A message is read by the first shape that knows it; what it names (an application, a
repository, a project, a job) is a service only when the services file says so (its name, or
a repository it lists): a message that names none, or that no shape reads, is kept as its
raw text for no service, never guessed into one. The shapes, each from its sender's source:

- **GitHub** (the GitHub app for Slack, ``lib/messages/deployment-status.js`` of
  https://github.com/integrations/slack): an attachment whose ``fallback`` is
  ``[owner/repo] Successfully deployed <sha> to <environment>`` and ``text``
  ``Successfully deployed <commit|`sha`> to <target|environment>``, ``author_name`` the
  deployment's creator. Only ``Successfully deployed`` is a change (Deploying, Error when
  deploying and failed are not).
- **GitLab** (Slack notifications' deployment events, ``Integrations::ChatMessage::
  DeploymentMessage`` of https://gitlab.com/gitlab-org/gitlab, from
  https://gitlab.com/gitlab-org/gitlab-foss/-/merge_requests/27338): the text ``Deploy to
  <environment> succeeded``, an attachment ``<project_url|group/project> with job
  <job_url|#id> by <user_url|Name>`` then ``<commit_url|sha>: <commit title>``.
- **Argo CD** (the notifications catalog's ``app-deployed`` template,
  https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/catalog/):
  ``Application <name> is now running new version of deployments manifests.``, an
  attachment titled with the application, linking to it, with a ``Revision`` field.
- **Spinnaker** (echo's ``SlackNotificationService``, https://github.com/spinnaker/echo: an
  attachment titled ``Spinnaker Notification`` whose text is the notification's body;
  https://spinnaker.io/docs/setup/other_config/features/notifications/): a body naming the
  ``application`` and saying its pipeline completed or succeeded.
- **Jenkins** (the Slack plugin's ``ActiveNotifier.MessageBuilder``,
  https://github.com/jenkinsci/slack-plugin): ``<job> - #<n> Success after <duration>
  (<url|Open>)`` (or ``Back to normal``); the job's name, or one of its folders, names the
  service (``checkout``, ``checkout-deploy``, ``deploy/checkout``).
- **Flux** (notification-controller's Slack provider, ``internal/notifier/slack.go`` of
  https://github.com/fluxcd/notification-controller): an attachment whose ``author_name``
  is ``<kind>/<name>.<namespace>`` and ``text`` the event's message, its metadata as
  ``fields`` (``revision``); a Kustomization or HelmRelease that was applied, upgraded or
  installed is a deploy of ``<name>``.
- **Plain**: any app saying ``deployed <what> to <where>`` (``<what>`` the service, or the
  service with its version: ``checkout-gateway 2023.11.07-1``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.basics.slack_text import Link, parse, to_plain
from bot.basics.timestamps import ts_to_datetime
from bot.record.alerting.services import ServiceCatalog
from bot.record.changes.events import SUMMARY_MAX, TEXT_MAX, ChangeSeen

SOURCE = "slack"


@dataclass(frozen=True)
class ChannelMessage:
    """A change channel's message as plain values: its text and attachments in Slack's
    encoding, as the app posted them."""

    channel: str
    ts: str
    text: str = ""
    attachments: tuple[Mapping[str, Any], ...] = ()
    app: str | None = None


@dataclass(frozen=True)
class Reading:
    """What a shape read of a message: the sender (``shape``), what it names (``names``:
    an application, a project; ``repository``: ``owner/name``), and the change."""

    shape: str
    summary: str
    names: tuple[str, ...] = ()
    repository: str | None = None
    who: str | None = None
    link: str | None = None
    kind: str = "deploy"


def _plain(encoded: object) -> str:
    return " ".join(to_plain(encoded).split()) if isinstance(encoded, str) else ""


def _links(encoded: object) -> list[Link]:
    if not isinstance(encoded, str):
        return []
    return [run for run in parse(encoded) if isinstance(run, Link)]


def _field(attachment: Mapping[str, Any], title: str) -> str | None:
    fields = attachment.get("fields")
    for each in fields if isinstance(fields, list) else ():
        if isinstance(each, dict) and str(each.get("title", "")).lower() == title.lower():
            return _plain(each.get("value")) or None
    return None


def _cut(text: str, most: int = TEXT_MAX) -> str:
    return text[:most]


_GITHUB = re.compile(r"^\[(?P<repo>[\w.-]+/[\w.-]+)\] Successfully deployed (?P<what>.+)$")


def _github(message: ChannelMessage) -> Reading | None:
    for attachment in message.attachments:
        found = _GITHUB.match(_plain(attachment.get("fallback")))
        if found is None:
            continue
        repository = found["repo"]
        links = _links(attachment.get("text"))
        return Reading(
            "github",
            f"{repository}: {found['what']} deployed",
            repository=repository,
            who=_cut(_plain(attachment.get("author_name"))) or None,
            link=links[-1].url if links else None,
        )
    return None


_GITLAB = re.compile(r"^Deploy to (?P<env>\S.*) succeeded$")
_GITLAB_BY = re.compile(r"^(?P<project>\S+) with job \S+ by (?P<who>.+)$")


def _gitlab(message: ChannelMessage) -> Reading | None:
    said = _GITLAB.match(_plain(message.text))
    if said is None or not message.attachments:
        return None
    attachment = message.attachments[0]
    encoded = str(attachment.get("text") or "")
    first, _, rest = encoded.partition("\n")
    by = _GITLAB_BY.match(_plain(first))
    if by is None:
        return None
    project = by["project"]
    links = _links(first)
    title = _plain(rest)
    summary = f"{project} deployed to {said['env']}" + (f": {title}" if title else "")
    return Reading(
        "gitlab",
        summary,
        names=(project.rsplit("/", 1)[-1],),
        repository=project,
        who=_cut(by["who"]),
        link=links[1].url if len(links) > 1 else (links[0].url if links else None),
    )


_ARGOCD = re.compile(
    r"Application (?P<app>[\w.-]+) is now running new version of deployments manifests"
)


def _argocd(message: ChannelMessage) -> Reading | None:
    said = _ARGOCD.search(_plain(message.text))
    if said is None:
        return None
    app = said["app"]
    revision = link = None
    for attachment in message.attachments:
        if _plain(attachment.get("title")) == app:
            revision = _field(attachment, "Revision")
            title_link = attachment.get("title_link")
            link = title_link if isinstance(title_link, str) else None
    summary = f"{app} synced" + (f" to revision {revision}" if revision else "")
    return Reading("argocd", summary, names=(app,), link=link)


_SPINNAKER_APP = re.compile(r"application \*?(?P<app>[\w.-]+)\*?", re.IGNORECASE)
_SPINNAKER_DONE = re.compile(r"\b(has completed|completed|succeeded)\b", re.IGNORECASE)


def _spinnaker(message: ChannelMessage) -> Reading | None:
    for attachment in message.attachments:
        if _plain(attachment.get("title")) != "Spinnaker Notification":
            continue
        body = _plain(attachment.get("text"))
        app = _SPINNAKER_APP.search(body)
        if app is None or not _SPINNAKER_DONE.search(body):
            return None
        links = _links(attachment.get("text"))
        return Reading(
            "spinnaker",
            _cut(body, SUMMARY_MAX),
            names=(app["app"],),
            link=links[0].url if links else None,
        )
    return None


_JENKINS = re.compile(
    r"^(?P<job>\S.*?) - #(?P<number>\d+) (?P<status>Success|Back to normal) after .+?"
    r"(?: \(Open\))?$"
)


def _jenkins_names(job: str) -> tuple[str, ...]:
    names: list[str] = []
    for part in job.replace(" » ", "/").split("/"):
        part = part.strip().lower()
        names.extend([part, part.removesuffix("-deploy"), part.removeprefix("deploy-")])
    return tuple(dict.fromkeys(name for name in names if name))


def _jenkins(message: ChannelMessage) -> Reading | None:
    texts = [message.text, *(a.get("text") for a in message.attachments)]
    for encoded in texts:
        said = _JENKINS.match(_plain(encoded))
        if said is None:
            continue
        links = _links(encoded)
        return Reading(
            "jenkins",
            f"{said['job']} #{said['number']} built ({said['status'].lower()})",
            names=_jenkins_names(said["job"]),
            link=links[-1].url if links else None,
        )
    return None


_FLUX_AUTHOR = re.compile(r"^(?P<kind>kustomization|helmrelease)/(?P<name>[\w.-]+?)\.[\w-]+$")
_FLUX_DONE = re.compile(
    r"(Reconciliation finished|upgrade succeeded|install succeeded|Helm upgrade succeeded|"
    r"Helm install succeeded|configured|created)",
    re.IGNORECASE,
)


def _flux(message: ChannelMessage) -> Reading | None:
    for attachment in message.attachments:
        author = _FLUX_AUTHOR.match(_plain(attachment.get("author_name")))
        if author is None:
            continue
        text = _plain(attachment.get("text"))
        if not _FLUX_DONE.search(text):
            return None
        revision = _field(attachment, "revision")
        summary = f"{author['kind']}/{author['name']}: {text}"
        if revision:
            summary += f" (revision {revision})"
        return Reading("flux", _cut(summary, SUMMARY_MAX), names=(author["name"],))
    return None


_PLAIN = re.compile(
    r"\bdeployed:?\s+`?(?P<what>[\w./:@-]+)`?(?:\s+`?(?P<version>[\w.+:@-]+)`?)?"
    r"\s+(?:to|on|in|into)\s+`?(?P<where>[\w./:@-]+)`?",
    re.IGNORECASE,
)


def _plain_rule(message: ChannelMessage) -> Reading | None:
    texts = [message.text, *(a.get("text") for a in message.attachments)]
    for encoded in texts:
        text = _plain(encoded)
        said = _PLAIN.search(text)
        if said is None:
            continue
        what = said["what"]
        name, _, version = what.partition("@")
        names = (name, what) if version else (what,)
        links = _links(encoded)
        return Reading(
            "plain",
            _cut(text, SUMMARY_MAX),
            names=names,
            link=links[0].url if links else None,
        )
    return None


SHAPES: Sequence[Callable[[ChannelMessage], Reading | None]] = (
    _github,
    _gitlab,
    _argocd,
    _spinnaker,
    _jenkins,
    _flux,
    _plain_rule,
)


def read_message(message: ChannelMessage) -> Reading | None:
    """The first shape that reads ``message``; None when none does."""
    for shape in SHAPES:
        reading = shape(message)
        if reading is not None:
            return reading
    return None


def service_named(reading: Reading, catalog: ServiceCatalog) -> str | None:
    """The service of the file a reading names (a repository it lists, or its name); None
    when it names none the file knows: the change is then kept for no service."""
    if reading.repository and (listed := catalog.of_repository(reading.repository)):
        return listed.name
    for name in reading.names:
        if (found := catalog.get(name)) is not None:
            return found.name
    return None


def raw_text(message: ChannelMessage) -> str:
    """What a message said, plain, its attachments' words after its text."""
    parts = [_plain(message.text)]
    for attachment in message.attachments:
        parts.extend(
            _plain(attachment.get(key)) for key in ("pretext", "author_name", "title", "text")
        )
    return " · ".join(part for part in parts if part)


def change_of(
    message: ChannelMessage, catalog: ServiceCatalog, *, permalink: str | None
) -> tuple[ChangeSeen, str | None]:
    """The message as a change and the service it is kept for (None: not read, kept as its
    raw text, kind ``other``). Its key is the channel and ts: a message delivered again is
    one change."""
    reading = read_message(message)
    service = service_named(reading, catalog) if reading is not None else None
    event_key = f"{message.channel}:{message.ts}"
    if reading is None or service is None:
        text = raw_text(message) or "(a message without text)"
        seen = ChangeSeen(
            kind="other",
            summary=_cut(text, SUMMARY_MAX),
            at=ts_to_datetime(message.ts),
            who=_cut(message.app) if message.app else None,
            link=permalink,
            origin=message.app,
            event_key=event_key,
        )
        return seen, None
    seen = ChangeSeen(
        kind=reading.kind,
        summary=reading.summary,
        at=ts_to_datetime(message.ts),
        who=reading.who,
        link=reading.link or permalink,
        origin=_cut(f"{reading.shape} via {message.app}" if message.app else reading.shape),
        event_key=event_key,
    )
    return seen, service
