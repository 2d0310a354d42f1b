"""Settings: read once from the environment, validated, then passed in everywhere.

Nothing else in warroom reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from dateutil import tz

from bot.basics.durations import duration_text, parse_duration
from bot.basics.languages import language_code
from bot.basics.prompts import DEFAULT_PROMPTS, PromptSettings
from bot.basics.render import Renderer, postmortem_template
from bot.basics.trackers import NO_TRACKERS, TrackerSettings, TrackerSpecError, parse_target
from bot.record.alerting.routes import NO_ROUTES, RouteError, Routes, load_routes
from bot.record.escalation.policies import NO_POLICIES, Policies, PolicyError, load_policies
from bot.record.incident_types import (
    NO_TYPES,
    IncidentTypes,
    IncidentTypesError,
    load_incident_types,
)
from bot.record.oncall.feed_addresses import (
    ALLOWED_HOSTS_ENV,
    allowed_hosts,
    feed_address_problems,
)
from bot.record.oncall.schedules import NO_SCHEDULES, ScheduleError, Schedules, load_schedules
from bot.record.workflows.definitions import NO_WORKFLOWS, WorkflowError, Workflows, load_workflows
from bot.store.models import SEVERITIES

# Reactions that promote a message into the timeline, and the kind of entry each makes.
DEFAULT_REACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "pushpin": "key_event",
        "mag": "investigation",
        "x": "misleading",
        "bulb": "root_cause",
        "white_check_mark": "mitigation",
        "memo": "follow_up",
    }
)
PROMOTABLE_KINDS = frozenset(
    {"key_event", "investigation", "misleading", "root_cause", "mitigation", "follow_up"}
)
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_OIDC_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
DEFAULT_STATUSPAGE_API_URL = "https://api.statuspage.io/v1"
WEB_AUTH_MODES = ("slack", "none")
DEFAULT_ICAL_REFRESH = timedelta(minutes=15)
DEFAULT_PUBLIC_GRACE = timedelta(minutes=2)
# Past this, a status change would wait longer for people's words than customers wait for news.
PUBLIC_GRACE_MAX = timedelta(minutes=30)
# Sooner than this would only load the calendar tools a team is leaving.
ICAL_REFRESH_MIN = timedelta(minutes=1)
# HMAC-SHA256 keys shorter than this are guessable.
SESSION_SECRET_MIN = 32
# Roles every incident can have besides its commander; operators add their own.
DEFAULT_ROLES = ("comms", "scribe")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
Need = Literal["slack_token", "signing_secret", "app_token", "app_config_token"]


@dataclass(frozen=True)
class LogSettings:
    """How warroom logs. Read apart from Settings, and first: logging must work while the
    settings themselves are being checked."""

    level: str = "INFO"
    format: str | None = None  # None: the command's own choice

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LogSettings:
        return cls(
            level=environ.get("WARROOM_LOG_LEVEL", "INFO"),
            format=environ.get("WARROOM_LOG_FORMAT"),
        )


class ConfigError(ValueError):
    """The environment does not describe a runnable warroom."""


class Secret(str):
    """A string that never shows itself in ``repr``, logs or tracebacks of settings."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


NO_SECRET = Secret("")


