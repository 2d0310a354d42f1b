"""Alert intake: the webhooks' bearer token, the routes and services files, and how large a
body may be."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.slack_patterns import CHANNEL_ID
from bot.config.reading import (
    NO_SECRET,
    Feature,
    Secret,
    boolean,
    integer,
    one_problem_file,
    problems_file,
    setting,
)
from bot.record.alerting.routes import NO_ROUTES, RouteError, Routes, load_routes
from bot.record.alerting.services import NO_SERVICES, ServiceCatalog, ServiceError, load_services


def _channel_ids(raw: str) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    wrong = [each for each in ids if not CHANNEL_ID.match(each)]
    if wrong:
        raise ValueError(f"channel ids (C...) expected, not {', '.join(wrong)[:80]}")
    return ids


def _hours(raw: str) -> float:
    hours = float(raw)
    if not 0 < hours <= 24 * 90:
        raise ValueError("hours between 0 and 2160 (90 days) expected")
    return hours


@dataclass(frozen=True)
class AlertSettings(Feature):
    """Who may send alerts and what each opens."""

    # Alert webhooks need this bearer token; without it alert intake stays off.
    token: Secret = setting(
        env="WARROOM_ALERT_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="bearer token alert webhooks must send; without it alert intake is off",
    )
    routes: Routes = setting(
        env="WARROOM_ALERT_ROUTES",
        default=NO_ROUTES,
        parse=one_problem_file(load_routes, RouteError),
        doc="path of the alert routes file (above)",
        shown="every alert opens a SEV3 incident",
    )
    # The services; the routes naming one take what it gives (resolved in __post_init__).
    catalog: ServiceCatalog = setting(
        env="WARROOM_SERVICES",
        default=NO_SERVICES,
        parse=problems_file(load_services, ServiceError),
        doc="path of the services file (see Services in the manual)",
        shown="none (no services)",
    )
    # A shadow week (docs/importing.md): alerts are routed and paged on paper only.
    shadow: bool = setting(
        env="WARROOM_SHADOW",
        default=False,
        parse=boolean,
        doc="`on`: every alert's pages are computed and kept as who would have been notified "
        "and when, and nobody is notified (a service's `shadow: true` does it for one service)",
        shown="`off`",
    )
    shadow_channel: str = setting(
        env="WARROOM_SHADOW_CHANNEL",
        default="",
        doc="channel **id** (`C…`) where shadowed alerts' messages go, marked as a shadow "
        "(unset: they are posted nowhere)",
    )
    # Where apps and bots announce deploys (#deploys): their messages are kept as changes.
    change_channels: tuple[str, ...] = setting(
        env="WARROOM_CHANGE_CHANNELS",
        default=(),
        parse=_channel_ids,
        doc="channel **ids** (`C…`, comma-separated) where apps and bots announce changes "
        "(#deploys): their messages are kept as change events, read as GitHub's, GitLab's, "
        "Argo CD's, Spinnaker's, Jenkins's or Flux's notifications or `deployed X to Y`, "
        "else as their raw text (the app must be in the channel)",
        shown="none",
    )
    change_hours: float = setting(
        env="WARROOM_CHANGE_HOURS",
        default=24.0,
        parse=_hours,
        doc="how many hours back the message beside a paged alert or a declared incident "
        "lists what changed on its services and what they depend on",
        shown="24",
    )
    # 1 MiB holds an Alertmanager group of several hundred alerts; PagerDuty's own Events API
    # refuses an event over 512 KB, so no vendor's client sends more.
    max_body_bytes: int = setting(
        env="WARROOM_ALERT_MAX_BODY_BYTES",
        default=1024 * 1024,
        parse=integer,
        doc="largest alert webhook body accepted (413 beyond); PagerDuty's Events API paths "
        "take at most 512 KB, PagerDuty's own limit",
    )
    # A key's deliveries a minute (each replica counts its own), alerts and change events
    # apart: a leaked key or a sender in a loop is answered 429 instead of filling the
    # database. A minute's worth may come at once: the 5,000-alert storm (bench/) is 500
    # webhooks and a few pages, all on one key.
    rate_per_minute: int = setting(
        env="WARROOM_ALERT_RATE_PER_MINUTE",
        default=1200,
        parse=integer,
        doc="deliveries of alerts (and, apart, of change events) one key may send a minute, "
        "counted by each replica; a minute's worth may come at once; past it 429 with "
        "`Retry-After` (0: no limit)",
    )

    def __post_init__(self) -> None:
        # However these settings are made (read, or replaced in a test), a route naming a
        # service takes from it what the route leaves unset.
        object.__setattr__(self, "routes", self.routes.with_services(self.catalog))

    def problems(self) -> list[str]:
        # A routes file without WARROOM_ALERT_TOKEN is no problem: integrations carry their
        # own keys, and with neither a token nor an integration intake is off (401), never open.
        problems = []
        if self.shadow_channel and not CHANNEL_ID.match(self.shadow_channel):
            problems.append("WARROOM_SHADOW_CHANNEL: must be a channel id (C...)")
        if self.max_body_bytes <= 0:
            problems.append("WARROOM_ALERT_MAX_BODY_BYTES: must be more than zero")
        if self.rate_per_minute < 0:
            problems.append("WARROOM_ALERT_RATE_PER_MINUTE: must be 0 (no limit) or more")
        return problems

    def shadowed(self, service: str | None) -> bool:
        """Whether an alert of ``service`` (None: of no service) is paged on paper only."""
        found = self.catalog.get(service)
        return self.shadow or (found is not None and found.shadow)
