"""Alert routes: which alerts open incidents, how those incidents look, and where the rest go.

Operators write them in YAML (``WARROOM_ALERT_ROUTES``); the first route that matches wins::

    routes:
      - name: payments-critical
        match:                        # label equality
          team: payments
          severity: critical
        match_re:                     # label regular expressions (whole value)
          alertname: "Checkout.*|Payment.*"
        severity: SEV1
        title: "{{ labels.alertname }}: {{ annotations.summary }}"   # Jinja2, sandboxed
        policy: payments              # an escalation policy to start (by name)
        channel_prefix: pay
        on_resolved: monitoring       # or "record" (the default): keep the status
        tracker: "jira:PAY"           # where its follow-ups are filed (WARROOM_TRACKER otherwise)
        type: customer-facing         # an incident type (WARROOM_INCIDENT_TYPES): its defaults
      - name: checkout
        service: checkout             # a service (WARROOM_SERVICES): its alerts carry it, and
        action: page                  #   take its policy, channel, urgency, support hours and
                                      #   runbook where the route sets none; without match
                                      #   or match_re it matches alerts labelled service: checkout
      - name: disk-space
        match: {alertname: DiskSpaceLow}
        action: post                  # no incident: post the alert to a channel
        channel: C0123456789
      - name: queue-lag
        match: {alertname: QueueLag}
        action: page                  # no incident: page the policy, one alert message
        policy: payments              #   in the channel, Acknowledge and Resolve on it
        channel: C0123456789
        urgency: low                  #   high (the default) or low: the people's low-urgency
        support_hours:                #   rules; outside these hours a low one waits
          {zone: Europe/Paris, days: mon-fri, start: "09:00", end: "18:00"}
        group_window: 2m              #   opt-in grouping (default 0: each alert its own):
                                      #   an alert of the route, same sender and service,
                                      #   within 2m of an open one joins it
        flapping: {count: 3, within: 30m}   # held open once it flips more than 3 times
        auto_resolve: 4h              #   resolved by itself after 4h without firing
    default:                          # alerts no route matches, of no service (this is
                                      #   the default default)
      action: open
      severity: SEV3

Routes match on the labels every alert of the notification shares (Alertmanager's
``commonLabels``; a generic alert's ``labels``, ``severity`` and ``source``); ``match:
{service: checkout}`` matches an alert's ``service`` label like any other.

An alert carrying a service of the services file (its integration's, or its ``service``
label) that no route matches is paged to the service's policy, as PagerDuty and Opsgenie page
an integration's service: the service's own route (``service:<name>``, ``own_route``). A
route that matches it by other labels is the operator's choice and is kept; only alerts of
no service (or of a service without a policy) fall through to ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import CHANNEL_ID
from bot.basics.trackers import TrackerSpecError, TrackerTarget, parse_target
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.alerting.services import LABEL as SERVICE_LABEL
from bot.record.alerting.services import NAME as SERVICE_NAME
from bot.record.alerting.services import Service, ServiceCatalog, runbook_address
from bot.record.alerting.support_hours import SupportHours, SupportHoursError, parse_support_hours
from bot.store.models import SEVERITIES

Action = Literal["open", "post", "page"]
OnResolved = Literal["record", "monitoring"]
Urgency = Literal["high", "low"]
URGENCIES: tuple[Urgency, ...] = ("high", "low")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
DEFAULT_TITLE = "{{ annotations.summary or labels.alertname or title or 'Alert from ' ~ source }}"
_TITLE_MAX = 200
_ROUTE_KEYS = {
    "name",
    "match",
    "match_re",
    "action",
    "severity",
    "title",
    "policy",
    "channel_prefix",
    "channel",
    "on_resolved",
    "tracker",
    "type",
    "max_snooze",
    "runbook",
    "urgency",
    "support_hours",
    "group_window",
    "flapping",
    "auto_resolve",
    "service",
}
# What a route naming a service takes from it where the route sets none itself.
FROM_SERVICE = ("policy", "channel", "urgency", "support_hours", "runbook", "group_window")
# How long a person may snooze a ``page`` route's alert, unless the route says otherwise.
DEFAULT_MAX_SNOOZE = timedelta(hours=24)
# A ``page`` route's grouping window: none unless it asks (each new key, fingerprint or
# integration is an alert of its own that pages, as PagerDuty and Opsgenie do); and when its
# alert is flapping: it fired again after its source resolved it more than ``count`` times
# within ``within``.
DEFAULT_GROUP_WINDOW = timedelta(0)
# What a service's own route is called (no file's route name has a colon).
OWN_ROUTE = "service:"


@dataclass(frozen=True)
class Flapping:
    """When a ``page`` route's alert is flapping, held open as one (``flapping:``)."""

    count: int = 3
    within: timedelta = timedelta(minutes=30)


