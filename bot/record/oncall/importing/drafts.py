"""What a vendor's account translates to: one typed ``Translation``, the same for every vendor.

How a vendor plugs in (Opsgenie, PagerDuty, Grafana OnCall, ...):

1. A client in ``bot/clients/`` (``bot.clients.opsgenie``) implements
   ``bot.clients.importing.Vendor``: its name on the command line, the variable its token
   comes from, its default API address, how the token is sent, ``read_account`` (every object
   of the account, fetched through the shared ``VendorApi``: pagination and 429s) and
   ``on_call`` (the vendor's own answer to "who is on call for schedule S at instant T", for
   ``--compare``). It is listed in ``bot.admin.importing.importing.VENDORS``.
2. ``read_account`` hands the raw objects to a pure translator in this folder
   (``bot.record.oncall.importing.opsgenie``), which returns a ``Translation``: the vendor's
   users, schedule drafts, policy drafts, overrides and a report item for every object.

A translator never matches people nor names anything: it refers to people by the vendor's user
id (``Person``), to schedules by the vendor's schedule id (``ScheduleRef``), and gives each
object the vendor's own name. The core (``bot.admin.importing.importing``) matches the users to
Slack (by email, or ``--users-map``), names schedules and policies by slugs of their names (the
vendor id appended where two collide), writes the files, the report and the overrides. A
person who matches nobody becomes ``none`` in a rotation, is left out of a level's targets and
of overrides, and is reported: never guessed.

A translator says, for every object of the account, whether it was carried exactly,
approximately (how, and what differs) or not at all (why), and what to do about it
(``ReportItem``): anything warroom has no equivalent for is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

# "not needed": nothing of it is missing in warroom (a user on no schedule, policy or override).
# One object of a vendor's answer as its JSON reads, before a translator checks its fields.
Json = Mapping[str, Any]
Carried = Literal["exact", "approximate", "not carried", "not needed"]
Overlap = Literal["last", "all"]
# The days as the schedule file writes them, Monday first.
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True)
class Person:
    """A user of the vendor's account, by the vendor's id."""

    vendor_id: str


@dataclass(frozen=True, order=True)
class ScheduleRef:
    """A schedule of the vendor's account, by the vendor's id."""

    vendor_id: str


@dataclass(frozen=True, order=True)
class VendorUser:
    """A user of the vendor's account: matched to Slack by ``email``."""

    vendor_id: str
    email: str
    name: str


@dataclass(frozen=True)
class DailyWindow:
    """``{days: [...], from: "HH:MM", to: "HH:MM"}``: on each of ``days`` (``DAYS``' words),
    from ``start`` to ``end`` local time; an end at or before the start runs into the next
    morning; ``"24:00"`` ends a day."""

    days: tuple[str, ...]
    start: str
    end: str


@dataclass(frozen=True)
class WeekSpan:
    """``{from: "fri 18:00", to: "mon 08:00"}``: a span across days (``DAYS``' words), through
    the weekend when the end comes before the start in the week."""

    start: str
    end: str


Restriction = DailyWindow | WeekSpan


@dataclass(frozen=True)
class LayerDraft:
    """A layer of the schedule file. ``name`` is unique in its schedule (overrides of one
    layer name it); ``start`` is naive wall-clock time in the layer's zone (``timezone``, else
    the schedule's); ``rotation`` is the file's word (``daily``, ``weekly``, ``monthly``,
    ``<n>d``, ``<n>h``); a member None is ``none``, a turn of nobody. A translation the
    schedule file would refuse is never written: the import stops, saying why."""

    name: str
    start: datetime
    rotation: str
    members: tuple[Person | None, ...]
    restrictions: tuple[Restriction, ...] = ()
    timezone: str | None = None


@dataclass(frozen=True)
class ScheduleDraft:
    """A vendor schedule as a schedule of the file: named by the core from ``vendor_name``."""

    vendor_id: str
    vendor_name: str
    timezone: str
    layers: tuple[LayerDraft, ...]
    overlap: Overlap = "last"


@dataclass(frozen=True)
class UsergroupTarget:
    """A Slack user group by its handle (a vendor team, say)."""

    handle: str


Target = Person | ScheduleRef | UsergroupTarget


@dataclass(frozen=True)
class LevelDraft:
    """A level of a policy: its targets, and how long before the next (None: the last)."""

    targets: tuple[Target, ...]
    timeout: timedelta | None