@dataclass(frozen=True)
class Settings:
    """Everything warroom is configured with."""

    slack_bot_token: Secret = NO_SECRET
    slack_signing_secret: Secret = NO_SECRET
    slack_app_token: Secret = NO_SECRET
    # An app configuration token (xoxe.xoxp-…): `warroom manifest --validate / --create` only.
    slack_app_config_token: Secret = NO_SECRET
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = "sqlite:///warroom.db"
    timezone: str = "UTC"
    port: int = 3000
    default_severity: str = "SEV3"
    channel_prefix: str = "inc"
    templates_dir: Path | None = None
    # Upper bound for an inbound request body; Slack's own payloads are far smaller.
    max_body_bytes: int = 1024 * 1024
    reactions: Mapping[str, str] = field(default_factory=lambda: DEFAULT_REACTIONS)
    # The bot's own quiet acknowledgement on a message it added to the timeline.
    receipt_reaction: str = "ballot_box_with_check"
    # Where stakeholder updates (and declarations and resolutions) are announced, if anywhere.
    announce_channel: str = ""
    # The commander is reminded when an open incident has had no update for this long.
    update_reminder: timedelta | None = timedelta(minutes=30)
    roles: tuple[str, ...] = DEFAULT_ROLES
    escalation_policies: Policies = NO_POLICIES
    # On-call schedules (WARROOM_ONCALL_SCHEDULES): bot/record/oncall/schedules.py.
    oncall_schedules: Schedules = NO_SCHEDULES
    # Incident types and custom fields (WARROOM_INCIDENT_TYPES): bot/record/incident_types.py.
    incident_types: IncidentTypes = NO_TYPES
    # How often each iCal layer's external feed is fetched again (bot/flows/oncall/ical_feeds.py).
    oncall_ical_refresh: timedelta = DEFAULT_ICAL_REFRESH
    # Hosts an iCal feed may be fetched from over http:// or at a loopback, link-local or
    # private address (WARROOM_ICAL_ALLOWED_HOSTS): bot/record/oncall/feed_addresses.py.
    ical_allowed_hosts: frozenset[str] = frozenset()
    # Workflows (WARROOM_WORKFLOWS): bot/record/workflows/definitions.py; their webhooks' signing
    # secrets, by the variable each is read from.
    workflows: Workflows = NO_WORKFLOWS
    webhook_secrets: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    # Seconds a workflow's webhook may take to answer before the attempt counts as failed.
    webhook_timeout: float = 10.0
    # Routing keys of the policies' PagerDuty targets, by the variable each is read from.
    pager_keys: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    pagerduty_events_url: str = DEFAULT_PAGERDUTY_EVENTS_URL
    # Seconds to wait for PagerDuty's answer before counting the attempt as failed.
    pagerduty_timeout: float = 10.0
    # How often each replica looks for due work (escalation timers, pages, reminders).
    scheduler_interval: float = 1.0
    # Jobs a replica runs at once (bot/flows/scheduler.py); escalations, pages and reminders
    # run one at a time whatever this says.
    job_concurrency: int = 8
    # Replicas sharing the Slack workspace: each paces its calls to its share of Slack's
    # limits (bot/clients/slack_pacing.py).
    replicas: int = 1
    # With more than one replica, how long a command waits before it is applied, so that
    # one typed just before it that reached another replica is in the line first (the
    # time another replica may take to keep a command, plus the replicas' clock skew;
    # bot/flows/in_order.py). One replica needs none: what it receives, it keeps in order.
    command_hold: float = 0.5
    # Slack's rate-limit window in seconds: 60, as Slack counts; shorter only against the
    # emulator with its windows compressed the same way (tests, benchmarks).
    slack_rate_window: float = 60.0
    # Alert webhooks need this bearer token; without it alert intake stays off.
    alert_token: Secret = NO_SECRET
    alert_routes: Routes = NO_ROUTES
    # Alertmanager sends every alert of a group in one body: allow more than for Slack.
    alert_max_body_bytes: int = 4 * 1024 * 1024
    # The postmortem template style and language, unless an incident chooses its own.
    postmortem_style: str = "default"
    language: str = "en"
    # The web view: "slack" signs people in with Slack (OpenID Connect); "none" is for local
    # use only (no sign-in, every incident shown, the pages and API to this machine alone).
    web_auth: str = "slack"
    slack_client_id: str = ""
    slack_client_secret: Secret = NO_SECRET
    # Signs session cookies; every replica needs the same one.
    session_secret: Secret = NO_SECRET
    session_hours: float = 12.0
    # Where people reach warroom (https://warroom.example.com): the sign-in redirect and
    # links; cookies are Secure when it is https. Without it, the request's own address.
    public_url: str = ""
    oidc_authorize_url: str = DEFAULT_OIDC_AUTHORIZE_URL
    # Automation reads the JSON API with `Authorization: Bearer <token>`.
    api_token: Secret = NO_SECRET
    # Where follow-ups are filed as issues (GitHub, Jira Cloud, Linear): bot/basics/trackers.py.
    trackers: TrackerSettings = NO_TRACKERS
    # Follow-up reminders and the day-after lessons question: bot/basics/prompts.py.
    prompts: PromptSettings = DEFAULT_PROMPTS
    # Atlassian Statuspage: public updates are published there too when both are set.
    statuspage_page_id: str = ""
    statuspage_api_key: Secret = NO_SECRET
    statuspage_api_url: str = DEFAULT_STATUSPAGE_API_URL
    # Component names people give `/incident public`, lowercased, to Statuspage component ids.
    statuspage_components: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Public updates: a status change is announced in warroom's own words only when nobody
    # published theirs within this long, and a person's update waits at most this long for
    # its translations (``public_languages``) before Statuspage notifies subscribers.
    public_grace: timedelta = DEFAULT_PUBLIC_GRACE
    # The languages the team publishes each public update in (``fr,en,it``); empty: the
    # incident's language and whichever its earlier updates used.
    public_languages: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables, raising ConfigError on bad values."""
        policies = _policies(environ.get("WARROOM_ESCALATION_POLICIES"))
        workflows = _workflows(environ.get("WARROOM_WORKFLOWS"))
        settings = cls(
            slack_bot_token=Secret(environ.get("SLACK_BOT_TOKEN", "")),
            slack_signing_secret=Secret(environ.get("SLACK_SIGNING_SECRET", "")),
            slack_app_token=Secret(environ.get("SLACK_APP_TOKEN", "")),
            slack_app_config_token=Secret(environ.get("SLACK_APP_CONFIG_TOKEN", "").strip()),
            slack_api_url=environ.get("SLACK_API_URL", DEFAULT_SLACK_API_URL),
            database_url=environ.get("DATABASE_URL", "sqlite:///warroom.db"),
            timezone=environ.get("WARROOM_TIMEZONE", "UTC"),
            port=_int(environ, "PORT", 3000),
            default_severity=environ.get("WARROOM_DEFAULT_SEVERITY", "SEV3").upper(),
            channel_prefix=environ.get("WARROOM_CHANNEL_PREFIX", "inc"),
            templates_dir=_path(environ.get("WARROOM_TEMPLATES_DIR")),
            max_body_bytes=_int(environ, "WARROOM_MAX_BODY_BYTES", 1024 * 1024),
            reactions=_reactions(environ.get("WARROOM_REACTIONS")),
            receipt_reaction=environ.get("WARROOM_RECEIPT_REACTION", "ballot_box_with_check"),
            announce_channel=environ.get("WARROOM_ANNOUNCE_CHANNEL", "").strip(),
            update_reminder=_reminder(environ.get("WARROOM_UPDATE_REMINDER")),
            roles=_roles(environ.get("WARROOM_ROLES")),
            escalation_policies=policies,
            oncall_schedules=_schedules(environ.get("WARROOM_ONCALL_SCHEDULES")),
            incident_types=_incident_types(environ.get("WARROOM_INCIDENT_TYPES")),
            oncall_ical_refresh=_ical_refresh(environ.get("WARROOM_ONCALL_ICAL_REFRESH")),
            ical_allowed_hosts=ical_allowed_hosts_from_env(environ),
            workflows=workflows,
            webhook_secrets=MappingProxyType(
                {name: Secret(environ.get(name, "")) for name in workflows.secret_envs}
            ),
            webhook_timeout=_seconds(environ, "WARROOM_WEBHOOK_TIMEOUT", 10.0),
            pager_keys=MappingProxyType(
                {name: Secret(environ.get(name, "")) for name in policies.routing_key_envs()}
            ),
            pagerduty_events_url=environ.get("PAGERDUTY_EVENTS_URL", DEFAULT_PAGERDUTY_EVENTS_URL),
            pagerduty_timeout=_seconds(environ, "PAGERDUTY_TIMEOUT", 10.0),
            scheduler_interval=_seconds(environ, "WARROOM_SCHEDULER_INTERVAL", 1.0),
            job_concurrency=_int(environ, "WARROOM_JOB_CONCURRENCY", 8),
            replicas=_int(environ, "WARROOM_REPLICAS", 1),
            command_hold=_seconds(environ, "WARROOM_COMMAND_HOLD", 0.5),
            slack_rate_window=_seconds(environ, "WARROOM_SLACK_RATE_WINDOW", 60.0),
            alert_token=Secret(environ.get("WARROOM_ALERT_TOKEN", "").strip()),
            alert_routes=_routes(environ.get("WARROOM_ALERT_ROUTES")),
            alert_max_body_bytes=_int(environ, "WARROOM_ALERT_MAX_BODY_BYTES", 4 * 1024 * 1024),
            postmortem_style=environ.get("WARROOM_POSTMORTEM_STYLE", "default").strip().lower(),
            language=environ.get("WARROOM_LANGUAGE", "en").strip().lower(),
            web_auth=environ.get("WARROOM_WEB_AUTH", "slack").strip().lower(),
            slack_client_id=environ.get("SLACK_CLIENT_ID", "").strip(),
            slack_client_secret=Secret(environ.get("SLACK_CLIENT_SECRET", "").strip()),
            session_secret=Secret(environ.get("WARROOM_SESSION_SECRET", "").strip()),
            session_hours=_seconds(environ, "WARROOM_SESSION_HOURS", 12.0),
            public_url=environ.get("WARROOM_PUBLIC_URL", "").strip().rstrip("/"),
            oidc_authorize_url=environ.get("SLACK_OIDC_AUTHORIZE_URL", DEFAULT_OIDC_AUTHORIZE_URL),
            api_token=Secret(environ.get("WARROOM_API_TOKEN", "").strip()),
            trackers=_trackers(environ),
            prompts=_prompts(environ),
            statuspage_page_id=environ.get("STATUSPAGE_PAGE_ID", "").strip(),
            statuspage_api_key=Secret(environ.get("STATUSPAGE_API_KEY", "").strip()),
            statuspage_api_url=environ.get("STATUSPAGE_API_URL", DEFAULT_STATUSPAGE_API_URL)
            .strip()
            .rstrip("/"),
            statuspage_components=_components(environ.get("STATUSPAGE_COMPONENTS")),
            public_grace=_public_grace(environ.get("WARROOM_PUBLIC_GRACE")),
            public_languages=_public_languages(environ.get("WARROOM_PUBLIC_LANGUAGES")),
        )
        settings.validate()
        return settings

    def replace(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (tests and the demo use this)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> None:
        """Raise ConfigError naming every value that is malformed."""
        problems = []
        if tz.gettz(self.timezone) is None:
            problems.append(f"WARROOM_TIMEZONE: unknown time zone {self.timezone!r}")
        if self.default_severity not in SEVERITIES:
            problems.append(f"WARROOM_DEFAULT_SEVERITY: must be one of {', '.join(SEVERITIES)}")
        if not self.database_url.startswith(("sqlite", "postgres")):
            problems.append("DATABASE_URL: only sqlite:/// and postgresql:// URLs are supported")
        unknown = sorted(set(self.reactions.values()) - PROMOTABLE_KINDS)
        if unknown:
            problems.append(
                f"WARROOM_REACTIONS: unknown kind(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(PROMOTABLE_KINDS))}"
            )
        missing_keys = sorted(name for name, key in self.pager_keys.items() if not key)
        if missing_keys:
            problems.append(
                "WARROOM_ESCALATION_POLICIES: routing key variable(s) not set: "
                + ", ".join(missing_keys)
            )
        bad_roles = [role for role in self.roles if not _ROLE_NAME.match(role)]
        if bad_roles or "commander" in self.roles:
            problems.append(
                "WARROOM_ROLES: role names are lowercase words (the commander is set with lead)"
            )
        if not Renderer(self.templates_dir).exists(
            postmortem_template(self.language, self.postmortem_style)
        ):
            problems.append(
                "WARROOM_POSTMORTEM_STYLE / WARROOM_LANGUAGE: no template "
                f"{postmortem_template(self.language, self.postmortem_style)}"
            )
        if self.pagerduty_timeout <= 0:
            problems.append("PAGERDUTY_TIMEOUT: must be more than zero seconds")
        if self.scheduler_interval <= 0:
            problems.append("WARROOM_SCHEDULER_INTERVAL: must be more than zero seconds")
        if not 1 <= self.job_concurrency <= 32:
            problems.append("WARROOM_JOB_CONCURRENCY: must be between 1 and 32")
        if not 1 <= self.replicas <= 64:
            problems.append("WARROOM_REPLICAS: must be between 1 and 64")
        if not 0 <= self.command_hold <= 10:
            problems.append("WARROOM_COMMAND_HOLD: must be between 0 and 10 seconds")
        if not 0 < self.slack_rate_window <= 3600:
            problems.append("WARROOM_SLACK_RATE_WINDOW: must be more than 0 and at most 3600 s")
        unknown_policies = sorted(
            name
            for name in self.alert_routes.policy_names()
            if self.escalation_policies.get(name) is None
        )
        if unknown_policies:
            problems.append(
                "WARROOM_ALERT_ROUTES: no escalation policy named " + ", ".join(unknown_policies)
            )
        if self.alert_routes is not NO_ROUTES and not self.alert_token:
            problems.append(
                "WARROOM_ALERT_ROUTES is set but WARROOM_ALERT_TOKEN is not: alert webhooks "
                "would accept anyone; set a token (e.g. `openssl rand -hex 32`)"
            )
        if self.alert_max_body_bytes <= 0:
            problems.append("WARROOM_ALERT_MAX_BODY_BYTES: must be more than zero")
        problems.extend(self._type_problems())
        problems.extend(self.workflow_problems())
        problems.extend(self._web_problems())
        problems.extend(self._oncall_problems())
        problems.extend(self.trackers.problems())
        if bool(self.statuspage_page_id) != bool(self.statuspage_api_key):
            problems.append("STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY: set both, or neither")
        if not 0 < self.port < 65536:
            problems.append("PORT: must be between 1 and 65535")
        if problems:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))

    def _type_problems(self) -> list[str]:
        """What the types file and the alert routes name that the other settings lack."""
        renderer = Renderer(self.templates_dir)
        styles = renderer.postmortem_choices().get(self.language, [])
        problems = [
            f"WARROOM_INCIDENT_TYPES: {problem}"
            for problem in self.incident_types.problems_with(
                policies=list(self.escalation_policies.by_name),
                roles=self.roles,
                styles=styles,
            )
        ]
        for route in (*self.alert_routes.routes, self.alert_routes.default):
            if route.incident_type and self.incident_types.get(route.incident_type) is None:
                problems.append(
                    f"WARROOM_ALERT_ROUTES: route {route.name!r}: no incident type "
                    f"{route.incident_type!r} in WARROOM_INCIDENT_TYPES"
                )
        return problems

    def workflow_problems(self) -> list[str]:
        """What the workflows name that the types, policies, schedules and secrets lack."""
        return [
            f"WARROOM_WORKFLOWS: {problem}"
            for problem in self.workflows.problems_with(
                self.incident_types,
                policies=list(self.escalation_policies.by_name),
                schedules=list(self.oncall_schedules.by_name),
                secrets={name: str(secret) for name, secret in self.webhook_secrets.items()},
                tracker=self.trackers.default is not None
                or any(r.tracker for r in (*self.alert_routes.routes, self.alert_routes.default)),
            )
        ]

    def _web_problems(self) -> list[str]:
        problems = []
        if self.web_auth not in WEB_AUTH_MODES:
            problems.append("WARROOM_WEB_AUTH: must be slack (sign in with Slack) or none")
        if self.session_secret and len(self.session_secret) < SESSION_SECRET_MIN:
            problems.append(
                f"WARROOM_SESSION_SECRET: use at least {SESSION_SECRET_MIN} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            problems.append("WARROOM_PUBLIC_URL: must start with https:// (or http://)")
        if self.session_hours <= 0:
            problems.append("WARROOM_SESSION_HOURS: must be more than zero")
        return problems

    def _oncall_problems(self) -> list[str]:
        """Policies that target a schedule the schedule file does not have, and names that
        are both a policy and a schedule (``/incident escalate NAME`` would mean either)."""
        problems = []
        known = ", ".join(self.oncall_schedules.by_name) or "none: no WARROOM_ONCALL_SCHEDULES"
        for policy, level, name in self.escalation_policies.schedule_targets():
            if self.oncall_schedules.get(name) is None:
                problems.append(
                    f"WARROOM_ESCALATION_POLICIES: policy {policy!r} level {level}: schedule: "
                    f"no on-call schedule named {name!r} (schedules: {known})"
                )
        problems.extend(
            f"WARROOM_ONCALL_SCHEDULES: {problem}"
            for problem in feed_address_problems(
                self.oncall_schedules.by_name.values(), self.ical_allowed_hosts
            )
        )
        both = sorted(set(self.escalation_policies.by_name) & set(self.oncall_schedules.by_name))
        if both:
            problems.append(
                f"WARROOM_ESCALATION_POLICIES and WARROOM_ONCALL_SCHEDULES: {', '.join(both)} "
                "names both a policy and a schedule, so `/incident escalate` could mean either: "
                "rename one"
            )
        return problems

    @property
    def status_page_url(self) -> str:
        """Where warroom's public status page is: the full address once WARROOM_PUBLIC_URL
        says where warroom is, else its path."""
        return f"{self.public_url}/status"

    @property
    def statuspage_on(self) -> bool:
        """Whether public updates also go to Atlassian Statuspage."""
        return bool(self.statuspage_page_id and self.statuspage_api_key)

    @property
    def sign_in_ready(self) -> bool:
        """Whether Sign in with Slack has what it needs (the web view's pages need it)."""
        return bool(self.slack_client_id and self.slack_client_secret and self.session_secret)

    def require(self, *needs: Need) -> None:
        """Raise ConfigError naming every missing variable the chosen mode needs."""
        wanted = {
            "slack_token": ("SLACK_BOT_TOKEN", self.slack_bot_token),
            "signing_secret": ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            "app_token": ("SLACK_APP_TOKEN", self.slack_app_token),
            "app_config_token": ("SLACK_APP_CONFIG_TOKEN", self.slack_app_config_token),
        }
        missing = [wanted[need][0] for need in needs if not wanted[need][1]]
        if missing:
            raise ConfigError("missing required environment variable(s): " + ", ".join(missing))


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None


def _path(raw: str | None) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _reactions(raw: str | None) -> Mapping[str, str]:
    """Parse ``pushpin=key_event,rotating_light=key_event,...`` (it replaces the default)."""
    if not raw:
        return DEFAULT_REACTIONS
    mapping = {}
    for pair in raw.split(","):
        name, sep, kind = pair.strip().partition("=")
        if not sep or not name.strip(":").strip() or not kind.strip():
            raise ConfigError(f"WARROOM_REACTIONS: expected emoji=kind, got {pair.strip()!r}")
        mapping[name.strip().strip(":")] = kind.strip()
    return MappingProxyType(mapping)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {raw!r}") from None


def _reminder(raw: str | None) -> timedelta | None:
    """``30m`` by default; ``0`` or ``off`` turns update reminders off."""
    if raw is None or not raw.strip():
        return timedelta(minutes=30)
    if raw.strip().lower() in {"0", "off", "none"}:
        return None
    try:
        return parse_duration(raw) or None
    except ValueError as error:
        raise ConfigError(f"WARROOM_UPDATE_REMINDER: {error}") from None


def _public_grace(raw: str | None) -> timedelta:
    """``2m`` by default; ``0`` announces a status change at once."""
    if raw is None or not raw.strip():
        return DEFAULT_PUBLIC_GRACE
    try:
        grace = parse_duration(raw)
    except ValueError as error:
        raise ConfigError(f"WARROOM_PUBLIC_GRACE: {error}") from None
    if grace > PUBLIC_GRACE_MAX:
        raise ConfigError(f"WARROOM_PUBLIC_GRACE: at most {duration_text(PUBLIC_GRACE_MAX)}")
    return grace


def _public_languages(raw: str | None) -> tuple[str, ...]:
    """``fr,en,it``: ISO 639-1 codes, optionally with a region (``pt-br``)."""
    languages = [part.strip().lower() for part in (raw or "").split(",") if part.strip()]
    wrong = [lang for lang in languages if language_code(lang) is None]
    if wrong:
        raise ConfigError(
            f"WARROOM_PUBLIC_LANGUAGES: expected codes like fr,en,it, got {', '.join(wrong)}"
        )
    return tuple(dict.fromkeys(languages))


def _roles(raw: str | None) -> tuple[str, ...]:
    """The default roles plus any the operator lists (``WARROOM_ROLES=ops-lead,liaison``)."""
    extra = [role.strip().lower() for role in (raw or "").split(",") if role.strip()]
    return tuple(dict.fromkeys([*DEFAULT_ROLES, *extra]))


def _policies(raw: str | None) -> Policies:
    if not raw:
        return NO_POLICIES
    try:
        return load_policies(Path(raw).expanduser())
    except PolicyError as error:
        raise ConfigError(f"WARROOM_ESCALATION_POLICIES: {error}") from None


def _schedules(raw: str | None) -> Schedules:
    """The schedule file, every problem in it named (not only the first)."""
    if not raw:
        return NO_SCHEDULES
    try:
        return load_schedules(Path(raw).expanduser(), now=datetime.now(UTC))
    except ScheduleError as error:
        problems = "\n  ".join(error.problems)
        raise ConfigError(f"WARROOM_ONCALL_SCHEDULES: {raw}:\n  {problems}") from None


def ical_allowed_hosts_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """``WARROOM_ICAL_ALLOWED_HOSTS`` alone (``warroom oncall check`` reads no other setting)."""
    return allowed_hosts(environ.get(ALLOWED_HOSTS_ENV))


def incident_types_from_env(environ: Mapping[str, str]) -> IncidentTypes:
    """``WARROOM_INCIDENT_TYPES`` alone (``warroom workflows test``); ConfigError names every
    problem of the file."""
    return _incident_types(environ.get("WARROOM_INCIDENT_TYPES"))


def _incident_types(raw: str | None) -> IncidentTypes:
    """The types file, every problem in it named (not only the first)."""
    if not raw:
        return NO_TYPES
    try:
        return load_incident_types(Path(raw).expanduser())
    except IncidentTypesError as error:
        problems = "\n  ".join(error.problems)
        raise ConfigError(f"WARROOM_INCIDENT_TYPES: {raw}:\n  {problems}") from None


def _ical_refresh(raw: str | None) -> timedelta:
    """``15m`` by default; at least a minute."""
    if raw is None or not raw.strip():
        return DEFAULT_ICAL_REFRESH
    try:
        every = parse_duration(raw)
    except ValueError as error:
        raise ConfigError(f"WARROOM_ONCALL_ICAL_REFRESH: {error}") from None
    if every < ICAL_REFRESH_MIN:
        raise ConfigError("WARROOM_ONCALL_ICAL_REFRESH: at least 1m (a minute)")
    return every


def _workflows(raw: str | None) -> Workflows:
    """The workflows file, every problem in it named (not only the first)."""
    if not raw:
        return NO_WORKFLOWS
    try:
        return load_workflows(Path(raw).expanduser())
    except WorkflowError as error:
        problems = "\n  ".join(error.problems)
        raise ConfigError(f"WARROOM_WORKFLOWS: {raw}:\n  {problems}") from None


def _routes(raw: str | None) -> Routes:
    if not raw:
        return NO_ROUTES
    try:
        return load_routes(Path(raw).expanduser())
    except RouteError as error:
        raise ConfigError(f"WARROOM_ALERT_ROUTES: {error}") from None


def _trackers(environ: Mapping[str, str]) -> TrackerSettings:
    """The trackers' settings (README, "Filing follow-ups in trackers")."""

    def text(name: str, default: str = "") -> str:
        return environ.get(name, default).strip()

    default = text("WARROOM_TRACKER")
    try:
        target = parse_target(default) if default else None
    except TrackerSpecError as error:
        raise ConfigError(f"WARROOM_TRACKER: {error}") from None
    on_postmortem = text("WARROOM_TRACKER_FILE_ON_POSTMORTEM").lower()
    if on_postmortem not in ("", "true", "false", "1", "0", "yes", "no"):
        raise ConfigError("WARROOM_TRACKER_FILE_ON_POSTMORTEM: true or false")
    return TrackerSettings(
        default=target,
        file_on_postmortem=on_postmortem in ("true", "1", "yes"),
        github_api_url=text("WARROOM_GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        github_token=Secret(text("WARROOM_GITHUB_TOKEN")),
        github_repo=text("WARROOM_GITHUB_REPO"),
        github_webhook_secret=Secret(text("WARROOM_GITHUB_WEBHOOK_SECRET")),
        jira_url=text("WARROOM_JIRA_URL").rstrip("/"),
        jira_email=text("WARROOM_JIRA_EMAIL"),
        jira_api_token=Secret(text("WARROOM_JIRA_API_TOKEN")),
        jira_project=text("WARROOM_JIRA_PROJECT"),
        jira_issue_type=text("WARROOM_JIRA_ISSUE_TYPE", "Task") or "Task",
        jira_webhook_secret=Secret(text("WARROOM_JIRA_WEBHOOK_SECRET")),
        linear_api_url=text("WARROOM_LINEAR_API_URL", "https://api.linear.app/graphql"),
        linear_api_key=Secret(text("WARROOM_LINEAR_API_KEY")),
        linear_team=text("WARROOM_LINEAR_TEAM"),
        linear_webhook_secret=Secret(text("WARROOM_LINEAR_WEBHOOK_SECRET")),
        timeout=_seconds(environ, "WARROOM_TRACKER_TIMEOUT", 10.0),
    )


def _prompts(environ: Mapping[str, str]) -> PromptSettings:
    """Follow-up reminders and the lessons question (README, "Postmortem drafts")."""
    return PromptSettings(
        follow_up_reminder=_after(
            environ, "WARROOM_FOLLOW_UP_REMINDER", DEFAULT_PROMPTS.follow_up_reminder
        ),
        lessons_after=_after(environ, "WARROOM_LESSONS_DM", DEFAULT_PROMPTS.lessons_after),
    )


def _after(environ: Mapping[str, str], name: str, default: timedelta | None) -> timedelta | None:
    """A duration (``24h``), ``off`` for none, or the default when unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in {"0", "off", "none"}:
        return None
    try:
        return parse_duration(raw) or None
    except ValueError as error:
        raise ConfigError(f"{name}: {error} (or off)") from None


def _components(raw: str | None) -> Mapping[str, str]:
    """``E-commerce processing=8kbf7d35c070,Instore payment=v6z6tpldcw85``: the Statuspage
    component id of each name people give ``/incident public`` (matched case-insensitively)."""
    mapping = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        name, sep, component_id = pair.partition("=")
        if not sep or not name.strip() or not component_id.strip():
            raise ConfigError(f"STATUSPAGE_COMPONENTS: expected name=id, got {pair.strip()!r}")
        mapping[name.strip().lower()] = component_id.strip()
    return MappingProxyType(mapping)