# Route titles are operator text rendered with alert data: sandboxed, no access to Python.
_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)


class RouteError(ValueError):
    """The routes file does not describe valid alert routes."""


@dataclass(frozen=True)
class Route:
    """What to do with alerts whose labels match."""

    name: str
    match: Mapping[str, str] = field(default_factory=dict)
    match_re: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    action: Action = "open"
    # None: the severity the alert states (a generic alert's SEVn), else SEV3.
    severity: str | None = None
    title: str = DEFAULT_TITLE
    policy: str | None = None
    channel_prefix: str | None = None
    channel: str | None = None
    on_resolved: OnResolved = "record"
    # Where this route's incidents file their follow-ups (None: the default tracker).
    tracker: TrackerTarget | None = None
    # The incident type its incidents get (WARROOM_INCIDENT_TYPES), with the type's defaults
    # where the route sets nothing itself.
    incident_type: str | None = None
    # A ``page`` route's alerts: the longest snooze a person may choose, and the runbook its
    # message links to when the alert's own ``runbook_url`` annotation says none.
    max_snooze: timedelta = DEFAULT_MAX_SNOOZE
    runbook: str | None = None
    # A ``page`` route's alerts: which of the people's rules page them (high, or their
    # low-urgency rules), and when a low-urgency one pages at once (else it waits for them).
    urgency: Urgency = "high"
    support_hours: SupportHours | None = None
    # A ``page`` route's alerts: how long after one triggers the route's next alerts of the
    # same sender and service join it (0, the default: never), when one is flapping (None:
    # never), how long one stays open without firing.
    group_window: timedelta = DEFAULT_GROUP_WINDOW
    flapping: Flapping | None = field(default_factory=Flapping)
    auto_resolve: timedelta | None = None
    # The service its alerts carry (WARROOM_SERVICES), and which of ``FROM_SERVICE`` the
    # route set itself (the rest come from the service, ``Routes.with_services``).
    service: str | None = None
    given: frozenset[str] = frozenset(FROM_SERVICE)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if any(labels.get(name) != value for name, value in self.match.items()):
            return False
        return all(
            pattern.fullmatch(labels.get(name, "")) for name, pattern in self.match_re.items()
        )

    def render_title(self, context: Mapping[str, Any]) -> str:
        """The incident title from the route's template; the default one if it fails."""
        try:
            title = _TEMPLATES.from_string(self.title).render(context)
        except TemplateError:
            title = _TEMPLATES.from_string(DEFAULT_TITLE).render(context)
        title = " ".join(title.split())
        return title[:_TITLE_MAX] or "Alert"


DEFAULT_ROUTE = Route(name="default")


