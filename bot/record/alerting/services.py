"""Services: what a team runs, who owns it, and how its alerts page (``WARROOM_SERVICES``).

Operators write them in YAML (or import them from Backstage, ``warroom services
import-backstage``)::

    services:
      - name: checkout
        description: The shop's checkout        # optional
        owners:                                 # people, a user group, an on-call schedule
          - usergroup: payments-team
          - user: U024BE7LH
        policy: payments                        # the escalation policy its alerts page
        urgency: low                            # high (the default) or low
        support_hours: {zone: Europe/Paris, days: mon-fri, start: "09:00", end: "18:00"}
        runbook: https://wiki.example.com/checkout
        group_window: 2m                        # opt-in grouping of its alerts (default 0)
        channel: C0123456789                    # where its alerts' messages go
        depends_on: [payments-api]              # other services of this file
        system: shop                            # Backstage's spec.system, kept as said
        pagerduty_service_id: PABC123           # the vendors' ids, kept for the import
        opsgenie_component_selector: checkout
        repositories: [acme/checkout]           # GitHub repositories: their changes are its
        shadow: true                            # a shadow week: paged on paper only
        phone: {number: "+15005550006", ring: 20s}  # a Twilio number that rings its on-call

A route naming ``service: checkout`` takes the service's policy, channel, urgency, support
hours, runbook and grouping window where it sets none itself (``Routes.with_services``).
Parsing checks what the file alone says (names, shapes, dependencies); whether its policies
and schedules exist is checked with the settings (``bot/config/settings.py``), where those
files are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import CHANNEL_ID, USER_ID
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.alerting.support_hours import SupportHours, SupportHoursError, parse_support_hours

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
OwnerKind = Literal["user", "usergroup", "schedule"]
KEYS = (
    "name",
    "description",
    "owners",
    "policy",
    "urgency",
    "support_hours",
    "runbook",
    "group_window",
    "channel",
    "depends_on",
    "system",
    "pagerduty_service_id",
    "opsgenie_component_selector",
    "repositories",
    "shadow",
    "phone",
)
PHONE_KEYS = ("number", "ring")
# ITU-T E.164, as the contacts file checks a number.
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# How long each person's phone rings before the next is tried (Twilio's <Dial> timeout, 5 to
# 600 seconds; 20 s leaves a voicemail of one's own out of it).
RING_DEFAULT = timedelta(seconds=20)
RING_LIMITS = (timedelta(seconds=5), timedelta(seconds=600))
# A GitHub repository as its webhooks name it: ``owner/name``.
REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
# The label an alert names its service by; a route may name one instead.
LABEL = "service"


class ServiceError(ValueError):
    """The services file is wrong; ``problems`` names each thing wrong, with its service."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Owner:
    """Who owns a service: a Slack user, a user group (handle or S... id), or whoever an
    on-call schedule names."""

    kind: OwnerKind
    ref: str


@dataclass(frozen=True)
class ServicePhone:
    """A phone number of the service's (live call routing): a call to it rings whoever is on
    call for the service's policy, level after level, each for ``ring``."""

    number: str
    ring: timedelta = RING_DEFAULT

    def __repr__(self) -> str:  # numbers stay out of logs and tracebacks
        return f"ServicePhone(ring={self.ring!r})"


@dataclass(frozen=True)
class Service:
    """One service as the file declares it."""

    name: str
    description: str = ""
    owners: tuple[Owner, ...] = ()
    policy: str | None = None
    urgency: Literal["high", "low"] = "high"
    support_hours: SupportHours | None = None
    runbook: str | None = None
    # How long after one of its alerts triggers its next ones (of the same sender) join it;
    # 0, the default: never, each is an alert of its own (``grouping``).
    group_window: timedelta = timedelta(0)
    channel: str | None = None
    depends_on: tuple[str, ...] = ()
    system: str | None = None
    pagerduty_service_id: str | None = None
    opsgenie_component_selector: str | None = None
    repositories: tuple[str, ...] = ()
    # A shadow week: its alerts' pages are kept as who would have been notified, nobody is.
    shadow: bool = False
    # Live call routing: its number, when it has one.
    phone: ServicePhone | None = None


