"""Settings: read once from the environment, validated, then passed in everywhere.

Nothing else in warroom reads ``os.environ``. Each feature's settings are a small frozen
dataclass in its own module (``slack``, ``incidents``, ``alerting``...); ``Settings`` holds one
of each, and checks here what one feature's settings name of another's (a route's policy, a
workflow's schedule).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from bot.basics.render import Renderer
from bot.config.agents import AgentSettings
from bot.config.ai import AISettings
from bot.config.alerting import AlertSettings
from bot.config.bounces import BounceSettings
from bot.config.escalation import EscalationSettings
from bot.config.heartbeats import HeartbeatSettings
from bot.config.importing import ImportSettings
from bot.config.incidents import IncidentSettings
from bot.config.maintenance import MaintenanceSettings
from bot.config.oncall import OncallSettings
from bot.config.paging import PagingHookSettings, PagingSettings
from bot.config.prompts import PromptSettings
from bot.config.reading import (
    ConfigError,
    Feature,
    config_error,
    declared,
    markdown,
    read,
    read_each,
    setting,
)
from bot.config.runtime import RuntimeSettings
from bot.config.slack import Need, SlackSettings
from bot.config.status_page import StatusPageSettings
from bot.config.subscriptions import SubscriptionSettings
from bot.config.trackers import TrackerSettings
from bot.config.vonage import VonageSettings
from bot.config.watchdog import WatchdogSettings
from bot.config.web import WebSettings
from bot.config.workflows import WorkflowSettings
from bot.record.alerting.routes import Route
from bot.record.incident.incident_types import IncidentTypes


@dataclass(frozen=True)
class LogSettings(Feature):
    """How warroom logs. Read apart from Settings, and first: logging must work while the
    settings themselves are being checked."""

    level: str = setting(env="WARROOM_LOG_LEVEL", default="INFO", doc="log level")
    # None: the command's own choice.
    format: str | None = setting(
        env="WARROOM_LOG_FORMAT",
        default=None,
        doc="`json` or `text` (for `serve`)",
        shown="`json`",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LogSettings:
        return read(cls, environ)


@dataclass(frozen=True)
class Settings:
    """Everything warroom is configured with, one feature's settings an attribute."""

    slack: SlackSettings = field(default_factory=SlackSettings)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    incidents: IncidentSettings = field(default_factory=IncidentSettings)
    escalation: EscalationSettings = field(default_factory=EscalationSettings)
    oncall: OncallSettings = field(default_factory=OncallSettings)
    workflows: WorkflowSettings = field(default_factory=WorkflowSettings)
    alerting: AlertSettings = field(default_factory=AlertSettings)
    heartbeats: HeartbeatSettings = field(default_factory=HeartbeatSettings)
    # The dead man's switch: where warroom says it is alive while its own check passes.
    watchdog: WatchdogSettings = field(default_factory=WatchdogSettings)
    # Who may make maintenance windows beyond the owners, and how long one lasts at most.
    maintenance: MaintenanceSettings = field(default_factory=MaintenanceSettings)
    web: WebSettings = field(default_factory=WebSettings)
    # Agents over the Model Context Protocol: their tokens' rate limit.
    agents: AgentSettings = field(default_factory=AgentSettings)
    # Where follow-ups are filed as issues (GitHub, Jira Cloud, Linear).
    trackers: TrackerSettings = field(default_factory=TrackerSettings)
    status_page: StatusPageSettings = field(default_factory=StatusPageSettings)
    # Customers subscribed to the status page by e-mail or webhook, and sign-up limits.
    subscriptions: SubscriptionSettings = field(default_factory=SubscriptionSettings)
    # Their bounces reported later: the signed return address and the SMTP listener.
    bounces: BounceSettings = field(default_factory=BounceSettings)
    # Follow-up reminders and the day-after lessons question.
    prompts: PromptSettings = field(default_factory=PromptSettings)
    # The team's own model for the draft's written sections.
    ai: AISettings = field(default_factory=AISettings)
    # Paging people by push, SMS, voice and email (the contacts file, ntfy, Twilio, SMTP).
    paging: PagingSettings = field(default_factory=PagingSettings)
    # Where `webhook` contacts are paged (the paging webhooks file) and their secrets.
    hooks: PagingHookSettings = field(default_factory=PagingHookSettings)
    # Vonage, the second SMS and voice provider (per contact, or Twilio's fallback).
    vonage: VonageSettings = field(default_factory=VonageSettings)
    # `warroom import`: the other tools' API keys.
    importing: ImportSettings = field(default_factory=ImportSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables, raising ConfigError on bad values (every
        one named, not only the first)."""
        features = get_type_hints(cls)
        readers = {each.name: _reader(features[each.name], environ) for each in fields(cls)}
        found, problems = read_each(readers.values())
        if problems:
            raise config_error(
                problems + cls._problems_beside(dict(zip(readers, found, strict=True)))
            )
        settings = cls(**dict(zip(readers, found, strict=True)))  # type: ignore[arg-type]
        settings.validate()
        return settings

    @classmethod
    def _problems_beside(cls, found: dict[str, object]) -> list[str]:
        """What the cross-checks (``validate``) find beside the values that could not be read,
        so that every problem is said at once: each feature as far as it was read (its bad
        values at their defaults), and none that could not be read at all."""
        if any(value is None for value in found.values()):
            return []
        try:
            return cls(**found).validation_problems()  # type: ignore[arg-type]
        except Exception:  # a check that needs a value not read is said once it reads
            return []

    def replace(self, **changes: Feature) -> Settings:
        """A copy with some features' settings changed (tests and the demo use this):
        ``settings.replace(web=settings.web.replace(public_url=...))``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def changed(self, **changes: object) -> Settings:
        """A copy with fields of features changed, each named ``feature__field``
        (``web__public_url=...``), or whole features (``trackers=...``): tests and the demo."""
        features: dict[str, Feature] = {}
        for name, value in changes.items():
            feature, _, field_name = name.partition("__")
            if not field_name:
                features[feature] = value  # type: ignore[assignment]
                continue
            current = features.get(feature) or getattr(self, feature)
            features[feature] = current.replace(**{field_name: value})
        return self.replace(**features)

    def validate(self) -> None:
        """Raise ConfigError naming every value that is malformed."""
        if problems := self.validation_problems():
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))

    def validation_problems(self) -> list[str]:
        """Every value that is malformed, or names what another setting lacks."""
        problems = [*self.incidents.problems(), *self.escalation.problems()]
        problems.extend(self.runtime.problems())
        problems.extend(self.slack.problems())
        problems.extend(self._route_problems())
        problems.extend(self._service_problems())
        problems.extend(self.alerting.problems())
        problems.extend(self._heartbeat_problems())
        problems.extend(self._type_problems())
        problems.extend(self.workflow_problems())
        problems.extend(self.web.problems())
        problems.extend(self._oncall_problems())
        problems.extend(self.oncall.problems())
        problems.extend(self.trackers.problems())
        problems.extend(self.status_page.problems())
        problems.extend(self.bounces.problems())
        problems.extend(self.ai.problems())
        problems.extend(self.paging.problems())
        problems.extend(self._paging_problems())
        problems.extend(self.hooks.problems())
        problems.extend(self._hook_problems())
        problems.extend(self.vonage.problems())
        return problems

    def _paging_problems(self) -> list[str]:
        """Methods that need warroom's public address: acknowledgement links (ntfy, email)
        and the phone providers' callbacks (SMS, voice) point there."""
        beyond_slack = sorted(self.paging.contacts.kinds())
        if beyond_slack and not self.web.public_url:
            return [
                f"WARROOM_CONTACTS: {', '.join(beyond_slack)} contacts need WARROOM_PUBLIC_URL "
                "(acknowledgement links and the phone providers' callbacks point there)"
            ]
        return []

    def _hook_problems(self) -> list[str]:
        """Webhook and Teams contacts name destinations of their kind in the paging webhooks
        file."""
        named = {
            (method.kind, method.address)
            for person in self.paging.contacts.people.values()
            for method in person.contacts.values()
            if method.kind in ("webhook", "teams")
        }
        unknown = sorted(
            f"{address} ({kind})"
            for kind, address in named
            if (found := self.hooks.destinations.get(address)) is None or found.kind != kind
        )
        if unknown:
            return [
                "WARROOM_CONTACTS: no destination of that kind in WARROOM_PAGING_WEBHOOKS: "
                + ", ".join(unknown)
            ]
        return []

    def _routes(self) -> tuple[Route, ...]:
        routes = self.alerting.routes
        return (*routes.routes, routes.default)

    def _route_problems(self) -> list[str]:
        """Policies the alert routes name that the policies file lacks."""
        unknown = sorted(
            {
                route.policy
                for route in self._routes()
                if route.policy and ("policy" in route.given or route.service is None)
                if self.escalation.policies.get(route.policy) is None
            }
        )
        if unknown:
            return ["WARROOM_ALERT_ROUTES: no escalation policy named " + ", ".join(unknown)]
        return []

    def _service_problems(self) -> list[str]:
        """What the services name that the policies and schedules lack, and routes naming a
        service the services file lacks (or a ``page`` route its service leaves without a
        policy or channel)."""
        catalog = self.alerting.catalog
        schedules = self.oncall.schedules.by_name
        problems = [
            f"WARROOM_SERVICES: service {service.name!r}: no escalation policy named "
            f"{service.policy!r}"
            for service in catalog.by_name.values()
            if service.policy and self.escalation.policies.get(service.policy) is None
        ]
        problems.extend(
            f"WARROOM_SERVICES: service {service!r}: owner schedule: no on-call schedule named "
            f"{schedule!r}"
            for service, schedule in catalog.schedule_owners()
            if schedule not in schedules
        )
        problems.extend(self._phone_problems())
        for route in self._routes():
            if route.service and catalog.get(route.service) is None:
                problems.append(
                    f"WARROOM_ALERT_ROUTES: route {route.name!r}: no service named "
                    f"{route.service!r} in WARROOM_SERVICES"
                )
            elif route.service and route.action == "page":
                problems.extend(
                    f"WARROOM_ALERT_ROUTES: route {route.name!r}: a 'page' route needs "
                    f"{key!r}, and service {route.service!r} names none"
                    for key in ("policy", "channel")
                    if getattr(route, key) is None
                )
        return problems

    def _phone_problems(self) -> list[str]:
        """A service's phone (live call routing) is a Twilio number: Twilio must be set, and
        the public address its webhooks are signed over."""
        phoned = [s.name for s in self.alerting.catalog.by_name.values() if s.phone is not None]
        if not phoned:
            return []
        needs = []
        if not self.paging.twilio_on:
            needs.append("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM")
        if not self.web.public_url:
            needs.append("WARROOM_PUBLIC_URL")
        return [
            f"WARROOM_SERVICES: service {name!r}: phone: live call routing is Twilio's: set "
            + " and ".join(needs)
            for name in phoned
            if needs
        ]

    def _heartbeat_problems(self) -> list[str]:
        """Heartbeats need the alert token (their check-ins carry it) and name policies the
        policies file must have."""
        heartbeats = self.heartbeats.heartbeats
        if not heartbeats.by_name:
            return []
        problems = []
        if not self.alerting.token:
            problems.append(
                "WARROOM_HEARTBEATS is set but WARROOM_ALERT_TOKEN is not: check-ins carry "
                "that token; set one (e.g. `openssl rand -hex 32`)"
            )
        for spec in heartbeats.by_name.values():
            if spec.policy and self.escalation.policies.get(spec.policy) is None:
                problems.append(
                    f"WARROOM_HEARTBEATS: heartbeat {spec.name!r}: no escalation policy "
                    f"named {spec.policy!r}"
                )
        return problems

    def _type_problems(self) -> list[str]:
        """What the types file and the alert routes name that the other settings lack."""
        incidents = self.incidents
        renderer = Renderer(incidents.templates_dir)
        styles = renderer.postmortem_choices().get(incidents.language, [])
        problems = [
            f"WARROOM_INCIDENT_TYPES: {problem}"
            for problem in incidents.types.problems_with(
                policies=list(self.escalation.policies.by_name),
                roles=incidents.roles,
                styles=styles,
            )
        ]
        for route in self._routes():
            if route.incident_type and incidents.types.get(route.incident_type) is None:
                problems.append(
                    f"WARROOM_ALERT_ROUTES: route {route.name!r}: no incident type "
                    f"{route.incident_type!r} in WARROOM_INCIDENT_TYPES"
                )
        return problems

    def workflow_problems(self) -> list[str]:
        """What the workflows name that the types, policies, schedules and secrets lack."""
        secrets = self.workflows.webhook_secrets
        return [
            f"WARROOM_WORKFLOWS: {problem}"
            for problem in self.workflows.definitions.problems_with(
                self.incidents.types,
                policies=list(self.escalation.policies.by_name),
                schedules=list(self.oncall.schedules.by_name),
                secrets={name: str(secret) for name, secret in secrets.items()},
                tracker=self.trackers.default is not None
                or any(route.tracker for route in self._routes()),
            )
        ]

    def _oncall_problems(self) -> list[str]:
        """Policies that target a schedule the schedule file does not have, and names that
        are both a policy and a schedule (``/incident escalate NAME`` would mean either)."""
        problems = []
        schedules = self.oncall.schedules.by_name
        policies = self.escalation.policies
        known = ", ".join(schedules) or "none: no WARROOM_ONCALL_SCHEDULES"
        for policy, level, name in policies.schedule_targets():
            if name not in schedules:
                problems.append(
                    f"WARROOM_ESCALATION_POLICIES: policy {policy!r} level {level}: schedule: "
                    f"no on-call schedule named {name!r} (schedules: {known})"
                )
        both = sorted(set(policies.by_name) & set(schedules))
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
        return f"{self.web.public_url}/status"

    def require(self, *needs: Need) -> None:
        """Raise ConfigError naming every missing variable the chosen mode needs."""
        self.slack.require(*needs)