@dataclass(frozen=True)
class Routes:
    routes: tuple[Route, ...] = ()
    default: Route = DEFAULT_ROUTE
    # The services file's names: an alert's ``service`` label naming one carries it.
    services: frozenset[str] = frozenset()
    # Each service's own route (those with a policy): its alerts no route matches.
    own: tuple[Route, ...] = ()

    def route_for(self, labels: Mapping[str, str]) -> Route:
        """The first route whose matchers all hold, else the own route of the service the
        alert carries, else the default route."""
        found = next((route for route in self.routes if route.matches(labels)), None)
        return found or self.fallback(labels.get(SERVICE_LABEL))

    def fallback(self, service: str | None) -> Route:
        """Where an alert of ``service`` (None: of none) goes when no route matches it."""
        return next((route for route in self.own if route.service == service), self.default)

    def named(self, name: str) -> Route:
        """The route called ``name``; the default one if the file no longer has it."""
        every = (*self.routes, *self.own)
        return next((route for route in every if route.name == name), self.default)

    def before(self, first: tuple[Route, ...]) -> Routes:
        """These routes with ``first`` ahead of the file's (heartbeats' own routes)."""
        return replace(self, routes=(*first, *self.routes))

    def way_of(self, service: str) -> ServiceWay:
        """Where ``service``'s alerts go, as ``services list`` and its page say it."""
        naming = tuple(route for route in self.routes if _names(route, service))
        caught = any(_catches_all(route, service) for route in naming)
        return ServiceWay(routes=naming, otherwise=None if caught else self.fallback(service))

    @property
    def empty(self) -> bool:
        """No routes file, or one that routes nothing (every alert of no service opens a
        SEV3 incident)."""
        return not self.routes and self.default == DEFAULT_ROUTE

    def policy_names(self) -> set[str]:
        return {route.policy for route in (*self.routes, self.default) if route.policy}

    def service_names(self) -> set[str]:
        return {route.service for route in (*self.routes, self.default) if route.service}

    def service_for(self, route: Route, labels: Mapping[str, str]) -> str | None:
        """The service an alert of ``route`` carries: the route's, else its ``service`` label
        when that names a service of the file."""
        label = labels.get(SERVICE_LABEL)
        return route.service or (label if label in self.services else None)

    def with_services(self, catalog: ServiceCatalog) -> Routes:
        """The routes with what each named service gives where the route sets nothing."""
        if not catalog.by_name and not self.services:
            return self
        return Routes(
            routes=tuple(_from_service(route, catalog) for route in self.routes),
            default=_from_service(self.default, catalog),
            services=frozenset(catalog.by_name),
            own=tuple(own_route(each) for each in catalog.by_name.values() if each.policy),
        )


NO_ROUTES = Routes()


@dataclass(frozen=True)
class ServiceWay:
    """Where a service's alerts go: the routes of the file that name it, in its order, then
    where those none of them matches go (None: one of them matches them all), its own route
    or the default one. A route that does not name it but matches some of its alerts by other
    labels takes those (the file's order decides) and is not listed here."""

    routes: tuple[Route, ...]
    otherwise: Route | None

    @property
    def own(self) -> bool:
        """Whether its alerts no route matches page its own policy."""
        return self.otherwise is not None and self.otherwise.name.startswith(OWN_ROUTE)


def own_route(service: Service) -> Route:
    """The route of ``service``'s alerts that no route matches: paged to its policy, in its
    channel, at its urgency (unless the sender states one) and support hours, with its
    runbook; grouped and held as a ``page`` route's are by default."""
    route = Route(
        name=f"{OWN_ROUTE}{service.name}",
        match={SERVICE_LABEL: service.name},
        action="page",
        service=service.name,
        given=frozenset(),
    )
    return _from_service(route, ServiceCatalog({service.name: service}))


def _catches_all(route: Route, service: str) -> bool:
    """Whether every alert of ``service`` matches ``route``: it asks nothing else of them."""
    return not route.match_re and dict(route.match) == {SERVICE_LABEL: service}


def _names(route: Route, service: str) -> bool:
    pattern = route.match_re.get(SERVICE_LABEL)
    return (
        route.service == service
        or route.match.get(SERVICE_LABEL) == service
        or (pattern is not None and pattern.fullmatch(service) is not None)
    )


def _from_service(route: Route, catalog: ServiceCatalog) -> Route:
    service = catalog.get(route.service)
    if service is None:
        return route  # the settings refuse a route naming a service the file lacks
    given = route.given
    taken: dict[str, Any] = {}
    if "policy" not in given:
        taken["policy"] = service.policy
    if "runbook" not in given:
        taken["runbook"] = service.runbook
    if route.action != "open" and "channel" not in given:
        taken["channel"] = service.channel
    if route.action == "page" and "urgency" not in given:
        taken["urgency"] = service.urgency
    if route.action == "page" and "group_window" not in given:
        taken["group_window"] = service.group_window
    if route.action == "page" and "support_hours" not in given:
        # Support hours delay only low-urgency alerts: none for a route that says high.
        low = taken.get("urgency", route.urgency) == "low"
        taken["support_hours"] = service.support_hours if low else None
    return replace(route, **taken)


def load_routes(path: Path) -> Routes:
    """Read and check a routes file; RouteError names the first problem found."""
    return parse_routes(read_yaml(path, RouteError))


