"""An Opsgenie account (its REST API's objects, as ``bot.clients.opsgenie`` reads them)
translated into warroom's schedules, policies and overrides (its teams' services, heartbeats
and integrations: ``opsgenie_services``; people's notification rules:
``opsgenie_notification_rules``; forwarding rules into leave: ``opsgenie_forwarding_rules``).

What maps exactly (Opsgenie's Schedule, Schedule Rotation, Schedule Override and Escalation
APIs, https://docs.opsgenie.com/docs/schedule-api and siblings):

- a schedule → a schedule in its ``timezone``; its rotations → layers, and since Opsgenie puts
  the participants of every active rotation on call together (a primary and a shadow),
  ``overlap: all`` where there are several;
- a rotation's ``type`` and ``length``: ``daily`` → ``daily`` / ``<n>d``, ``weekly`` →
  ``weekly`` / ``<7n>d``, ``hourly`` → ``<n>h``; its ``startDate`` → ``start`` on the
  schedule's clock; participants of type ``user`` → people, ``none`` → ``none``;
- a ``time-of-day`` restriction → a daily window on every day (across midnight when it ends at
  or before its start); ``weekday-and-time-of-day`` restrictions → spans across days;
- an override → an override of the schedule, or with ``rotations`` of each of those layers;
  its user of type ``none`` → nobody;
- an escalation's rules → levels (rules of the same delay share one), each level's timeout
  the next rule's delay less its own, ``repeat`` → ``repeat`` with the last level's timeout
  the ``waitInterval``; recipients ``user`` and ``schedule`` (notify type ``default``).

Everything else is reported: approximate (a team as a Slack user group, a rule that waits for
"not closed", a first rule with a delay, an hourly turn that divides a day in a zone with clock
changes, a rotation that ends) or not carried (participants and recipients of type
``escalation``, ``team`` or ``group`` in a rotation, an unknown zone, a disabled schedule).
Never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.record.escalation.policies import MAX_REPEAT
from bot.record.oncall.importing import opsgenie_notification_rules as notification_rules
from bot.record.oncall.importing import opsgenie_services as team_services
from bot.record.oncall.importing.drafts import (
    DAYS,
    DailyWindow,
    Json,
    LayerDraft,
    LevelDraft,
    OverrideDraft,
    PagingDraft,
    Person,
    PolicyDraft,
    ReportItem,
    Restriction,
    ScheduleDraft,
    ScheduleRef,
    Target,
    Translation,
    UsergroupTarget,
    VendorUser,
    WeekSpan,
)
from bot.record.oncall.importing.naming import slug
from bot.record.oncall.importing.opsgenie_forwarding_rules import instant, leave_of
from bot.record.oncall.zones import known_zone

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_MINUTES = {"days": 1440, "hours": 60, "minutes": 1, "seconds": 1 / 60}
_HOURS_A_DAY = 24


@dataclass(frozen=True)
class OpsgenieAccount:
    """What the client read: ``GET /v2/users`` (every page), ``/v2/teams``,
    ``/v2/schedules?expand=rotation``, each schedule's ``/overrides`` (by schedule id) and
    ``/v2/escalations``, each object as Opsgenie answered it."""

    users: Sequence[Json]
    teams: Sequence[Json]
    schedules: Sequence[Json]
    overrides: Mapping[str, Sequence[Json]]
    escalations: Sequence[Json]
    # ``GET /v2/heartbeats``' ``data.heartbeats`` and ``GET /v2/integrations``' ``data``.
    heartbeats: Sequence[Json] = ()
    integrations: Sequence[Json] = ()
    # By user id: their ``create-alert`` notification rules, whole (steps included).
    notification_rules: Mapping[str, Sequence[Json]] = field(default_factory=dict)
    # ``GET /v2/forwarding-rules``' ``data``: a vacation's forwarding, carried as leave.
    forwarding_rules: Sequence[Json] = ()


@dataclass
class _Found:
    """What the translation gathers, object by object."""

    report: list[ReportItem] = field(default_factory=list)
    # Each carried schedule's rotations: rotation id or name → layer name.
    layers: dict[str, dict[str, str]] = field(default_factory=dict)

    def say(self, kind: str, obj: Json, carried: Any, detail: str = "", todo: str = "") -> None:
        name = str(obj.get("name") or obj.get("alias") or obj.get("id") or "?")
        self.report.append(ReportItem(kind, str(obj.get("id", "")), name, carried, detail, todo))


def translate(account: OpsgenieAccount, now: datetime) -> Translation:
    """The account as warroom's drafts, and a report item for each object."""
    found = _Found()
    users = _users(account.users)
    schedules = [
        draft
        for raw in sorted(account.schedules, key=lambda s: str(s.get("id")))
        if (draft := _schedule(raw, now, found)) is not None
    ]
    overrides = [
        draft
        for schedule_id in sorted(account.overrides)
        if schedule_id in found.layers
        for raw in account.overrides[schedule_id]
        for draft in _override(schedule_id, raw, now, found)
    ]
    teams = {str(t.get("id")): t for t in account.teams}
    policies = [
        policy
        for raw in sorted(account.escalations, key=lambda e: str(e.get("id")))
        if (policy := _escalation(raw, teams, found)) is not None
    ]
    _teams(account.teams, policies, found)
    services, service_items = team_services.services(account.teams, account.escalations, policies)
    beats, beat_items = team_services.heartbeats(account.heartbeats, services)
    senders, sender_items = team_services.integrations(account.integrations, services)
    leave, leave_items = leave_of(account.forwarding_rules, now)
    paging, paging_items = _paging(account.notification_rules)
    return Translation(
        users=users,
        schedules=tuple(schedules),
        policies=tuple(policies),
        overrides=tuple(overrides),
        report=(
            *found.report,
            *service_items,
            *beat_items,
            *sender_items,
            *paging_items,
            *leave_items,
        ),
        services=tuple(services),
        heartbeats=tuple(beats),
        integrations=tuple(senders),
        paging=tuple(paging),
        leave=tuple(leave),
    )


