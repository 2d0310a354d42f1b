"""Where follow-ups are filed: the three trackers and how a destination is written (their
settings: bot/config/trackers.py).

A destination is written ``kind[:project]``: ``github:acme/payments`` (a repository),
``jira:OPS`` (a project key), ``linear:<team id>``; a bare ``github``, ``jira`` or ``linear``
means that tracker's default project from its settings. Settings, routes and
``/incident action --file=...`` all use this one form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

TrackerKind = Literal["github", "jira", "linear"]
TRACKER_KINDS: tuple[TrackerKind, ...] = ("github", "jira", "linear")
_PROJECTS = {
    # owner/name as GitHub allows them: letters, digits, '-', '_' and '.'
    "github": re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$"),
    # Jira project keys: an uppercase letter, then uppercase letters, digits or '_'
    "jira": re.compile(r"^[A-Z][A-Z0-9_]{0,9}$"),
    # Linear team ids are UUIDs; a team key (ENG) is accepted by issueCreate too
    "linear": re.compile(r"^[A-Za-z0-9-]{1,64}$"),
}
_HINTS = {
    "github": "owner/repository",
    "jira": "a project key like OPS",
    "linear": "a team id",
}


class TrackerSpecError(ValueError):
    """A tracker destination that is not ``github|jira|linear[:project]``."""


@dataclass(frozen=True)
class TrackerTarget:
    """One destination: a tracker and, when given, its project (repository, key, team)."""

    kind: TrackerKind
    project: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.project}" if self.project else self.kind


def parse_target(text: str) -> TrackerTarget:
    """``"jira:OPS"`` -> TrackerTarget("jira", "OPS"); raise TrackerSpecError otherwise."""
    kind, _, project = text.strip().partition(":")
    kind, project = kind.strip().lower(), project.strip()
    if kind not in TRACKER_KINDS:
        raise TrackerSpecError(f"{text.strip()!r}: the tracker is one of github, jira, linear")
    if project and not _PROJECTS[kind].match(project):
        raise TrackerSpecError(f"{text.strip()!r}: after {kind}: give {_HINTS[kind]}")
    return TrackerTarget(kind, project)


@dataclass(frozen=True)
class TrackerChange:
    """What a tracker's webhook says happened to an issue: closed as done, or reopened.

    ``external_id`` is the tracker's own id of the issue (GitHub's issue id, which survives
    a rename or a transfer); ``number`` and ``project`` name it the older way, for GitHub
    issues filed when warroom kept the number (matched with the repository's name in any
    case); ``by`` is who did it, as the tracker names them ("" when it does not say);
    ``at`` when the tracker says the change happened (in the signed payload: GitHub's
    ``issue.updated_at``, Jira's ``timestamp``, Linear's ``webhookTimestamp``; None when
    it does not say).
    """

    tracker: TrackerKind
    external_id: str
    closed: bool
    project: str = ""
    by: str = ""
    number: str = ""
    at: datetime | None = None

    def what(self) -> str:
        """The change as its payload says it, whatever delivery carried it: applied once."""
        action = "closed" if self.closed else "reopened"
        return (
            f"{self.tracker}:{self.external_id}:{action}:{self.at.isoformat() if self.at else ''}"
        )


def project_problem(kind: TrackerKind, project: str) -> str | None:
    """What a default project of ``kind`` should look like, when ``project`` does not."""
    return None if _PROJECTS[kind].match(project) else f"give {_HINTS[kind]}"