@dataclass(frozen=True)
class ServiceCatalog:
    """Every service of the file, by name, in the file's order."""

    by_name: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str | None) -> Service | None:
        return self.by_name.get((name or "").lower())

    def depended_on_by(self, name: str) -> list[str]:
        """The services that name ``name`` in their ``depends_on``."""
        return [each.name for each in self.by_name.values() if name in each.depends_on]

    def of_repository(self, repository: str) -> Service | None:
        """The service that lists ``repository`` (``owner/name``, any case), if one does."""
        wanted = repository.lower()
        for each in self.by_name.values():
            if wanted in (listed.lower() for listed in each.repositories):
                return each
        return None

    def of_phone(self, number: str) -> Service | None:
        """The service whose phone number ``number`` is, if one's is."""
        for each in self.by_name.values():
            if each.phone is not None and each.phone.number == number:
                return each
        return None

    def policy_names(self) -> set[str]:
        return {each.policy for each in self.by_name.values() if each.policy}

    def schedule_owners(self) -> list[tuple[str, str]]:
        """Every ``schedule:`` owner, as (service, schedule)."""
        return [
            (each.name, owner.ref)
            for each in self.by_name.values()
            for owner in each.owners
            if owner.kind == "schedule"
        ]


NO_SERVICES = ServiceCatalog()


def load_services(path: Path) -> ServiceCatalog:
    """Read and check a services file; ServiceError names every problem found."""
    return parse_services(read_yaml(path, ServiceError))


def parse_services(document: object) -> ServiceCatalog:
    if document is None:
        return NO_SERVICES
    if not isinstance(document, dict) or set(document) != {"services"}:
        raise ServiceError("expected a mapping with 'services' (a list) and nothing else")
    raw = document["services"] or []
    if not isinstance(raw, list):
        raise ServiceError("'services' must be a list")
    problems: list[str] = []
    found: dict[str, Service] = {}
    for index, body in enumerate(raw):
        try:
            service = _service(body, f"services[{index}]")
        except ServiceError as error:
            problems.extend(error.problems)
            continue
        if service.name in found:
            problems.append(f"service {service.name!r}: named twice")
        found[service.name] = service
    for service in found.values():
        problems.extend(
            f"service {service.name!r}: depends_on: no service named {other!r}"
            for other in service.depends_on
            if other not in found
        )
    owners: dict[str, str] = {}
    for service in found.values():
        for repository in service.repositories:
            first = owners.setdefault(repository.lower(), service.name)
            if first != service.name:
                problems.append(
                    f"service {service.name!r}: repositories: {repository} is {first!r}'s already"
                )
    problems.extend(_phones_taken(found))
    if problems:
        raise ServiceError(*problems)
    return ServiceCatalog(MappingProxyType(found))