def _reader(cls: Any, environ: Mapping[str, str]) -> Any:
    """How a feature is read: its own ``from_env`` when it reads more than its fields."""
    from_env = getattr(cls, "from_env", None)
    return (lambda: from_env(environ)) if from_env else (lambda: read(cls, environ))


# The features in the README's order, each with its heading there.
FEATURES: tuple[tuple[str, type], ...] = (
    ("Slack", SlackSettings),
    ("Running", RuntimeSettings),
    ("Logs", LogSettings),
    ("Incidents", IncidentSettings),
    ("Escalation and paging", EscalationSettings),
    ("Paging", PagingSettings),
    ("Paging webhooks", PagingHookSettings),
    ("Vonage", VonageSettings),
    ("On call", OncallSettings),
    ("Workflows", WorkflowSettings),
    ("Alerts", AlertSettings),
    ("Heartbeats", HeartbeatSettings),
    ("The watchdog", WatchdogSettings),
    ("Maintenance windows", MaintenanceSettings),
    ("The web view", WebSettings),
    ("Agents (MCP)", AgentSettings),
    ("Trackers", TrackerSettings),
    ("The status page", StatusPageSettings),
    ("Status page subscriptions", SubscriptionSettings),
    ("Status page bounces", BounceSettings),
    ("Follow-ups and lessons", PromptSettings),
    ("The model for postmortem drafts", AISettings),
    ("Importing from Opsgenie, PagerDuty or Grafana OnCall", ImportSettings),
)