def _users(raw: Iterable[Json]) -> tuple[VendorUser, ...]:
    """The account's users (those with an id), in order."""
    return tuple(
        sorted(
            VendorUser(str(u["id"]), str(u.get("username") or ""), str(u.get("fullName") or ""))
            for u in raw
            if u.get("id")
        )
    )


def _paging(
    rules_of: Mapping[str, Sequence[Json]],
) -> tuple[list[PagingDraft], list[ReportItem]]:
    """Each user's notification rules (by user id) as their paging, and the report's items."""
    paging, paging_items = [], []
    for user_id in sorted(rules_of):
        rules, items = notification_rules.paging(user_id, rules_of[user_id])
        paging_items += items
        if rules is not None:
            paging.append(rules)
    return paging, paging_items


# -- schedules -------------------------------------------------------------------------------
def _schedule(raw: Json, now: datetime, found: _Found) -> ScheduleDraft | None:
    zone = str(raw.get("timezone") or "")
    if not known_zone(zone):
        found.say(
            "schedule",
            raw,
            "not carried",
            f"its time zone {zone!r} is not one warroom knows (an IANA name)",
            "set an IANA zone on the schedule in Opsgenie (or write it by hand) and run the "
            "import again",
        )
        return None
    if raw.get("enabled") is False:
        found.say("schedule", raw, "not carried", "it is disabled in Opsgenie", "nothing")
        return None
    layers: list[LayerDraft] = []
    names: dict[str, str] = {}
    for number, rotation in enumerate(raw.get("rotations") or [], start=1):
        layer = _rotation(raw, rotation, number, zone, now, found, taken=set(names.values()))
        if layer is not None:
            layers.append(layer)
            for key in (rotation.get("id"), rotation.get("name")):
                if key:
                    names[str(key)] = layer.name
    if not layers:
        found.say(
            "schedule",
            raw,
            "not carried",
            "none of its rotations could be carried",
            "see its rotations in this report",
        )
        return None
    found.layers[str(raw["id"])] = names
    found.say("schedule", raw, "exact", _schedule_how(layers))
    return ScheduleDraft(
        vendor_id=str(raw["id"]),
        vendor_name=str(raw.get("name") or raw["id"]),
        timezone=zone,
        layers=tuple(layers),
        overlap="all" if len(layers) > 1 else "last",
    )


def _schedule_how(layers: Sequence[LayerDraft]) -> str:
    if len(layers) == 1:
        return "one layer"
    return f"{len(layers)} layers, overlap: all (Opsgenie's rotations are on call together)"