def parse_routes(document: object) -> Routes:
    if document is None:
        return NO_ROUTES
    if not isinstance(document, dict) or set(document) - {"routes", "default"}:
        raise RouteError("expected a mapping with 'routes' (a list) and 'default'")
    raw_routes = document.get("routes") or []
    if not isinstance(raw_routes, list):
        raise RouteError("'routes' must be a list")
    routes = tuple(_route(raw, f"routes[{index}]") for index, raw in enumerate(raw_routes))
    names = [route.name for route in routes]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise RouteError(f"route names must be unique: {', '.join(duplicated)}")
    raw_default = document.get("default")
    default = DEFAULT_ROUTE
    if raw_default is not None:
        if not isinstance(raw_default, dict) or "match" in raw_default or "match_re" in raw_default:
            raise RouteError("'default' must be a route without matchers")
        default = _route({"name": "default", **raw_default}, "default")
    return Routes(routes=routes, default=default)


def _route(raw: object, where: str) -> Route:
    if not isinstance(raw, dict):
        raise RouteError(f"{where}: must be a mapping")
    if problem := unknown_keys(where, raw, sorted(_ROUTE_KEYS)):
        raise RouteError(problem)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RouteError(f"{where}: 'name' is required: lowercase letters, digits, - and _")
    matches_all = where == "default"  # the default route takes no matchers
    where = f"route {name!r}"
    action, service, channel = _where_it_goes(raw, where)
    severity, prefix, on_resolved = _incident_options(raw, where)
    policy, incident_type = _policy_and_type(raw, action, service, where)
    match = _matchers(raw.get("match"), f"{where}: match")
    if service is not None and not (match or matches_all or raw.get("match_re")):
        match = {SERVICE_LABEL: service}
    return Route(
        name=name,
        match=match,
        match_re={
            label: _pattern(pattern, f"{where}: match_re.{label}")
            for label, pattern in _matchers(raw.get("match_re"), f"{where}: match_re").items()
        },
        action=action,
        severity=str(severity).upper() if severity is not None else None,
        title=_title(raw.get("title"), where),
        policy=policy,
        channel_prefix=prefix,
        channel=channel,
        on_resolved=on_resolved,
        tracker=_tracker(raw.get("tracker"), where),
        incident_type=incident_type.lower() if incident_type else None,
        max_snooze=_duration(raw, "max_snooze", where) or DEFAULT_MAX_SNOOZE,
        runbook=_runbook(raw.get("runbook"), where),
        group_window=DEFAULT_GROUP_WINDOW
        if raw.get("group_window") is None
        else _duration(raw, "group_window", where, zero=True) or timedelta(0),
        flapping=_flapping(raw.get("flapping", {}), where),
        auto_resolve=_duration(raw, "auto_resolve", where),
        service=service,
        given=frozenset(key for key in FROM_SERVICE if key in raw),
        **_urgency(raw, action, where),
    )


def _incident_options(raw: dict[str, Any], where: str) -> tuple[Any, Any, Any]:
    """A route's ``severity``, ``channel_prefix`` and ``on_resolved``, checked."""
    severity = raw.get("severity")
    if severity is not None and str(severity).upper() not in SEVERITIES:
        raise RouteError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    prefix = raw.get("channel_prefix")
    if prefix is not None and not (isinstance(prefix, str) and _PREFIX.match(prefix)):
        raise RouteError(f"{where}: channel_prefix: lowercase letters, digits, - and _")
    on_resolved = raw.get("on_resolved", "record")
    if on_resolved not in ("record", "monitoring"):
        raise RouteError(f"{where}: on_resolved must be 'record' or 'monitoring'")
    return severity, prefix, on_resolved


def _policy_and_type(
    raw: dict[str, Any], action: object, service: object, where: str
) -> tuple[Any, Any]:
    """A route's ``policy`` (a ``page`` route's, unless its service names one) and ``type``,
    checked."""
    policy = raw.get("policy")
    if policy is not None and not isinstance(policy, str):
        raise RouteError(f"{where}: policy must be a policy's name")
    if action == "page" and not policy and service is None:
        raise RouteError(f"{where}: a 'page' route needs 'policy', the escalation policy it pages")
    incident_type = raw.get("type")
    if incident_type is not None and not (isinstance(incident_type, str) and incident_type):
        raise RouteError(f"{where}: type must be an incident type's name")
    return policy, incident_type


