"""Where follow-ups are filed: the three trackers, how a destination is written, their settings.

A destination is written ``kind[:project]``: ``github:acme/payments`` (a repository),
``jira:OPS`` (a project key), ``linear:<team id>``; a bare ``github``, ``jira`` or ``linear``
means that tracker's default project from its settings. Settings, routes and
``/incident action --file=...`` all use this one form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class TrackerSettings:
    """Credentials, default projects and webhook secrets of the three trackers.

    Secrets are kept out of ``repr`` so settings can be logged.
    """

    # Where follow-ups go when neither the route nor the command says (None: nowhere).
    default: TrackerTarget | None = None
    # File every follow-up not filed yet when the postmortem is posted.
    file_on_postmortem: bool = False
    github_api_url: str = "https://api.github.com"
    github_token: str = field(default="", repr=False)
    github_repo: str = ""
    github_webhook_secret: str = field(default="", repr=False)
    jira_url: str = ""  # https://your-site.atlassian.net
    jira_email: str = ""
    jira_api_token: str = field(default="", repr=False)
    jira_project: str = ""
    jira_issue_type: str = "Task"
    jira_webhook_secret: str = field(default="", repr=False)
    linear_api_url: str = "https://api.linear.app/graphql"
    linear_api_key: str = field(default="", repr=False)
    linear_team: str = ""
    linear_webhook_secret: str = field(default="", repr=False)
    timeout: float = 10.0

    def project_of(self, target: TrackerTarget) -> str:
        """The target's project, or its tracker's default one ("" when there is none)."""
        defaults = {
            "github": self.github_repo,
            "jira": self.jira_project,
            "linear": self.linear_team,
        }
        return target.project or defaults[target.kind]

    def missing(self, kind: TrackerKind) -> list[str]:
        """The variables filing in ``kind`` needs that are not set."""
        needed = {
            "github": [("WARROOM_GITHUB_TOKEN", self.github_token)],
            "jira": [
                ("WARROOM_JIRA_URL", self.jira_url),
                ("WARROOM_JIRA_EMAIL", self.jira_email),
                ("WARROOM_JIRA_API_TOKEN", self.jira_api_token),
            ],
            "linear": [("WARROOM_LINEAR_API_KEY", self.linear_api_key)],
        }
        return [name for name, value in needed[kind] if not value]

    def problems(self) -> list[str]:
        """What is malformed: URLs, default projects, and a default tracker without credentials."""
        found = []
        for name, url in (
            ("WARROOM_GITHUB_API_URL", self.github_api_url),
            ("WARROOM_JIRA_URL", self.jira_url),
            ("WARROOM_LINEAR_API_URL", self.linear_api_url),
        ):
            if url and not url.startswith(("https://", "http://")):
                found.append(f"{name}: must start with https://")
        for name, kind, project in (
            ("WARROOM_GITHUB_REPO", "github", self.github_repo),
            ("WARROOM_JIRA_PROJECT", "jira", self.jira_project),
            ("WARROOM_LINEAR_TEAM", "linear", self.linear_team),
        ):
            if project and not _PROJECTS[kind].match(project):
                found.append(f"{name}: give {_HINTS[kind]}")
        if self.default is not None:
            missing = self.missing(self.default.kind)
            if missing:
                found.append(f"WARROOM_TRACKER is {self.default}: set {', '.join(missing)}")
            elif not self.project_of(self.default):
                found.append(f"WARROOM_TRACKER is {self.default}: name its project")
        if self.timeout <= 0:
            found.append("WARROOM_TRACKER_TIMEOUT: must be more than zero seconds")
        return found


NO_TRACKERS = TrackerSettings()