def _rotation(
    schedule: Json,
    raw: Json,
    number: int,
    zone: str,
    now: datetime,
    found: _Found,
    taken: set[str],
) -> LayerDraft | None:
    kind = "rotation"
    label = {**raw, "name": f"{schedule.get('name')} / {raw.get('name') or f'rotation {number}'}"}
    members, others = _participants(raw.get("participants") or [])
    if not _people_carried(label, members, others, found):
        return None
    rotation = _rotation_word(raw)
    start = instant(raw.get("startDate"))
    if rotation is None or start is None:
        found.say(
            kind,
            label,
            "not carried",
            f"Opsgenie gave a rotation warroom cannot read (type {raw.get('type')!r}, length "
            f"{raw.get('length')!r}, startDate {raw.get('startDate')!r})",
            "write the layer by hand",
        )
        return None
    end = instant(raw.get("endDate"))
    if end is not None and end <= now:
        found.say(kind, label, "not needed", f"it ended on {end:%Y-%m-%d %H:%M} UTC")
        return None
    restrictions, lost = _restrictions(raw.get("timeRestriction"))
    notes = _rotation_notes(rotation, zone, end, lost)
    name = _layer_name(raw, number, taken)
    found.say(
        kind,
        label,
        "approximate" if notes else "exact",
        "; ".join(notes) if notes else f"layer {name!r}: {rotation}",
        "check the layer in schedules.yaml" if notes else "",
    )
    return LayerDraft(
        name=name,
        start=start.astimezone(ZoneInfo(zone)).replace(tzinfo=None),
        rotation=rotation,
        members=tuple(members),
        restrictions=restrictions,
    )


def _people_carried(
    label: Json, members: list[Person | None], others: list[str], found: _Found
) -> bool:
    """Whether a rotation's participants can be a layer's: people (or nobody), one at
    least; the report says why not."""
    if others:
        found.say(
            "rotation",
            label,
            "not carried",
            f"participants warroom's rotations cannot hold: {', '.join(others)} (a layer "
            "names people, or none)",
            "write the people they stand for into a layer by hand",
        )
        return False
    if not any(member is not None for member in members):
        found.say("rotation", label, "not carried", "it has no user participant", "nothing")
        return False
    return True


def _participants(raw: Iterable[Json]) -> tuple[list[Person | None], list[str]]:
    """The members (None: ``none``), and the participants that are neither, said."""
    members: list[Person | None] = []
    others: list[str] = []
    for participant in raw:
        kind = participant.get("type")
        if kind == "user" and participant.get("id"):
            members.append(Person(str(participant["id"])))
        elif kind == "none":
            members.append(None)
        else:
            others.append(f"{kind} {participant.get('name') or participant.get('id')!r}")
    return members, others


def _rotation_word(raw: Json) -> str | None:
    length = raw.get("length", 1)
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        return None
    kind = raw.get("type")
    if kind == "daily":
        return "daily" if length == 1 else f"{length}d"
    if kind == "weekly":
        return "weekly" if length == 1 else f"{7 * length}d"
    if kind == "hourly":
        return f"{length}h"
    return None


def _rotation_notes(rotation: str, zone: str, end: datetime | None, lost: list[str]) -> list[str]:
    notes = list(lost)
    if rotation.endswith("h") and _HOURS_A_DAY % int(rotation[:-1]) == 0 and _changes_clocks(zone):
        notes.append(
            f"{rotation} turns hand over on the wall clock in warroom (the same hours all "
            f"year); across {zone}'s clock changes Opsgenie's may fall an hour apart"
        )
    if end is not None:
        notes.append(
            f"it ends on {end:%Y-%m-%d %H:%M} UTC in Opsgenie; warroom's layer does not end: "
            "take it out of schedules.yaml then"
        )
    return notes


def _changes_clocks(zone: str) -> bool:
    clock = ZoneInfo(zone)
    offsets = {
        datetime(2026, month, 1, tzinfo=UTC).astimezone(clock).utcoffset() for month in (1, 7)
    }
    return len(offsets) > 1


def _layer_name(raw: Json, number: int, taken: set[str]) -> str:
    name = slug(str(raw.get("name") or ""), f"rotation-{number}")
    return name if name not in taken else f"{name}-{number}"