@dataclass(frozen=True)
class PolicyDraft:
    """A vendor escalation policy as a policy of the file; ``repeat``: how many more times the
    whole policy runs once its last level is unanswered."""

    vendor_id: str
    vendor_name: str
    levels: tuple[LevelDraft, ...]
    repeat: int = 0


@dataclass(frozen=True)
class OverrideDraft:
    """An override of the vendor's, current or future: ``person`` on call (None: nobody) for
    ``schedule`` (of its ``layer`` only, by the layer draft's name, when given), from ``start``
    to ``end`` (aware, any zone). A translation lists them in the order the vendor applies
    them: where two overlap, the later one wins (as warroom's newest override does)."""

    schedule: ScheduleRef
    person: Person | None
    start: datetime
    end: datetime
    layer: str | None = None


@dataclass(frozen=True)
class LeaveDraft:
    """A person away from ``start`` to ``end`` (aware, any zone), by the vendor's account
    (Opsgenie's forwarding rule for a vacation): kept as their leave."""

    person: Person
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReportItem:
    """One object of the vendor's account and what became of it.

    ``kind``: the vendor's word for it ("schedule", "rotation", "escalation", "team"...);
    ``carried``: exact, approximate, not carried, or not needed; ``detail``: for an
    approximate one how it was carried and what differs, for one not carried why; ``todo``:
    what to do about it (empty when nothing is to be done)."""

    kind: str
    vendor_id: str
    name: str
    carried: Carried
    detail: str = ""
    todo: str = ""


@dataclass(frozen=True)
class ServiceDraft:
    """A service of ``WARROOM_SERVICES`` (an Opsgenie team that owns an escalation, a
    PagerDuty service): its escalation policy by the vendor's policy id (None: none carried)."""

    vendor_id: str
    vendor_name: str
    description: str = ""
    policy: str | None = None
    pagerduty_service_id: str | None = None


@dataclass(frozen=True)
class HeartbeatDraft:
    """A heartbeat of ``WARROOM_HEARTBEATS``: checked in every ``interval``; its policy by the
    vendor's policy id (None: the default route's)."""

    vendor_name: str
    interval: timedelta
    policy: str | None = None


@dataclass(frozen=True)
class IntegrationDraft:
    """A sender of alerts to the vendor, to repoint at warroom: ``kind`` warroom's
    ``integrations create --kind`` (None: warroom speaks no such API), ``service`` the service
    it feeds by the vendor's id (None: none carried)."""

    vendor_id: str
    vendor_name: str
    vendor_type: str
    kind: str | None
    service: str | None


@dataclass(frozen=True)
class ContactDraft:
    """A contact method of the contacts file: its ``name`` in the person's ``contacts``,
    ``method`` (``email``, ``sms``, ``voice``) and its address or E.164 number."""

    name: str
    method: str
    address: str


@dataclass(frozen=True)
class RuleDraft:
    """A notification rule: ``after`` the page starts, the contacts (by name) notified."""

    after: timedelta
    notify: tuple[str, ...]


@dataclass(frozen=True)
class PagingDraft:
    """A person's contact methods and notification rules, high and low urgency."""

    person: Person
    contacts: tuple[ContactDraft, ...]
    rules: tuple[RuleDraft, ...]
    low_urgency_rules: tuple[RuleDraft, ...]


def paging_draft(
    user: str,
    contacts: Mapping[str, ContactDraft],
    rules: Mapping[timedelta, Sequence[str]],
    low_urgency_rules: Mapping[timedelta, Sequence[str]],
) -> PagingDraft:
    """The paging of the vendor's ``user``: their contacts (by name) and the contacts notified
    at each delay after a page starts, a rule each, earliest first."""

    def by_delay(notified: Mapping[timedelta, Sequence[str]]) -> tuple[RuleDraft, ...]:
        return tuple(RuleDraft(after, tuple(names)) for after, names in sorted(notified.items()))

    return PagingDraft(
        Person(user), tuple(contacts.values()), by_delay(rules), by_delay(low_urgency_rules)
    )


@dataclass(frozen=True)
class Translation:
    """A vendor's account, translated: what the core names, matches and writes."""

    users: tuple[VendorUser, ...]
    schedules: tuple[ScheduleDraft, ...]
    policies: tuple[PolicyDraft, ...]
    overrides: tuple[OverrideDraft, ...]
    report: tuple[ReportItem, ...]
    services: tuple[ServiceDraft, ...] = ()
    heartbeats: tuple[HeartbeatDraft, ...] = ()
    integrations: tuple[IntegrationDraft, ...] = ()
    paging: tuple[PagingDraft, ...] = ()
    leave: tuple[LeaveDraft, ...] = ()
