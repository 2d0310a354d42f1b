"""Trackers (GitHub, Jira Cloud, Linear): where follow-ups are filed, with what credentials,
and the secrets their webhooks sign with (README, "Filing follow-ups in trackers")."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.trackers import TrackerKind, TrackerTarget, parse_target, project_problem
from bot.config.reading import NO_SECRET, Feature, Secret, boolean, seconds, setting, url


@dataclass(frozen=True)
class TrackerSettings(Feature):
    """Credentials, default projects and webhook secrets of the three trackers."""

    # Where follow-ups go when neither the route nor the command says (None: nowhere).
    default: TrackerTarget | None = setting(
        env="WARROOM_TRACKER",
        default=None,
        parse=parse_target,
        doc="where follow-ups are filed by default: `github`, `jira` or `linear`, with "
        "`:project` to override its default project (above)",
        shown="none (filing only with `--file=…` or a route's `tracker`)",
    )
    # File every follow-up not filed yet when the postmortem is posted.
    file_on_postmortem: bool = setting(
        env="WARROOM_TRACKER_FILE_ON_POSTMORTEM",
        default=False,
        parse=boolean,
        doc="`true`: file every follow-up not filed yet when the postmortem draft is posted",
        shown="`false`",
    )
    timeout: float = setting(
        env="WARROOM_TRACKER_TIMEOUT",
        default=10.0,
        parse=seconds,
        doc="seconds to wait for a tracker before an attempt counts as failed",
        shown="`10`",
    )
    github_api_url: str = setting(
        env="WARROOM_GITHUB_API_URL",
        default="https://api.github.com",
        parse=url,
        doc="GitHub REST API (GitHub Enterprise Server: `https://host/api/v3`)",
    )
    github_token: Secret = setting(
        env="WARROOM_GITHUB_TOKEN", default=NO_SECRET, parse=Secret, doc="GitHub: token"
    )
    github_repo: str = setting(
        env="WARROOM_GITHUB_REPO", default="", doc="GitHub: default `owner/repo`"
    )
    github_webhook_secret: Secret = setting(
        env="WARROOM_GITHUB_WEBHOOK_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="GitHub: webhook secret",
    )
    jira_url: str = setting(
        env="WARROOM_JIRA_URL",
        default="",
        parse=url,
        doc="Jira Cloud: the site (`https://acme.atlassian.net`)",
    )
    jira_email: str = setting(
        env="WARROOM_JIRA_EMAIL", default="", doc="Jira Cloud: the account's email"
    )
    jira_api_token: Secret = setting(
        env="WARROOM_JIRA_API_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="Jira Cloud: the account's API token",
    )
    jira_project: str = setting(
        env="WARROOM_JIRA_PROJECT", default="", doc="Jira: default project key"
    )
    jira_issue_type: str = setting(
        env="WARROOM_JIRA_ISSUE_TYPE", default="Task", doc="Jira: issue type"
    )
    jira_webhook_secret: Secret = setting(
        env="WARROOM_JIRA_WEBHOOK_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="Jira: admin webhook secret",
    )
    linear_api_url: str = setting(
        env="WARROOM_LINEAR_API_URL",
        default="https://api.linear.app/graphql",
        doc="Linear's GraphQL endpoint",
    )
    linear_api_key: Secret = setting(
        env="WARROOM_LINEAR_API_KEY",
        default=NO_SECRET,
        parse=Secret,
        doc="Linear: personal API key",
    )
    linear_team: str = setting(env="WARROOM_LINEAR_TEAM", default="", doc="Linear: default team id")
    linear_webhook_secret: Secret = setting(
        env="WARROOM_LINEAR_WEBHOOK_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="Linear: webhook signing secret",
    )

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
        needed: dict[str, list[tuple[str, str]]] = {
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
        for name, address in (
            ("WARROOM_GITHUB_API_URL", self.github_api_url),
            ("WARROOM_JIRA_URL", self.jira_url),
            ("WARROOM_LINEAR_API_URL", self.linear_api_url),
        ):
            if address and not address.startswith(("https://", "http://")):
                found.append(f"{name}: must start with https://")
        kinds: tuple[tuple[str, TrackerKind, str], ...] = (
            ("WARROOM_GITHUB_REPO", "github", self.github_repo),
            ("WARROOM_JIRA_PROJECT", "jira", self.jira_project),
            ("WARROOM_LINEAR_TEAM", "linear", self.linear_team),
        )
        for name, kind, project in kinds:
            problem = project_problem(kind, project) if project else None
            if problem:
                found.append(f"{name}: {problem}")
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