def _restrictions(raw: Any) -> tuple[tuple[Restriction, ...], list[str]]:
    """The windows, and what could not be carried of them, said."""
    if not isinstance(raw, Mapping):
        return (), []
    kind = raw.get("type")
    if kind == "time-of-day":
        window = raw.get("restriction") or {}
        start, end = _clock(window, "start"), _clock(window, "end")
        if start is None or end is None or start == end:
            return (), [f"its time-of-day restriction {dict(window)} was left out"]
        return (DailyWindow(DAYS, start, end),), []
    if kind == "weekday-and-time-of-day":
        spans: list[WeekSpan] = []
        lost = []
        for each in raw.get("restrictions") or []:
            span = _span(each)
            if span is None:
                lost.append(f"its restriction {dict(each)} was left out")
            else:
                spans.append(span)
        return _daily_where_possible(spans), lost
    return (), [f"its restriction of type {kind!r} was left out"]


def _daily_where_possible(spans: Sequence[WeekSpan]) -> tuple[Restriction, ...]:
    """Spans that start and end on the same day, at the same times, as one daily window of
    those days (the Opsgenie UI's "weekdays 08:00-18:00" is five such spans); the rest as they
    are. The same instants either way."""
    same_day: dict[tuple[str, str], list[str]] = {}
    others: list[Restriction] = []
    for span in spans:
        (first, start), (last, end) = span.start.split(), span.end.split()
        if first == last and start < end:
            same_day.setdefault((start, end), []).append(first)
        else:
            others.append(span)
    windows = [DailyWindow(tuple(days), start, end) for (start, end), days in same_day.items()]
    return (*windows, *others)


def _span(raw: Json) -> WeekSpan | None:
    start, end = _clock(raw, "start"), _clock(raw, "end")
    first, last = raw.get("startDay"), raw.get("endDay")
    if start is None or end is None or first not in _DAY_NAMES or last not in _DAY_NAMES:
        return None
    if (first, start) == (last, end):
        return None
    return WeekSpan(f"{first[:3]} {start}", f"{last[:3]} {end}")


def _clock(raw: Json, prefix: str) -> str | None:
    hour, minute = raw.get(f"{prefix}Hour", 0), raw.get(f"{prefix}Min", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (hour, minute)):
        return None
    if not (0 <= hour <= _HOURS_A_DAY and 0 <= minute < 60) or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


# -- overrides -------------------------------------------------------------------------------
def _override(schedule_id: str, raw: Json, now: datetime, found: _Found) -> list[OverrideDraft]:
    start, end = instant(raw.get("startDate")), instant(raw.get("endDate"))
    label = {"id": raw.get("alias") or "", "name": _override_name(schedule_id, raw)}
    if start is None or end is None or end <= start:
        found.say("override", label, "not carried", "its start and end cannot be read", "")
        return []
    if end <= now:
        return []  # over: not imported, nothing to say
    user = raw.get("user") or {}
    if user.get("type") not in ("user", "none") or (
        user.get("type") == "user" and not user.get("id")
    ):
        found.say(
            "override",
            label,
            "not carried",
            f"it puts a {user.get('type')!r} on call; warroom's overrides name a person or nobody",
            "make it with /oncall override once the schedule is in place",
        )
        return []
    person = Person(str(user["id"])) if user.get("type") == "user" else None
    layers = found.layers[schedule_id]
    rotations = [str(r.get("id") or r.get("name")) for r in raw.get("rotations") or []]
    missing = [r for r in rotations if r not in layers]
    if missing:
        found.say(
            "override",
            label,
            "not carried",
            f"it overrides rotations that were not carried: {', '.join(missing)}",
            "make it with /oncall override --layer once the schedule is in place",
        )
        return []
    whose = f"of layer(s) {', '.join(layers[r] for r in rotations)}" if rotations else ""
    found.say("override", label, "exact", whose or "of the whole schedule")
    ref = ScheduleRef(schedule_id)
    if not rotations:
        return [OverrideDraft(ref, person, start, end)]
    return [OverrideDraft(ref, person, start, end, layers[r]) for r in rotations]


def _override_name(schedule_id: str, raw: Json) -> str:
    parent = (raw.get("_parent") or {}).get("name") or schedule_id
    return f"{parent}: {raw.get('startDate')} to {raw.get('endDate')}"