def _service(raw: object, where: str) -> Service:
    if not isinstance(raw, dict):
        raise ServiceError(f"{where}: must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ServiceError(f"{where}: 'name' is required: lowercase letters, digits, - and _")
    where = f"service {name!r}"
    if problem := unknown_keys(where, raw, KEYS):
        raise ServiceError(problem)
    shadow = raw.get("shadow", False)
    if not isinstance(shadow, bool):
        raise ServiceError(f"{where}: shadow must be true or false")
    urgency = raw.get("urgency", "high")
    if urgency not in ("high", "low"):
        raise ServiceError(f"{where}: urgency must be 'high' or 'low', got {urgency!r}")
    channel = raw.get("channel")
    if channel is not None and not (isinstance(channel, str) and CHANNEL_ID.match(channel)):
        raise ServiceError(f"{where}: channel must be a channel id (C...)")
    policy = raw.get("policy")
    if policy is not None and not (isinstance(policy, str) and NAME.match(policy.lower())):
        raise ServiceError(f"{where}: policy must be an escalation policy's name")
    return Service(
        name=name,
        description=_text(raw, "description", where) or "",
        owners=tuple(_owner(owner, where) for owner in _list(raw, "owners", where)),
        policy=policy.lower() if policy else None,
        urgency=urgency,
        support_hours=_hours(raw.get("support_hours"), urgency, where),
        runbook=_runbook(raw.get("runbook"), where),
        group_window=_window(raw.get("group_window", 0), where),
        channel=channel,
        depends_on=tuple(_dependency(each, where) for each in _list(raw, "depends_on", where)),
        system=_text(raw, "system", where),
        pagerduty_service_id=_text(raw, "pagerduty_service_id", where),
        opsgenie_component_selector=_text(raw, "opsgenie_component_selector", where),
        repositories=tuple(_repository(each, where) for each in _list(raw, "repositories", where)),
        shadow=shadow,
        phone=_phone(raw.get("phone"), where),
    )


def _phone(raw: object, where: str) -> ServicePhone | None:
    """``phone: {number: "+1…", ring: 20s}`` (or the number alone); the number is never
    quoted back in a problem (numbers stay out of errors and logs)."""
    if raw is None:
        return None
    body = {"number": raw} if isinstance(raw, str) else raw
    if not isinstance(body, dict):
        raise ServiceError(f"{where}: phone must be a number or a mapping with number and ring")
    if problem := unknown_keys(f"{where}: phone", body, PHONE_KEYS):
        raise ServiceError(problem)
    number = body.get("number")
    if not isinstance(number, str) or not E164.match(number):
        raise ServiceError(f"{where}: phone: number must be in E.164, like +15005550006")
    ring = body.get("ring", RING_DEFAULT)
    try:
        ring = ring if isinstance(ring, timedelta) else parse_duration(str(ring))
    except ValueError as error:
        raise ServiceError(f"{where}: phone: ring: {error}") from None
    low, high = RING_LIMITS
    if not low <= ring <= high:
        raise ServiceError(f"{where}: phone: ring must be between 5s and 10m")
    return ServicePhone(number=number, ring=ring)


def _phones_taken(found: Mapping[str, Service]) -> list[str]:
    """A number two services give: each call to it could be only one's."""
    first: dict[str, str] = {}
    problems = []
    for service in found.values():
        if service.phone is None:
            continue
        owner = first.setdefault(service.phone.number, service.name)
        if owner != service.name:
            problems.append(f"service {service.name!r}: phone: the number is {owner}'s already")
    return problems


def _window(raw: object, where: str) -> timedelta:
    try:
        return parse_duration(raw if isinstance(raw, str | int | float) else repr(raw))
    except ValueError as error:
        raise ServiceError(f"{where}: group_window: {error}") from None


def _list(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ServiceError(f"{where}: {key} must be a list")
    return value


def _text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise ServiceError(f"{where}: {key} must be text")
    return str(value).strip()


def _owner(raw: object, where: str) -> Owner:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ServiceError(f"{where}: each owner is one of user:, usergroup: or schedule:")
    ((kind, value),) = raw.items()
    text = value.strip() if isinstance(value, str) else ""
    if kind == "user":
        if not USER_ID.match(text):
            raise ServiceError(f"{where}: owner {value!r} is not a Slack user id like U024BE7LH")
        return Owner("user", text)
    if kind == "usergroup":
        if not text.lstrip("@"):
            raise ServiceError(f"{where}: usergroup must be a handle like payments-team")
        return Owner("usergroup", text.lstrip("@"))
    if kind == "schedule":
        if not NAME.match(text.lower()):
            raise ServiceError(f"{where}: schedule must name an on-call schedule")
        return Owner("schedule", text.lower())
    raise ServiceError(f"{where}: unknown owner kind {kind!r} (user, usergroup or schedule)")


def _repository(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not REPOSITORY.match(raw):
        raise ServiceError(f"{where}: repositories: {raw!r} is not a GitHub owner/name")
    return raw


def _dependency(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not NAME.match(raw):
        raise ServiceError(f"{where}: depends_on: {raw!r} is not a service's name")
    return raw


def _hours(raw: object, urgency: str, where: str) -> SupportHours | None:
    if raw is None:
        return None
    if urgency != "low":
        raise ServiceError(
            f"{where}: support_hours delay only low-urgency alerts: set urgency: low"
        )
    try:
        return parse_support_hours(raw)
    except SupportHoursError as error:
        raise ServiceError(f"{where}: {error}") from None


def runbook_address(raw: object) -> str | None:
    """A runbook's address (a service's or a route's); ValueError when it is not http(s)."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.startswith(("https://", "http://")):
        raise ValueError("runbook must be an http(s) address")
    return raw


def _runbook(raw: object, where: str) -> str | None:
    try:
        return runbook_address(raw)
    except ValueError as error:
        raise ServiceError(f"{where}: {error}") from None