def configuration_markdown() -> str:
    """The README's configuration tables, as the settings declare them."""
    return markdown(FEATURES)


def variables() -> frozenset[str]:
    """Every variable warroom reads by a fixed name (the files name more: routing keys,
    webhook secrets)."""
    return frozenset(each.env for _, cls in FEATURES for _, each in declared(cls))


def given_and_defaulted(
    environ: Mapping[str, str],
) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """Per feature (its heading): the variables set, and each left at its default with the
    default as the manual says it (``warroom config check``; never a value)."""
    found = []
    for heading, cls in FEATURES:
        names = [each for _, each in declared(cls)]
        given = [each.env for each in names if environ.get(each.env, "").strip()]
        defaulted = [(each.env, each.shown) for each in names if each.env not in given]
        found.append((heading, given, defaulted))
    return found


def ical_allowed_hosts_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """``WARROOM_ICAL_ALLOWED_HOSTS`` alone (``warroom oncall check`` reads no other setting)."""
    return read(
        OncallSettings, _only("ical_allowed_hosts", OncallSettings, environ)
    ).ical_allowed_hosts


def incident_types_from_env(environ: Mapping[str, str]) -> IncidentTypes:
    """``WARROOM_INCIDENT_TYPES`` alone (``warroom workflows test``); ConfigError names every
    problem of the file."""
    return read(IncidentSettings, _only("types", IncidentSettings, environ)).types


def _only(name: str, cls: type, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with only the variable of ``cls``'s field ``name``."""
    (env,) = [each.env for field_name, each in declared(cls) if field_name == name]
    return {env: environ[env]} if env in environ else {}