# -- escalations -----------------------------------------------------------------------------
def _escalation(raw: Json, teams: Mapping[str, Json], found: _Found) -> PolicyDraft | None:
    if not raw.get("id"):
        return None
    notes: list[str] = []
    rules = [
        (minutes, rule) for rule in raw.get("rules") or [] if (minutes := _delay(rule)) is not None
    ]
    rules.sort(key=lambda pair: pair[0])
    delays = sorted({minutes for minutes, _ in rules})
    if not delays:
        found.say("escalation", raw, "not carried", "it has no rule warroom can read", "")
        return None
    if delays[0] > 0:
        notes.append(
            f"its first rule waits {delays[0]:g} minutes in Opsgenie; warroom brings in level 1 "
            "at once"
        )
    repeat, wait = _repeat(raw.get("repeat"), notes)
    levels = []
    for index, delay in enumerate(delays):
        targets = [
            target
            for minutes, rule in rules
            if minutes == delay
            for target in _recipient(rule, teams, notes)
        ]
        after = delays[index + 1] - delay if index + 1 < len(delays) else wait
        timeout = timedelta(minutes=after) if after else None
        levels.append(LevelDraft(tuple(targets), timeout))
    conditions = {rule.get("condition") for _, rule in rules}
    if "if-not-closed" in conditions:
        notes.append(
            'a rule fires "if not closed" in Opsgenie; warroom\'s levels fire while nobody '
            "has acknowledged"
        )
    found.say(
        "escalation",
        raw,
        "approximate" if notes else "exact",
        "; ".join(notes) if notes else f"{len(levels)} level(s)",
        "check the policy in policies.yaml" if notes else "",
    )
    return PolicyDraft(str(raw["id"]), str(raw.get("name") or raw["id"]), tuple(levels), repeat)


def _delay(rule: Json) -> float | None:
    delay = rule.get("delay") or {}
    amount, unit = delay.get("timeAmount", 0), delay.get("timeUnit", "minutes")
    if isinstance(amount, bool) or not isinstance(amount, int) or unit not in _UNIT_MINUTES:
        return None
    return amount * _UNIT_MINUTES[unit]


def _repeat(raw: Any, notes: list[str]) -> tuple[int, float]:
    """How many more times the policy runs, and the wait after its last rule."""
    if not isinstance(raw, Mapping):
        return 0, 0
    count, wait = raw.get("count") or 0, raw.get("waitInterval") or 0
    if not isinstance(count, int) or not isinstance(wait, int) or count < 1 or wait < 1:
        return 0, 0
    if count > MAX_REPEAT:
        notes.append(f"it repeats {count} times in Opsgenie; warroom repeats {MAX_REPEAT} at most")
    if raw.get("closeAlertAfterAll"):
        notes.append("Opsgenie closes the alert after the last repeat; warroom leaves it open")
    return min(count, MAX_REPEAT), float(wait)


def _recipient(rule: Json, teams: Mapping[str, Json], notes: list[str]) -> list[Target]:
    recipient = rule.get("recipient") or {}
    kind, notify = recipient.get("type"), rule.get("notifyType", "default")
    ident = str(recipient.get("id") or "")
    what = f"{kind} {recipient.get('name') or recipient.get('username') or ident!r}"
    if kind == "user" and ident:
        return [Person(ident)]
    if kind == "schedule" and ident and notify == "default":
        return [ScheduleRef(ident)]
    if kind == "team" and ident:
        team = teams.get(ident) or recipient
        handle = slug(str(team.get("name") or ident), "team")
        notes.append(
            f"the team {team.get('name') or ident!r} is the Slack user group @{handle}: create "
            "it with the team's members"
        )
        return [UsergroupTarget(handle)]
    notes.append(f"the recipient {what} (notify {notify}) has no warroom equivalent: left out")
    return []


def _teams(raw: Sequence[Json], policies: Sequence[PolicyDraft], found: _Found) -> None:
    handles = {
        target.handle
        for policy in policies
        for level in policy.levels
        for target in level.targets
        if isinstance(target, UsergroupTarget)
    }
    for team in sorted(raw, key=lambda t: str(t.get("id"))):
        handle = slug(str(team.get("name") or team.get("id")), "team")
        if handle in handles:
            found.say(
                "team",
                team,
                "approximate",
                f"an escalation names it: the Slack user group @{handle} stands for it",
                f"create the Slack user group @{handle} with the team's members",
            )
        else:
            found.say("team", team, "not needed", "warroom keeps no teams; no escalation names it")