def _where_it_goes(raw: dict[str, Any], where: str) -> tuple[Any, Any, Any]:
    """A route's ``action``, ``service`` and ``channel``, checked together."""
    action = raw.get("action", "open")
    if action not in ("open", "post", "page"):
        raise RouteError(f"{where}: action must be 'open', 'post' or 'page'")
    service = raw.get("service")
    if service is not None and not (isinstance(service, str) and SERVICE_NAME.match(service)):
        raise RouteError(f"{where}: service must be a service's name (WARROOM_SERVICES)")
    channel = raw.get("channel")
    channel_ok = isinstance(channel, str) and CHANNEL_ID.match(channel)
    # A route naming a service may take the service's channel (checked with the settings).
    if action != "open" and not channel_ok and (channel is not None or service is None):
        raise RouteError(f"{where}: a '{action}' route needs 'channel', a channel id (C...)")
    if action == "open" and channel is not None:
        raise RouteError(f"{where}: 'channel' is for 'post' routes; use 'channel_prefix'")
    return action, service, channel


def _urgency(raw: dict[str, Any], action: str, where: str) -> dict[str, Any]:
    """A ``page`` route's ``urgency`` and ``support_hours`` (an incident is always high)."""
    urgency, hours = raw.get("urgency", "high"), raw.get("support_hours")
    if urgency not in URGENCIES:
        raise RouteError(f"{where}: urgency must be 'high' or 'low', got {urgency!r}")
    if action != "page" and ("urgency" in raw or hours is not None):
        raise RouteError(f"{where}: urgency and support_hours are for 'page' routes")
    if hours is not None and urgency != "low":
        raise RouteError(f"{where}: support_hours delay only low-urgency alerts: set urgency: low")
    try:
        support_hours = parse_support_hours(hours) if hours is not None else None
    except SupportHoursError as error:
        raise RouteError(f"{where}: {error}") from None
    return {"urgency": urgency, "support_hours": support_hours}


def _duration(
    raw: Mapping[str, object], key: str, where: str, zero: bool = False
) -> timedelta | None:
    """The route's ``key``, a duration (None when not set); 0 only where ``zero`` allows."""
    value = raw.get(key)
    if value is None:
        return None
    try:
        duration = parse_duration(value if isinstance(value, str | int | float) else repr(value))
    except ValueError as error:
        raise RouteError(f"{where}: {key}: {error}") from None
    if duration < timedelta(0) or (duration == timedelta(0) and not zero):
        raise RouteError(f"{where}: {key} must be longer than 0")
    return duration


def _flapping(raw: object, where: str) -> Flapping | None:
    if raw in (False, "off"):
        return None
    count = raw.get("count", Flapping.count) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or set(raw) - {"count", "within"} or not isinstance(count, int):
        raise RouteError(f"{where}: flapping: expected {{count: 3, within: 30m}} or off")
    if count < 1:
        raise RouteError(f"{where}: flapping: count must be 1 or more")
    within = _duration(raw, "within", f"{where}: flapping") or Flapping.within
    return Flapping(count=count, within=within)


def _runbook(raw: object, where: str) -> str | None:
    try:
        return runbook_address(raw)
    except ValueError as error:
        raise RouteError(f"{where}: {error}") from None


def _tracker(raw: object, where: str) -> TrackerTarget | None:
    if raw is None:
        return None
    try:
        return parse_target(str(raw))
    except TrackerSpecError as error:
        raise RouteError(f"{where}: tracker: {error}") from None


def _matchers(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(key, str) for key in raw):
        raise RouteError(f"{where} must map label names to values")
    if not all(isinstance(value, str | int | float | bool) for value in raw.values()):
        raise RouteError(f"{where}: values must be strings")
    return {key: str(value) for key, value in raw.items()}


def _pattern(raw: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(raw)
    except re.error as error:
        raise RouteError(f"{where}: not a regular expression: {error}") from None


def _title(raw: object, where: str) -> str:
    if raw is None:
        return DEFAULT_TITLE
    if not isinstance(raw, str) or not raw.strip():
        raise RouteError(f"{where}: title must be a template string")
    try:
        _TEMPLATES.parse(raw)
    except TemplateError as error:
        raise RouteError(f"{where}: title is not a valid template: {error}") from None
    return raw
