"""A shadow week compared (``warroom shadow compare``): per alert, whom the vendor notified
and when beside whom warroom notified, or would have (a shadowed alert's notifications are
kept as ``shadow``, ``bot/flows/paging/pages.py``), what warroom did with it, the share that
agree, and each disagreement's cause in words, found by asking warroom's own routing why.

- **Matched** by the vendor's alias (Opsgenie's ``alias``, PagerDuty's incident key) against
  the alert group's key, else by the same title within ``MATCH_WINDOW`` of each other; one
  matched to none is looked for among the alerts a maintenance window held.
- **What warroom did** with each (``Fate``): paged; computed its pages as a shadow; grouped it
  into another open alert (a route's ``group_window``); took it for a repeat of an alert
  still open under the same key (deduplicated); held it by a maintenance window; routed it
  where no policy pages; or never received it.
- **People** are the vendor's e-mail addresses matched to Slack users as the importer
  matches them (``bot.admin.importing.importing.slack_ids``), and named as the web view names them
  (the name warroom knows, else the address, else "a Slack user (U…)").
- **Agree**: the same first person notified, within ``TOLERANCE`` (the same minute) of the
  vendor's first notification; both notifying nobody agree too. warroom's notifications
  count until the vendor's alert was acknowledged or closed (then the same person would
  have acknowledged warroom's: a shadow is never acknowledged, so its policy climbs every
  level). Later people who differ are still said, as causes, under a row that agrees.
- **Causes**, each a word and a sentence: ``route`` (no alert, no policy), ``schedule``
  (the policy's schedule had another person on call then), ``override`` (an override put
  them there), ``rule`` (a person named by the policy, or a contact rule's delay),
  ``urgency`` (a low-urgency alert's rules) and ``support hours`` (it waited for them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.escalation.policies import Policies, Policy
from bot.record.oncall.engine import Override, final_shifts
from bot.record.oncall.schedules import Schedules
from bot.record.paging import pages
from bot.store.models import AlertGroup, Notification, PersonPage, SilencedAlert

MATCH_WINDOW = timedelta(minutes=5)
# "The same first person notified within the same minute": what the manual asks a shadow
# week to reach before switching (99 % over 7 days, every disagreement explained).
TOLERANCE = timedelta(minutes=1)
# Without an acknowledgement or close in the vendor's log, warroom's notifications count
# for this long after the alert began.
LONGEST_LOOK = timedelta(hours=24)
# Notifications that left, or would have (a shadow's).
REACHED = (pages.SHADOW, pages.SENT, pages.DELIVERED, pages.ANSWERED)


@dataclass(frozen=True)
class VendorAlert:
    """One alert of the vendor's log: its id, alias, title, when it began, whom it notified
    and when (each person's first, by e-mail), and when it was acknowledged or closed."""

    id: str
    alias: str
    title: str
    created_at: datetime
    notified: tuple[tuple[str, datetime], ...] = ()
    stopped_at: datetime | None = None


@dataclass(frozen=True)
class Disagreement:
    # route, schedule, override, rule, urgency, support hours, grouped, deduplicated,
    # maintenance
    cause: str
    words: str


class Fate:
    """What warroom did with a vendor's alert, as the report names it."""

    PAGED = "paged"
    SHADOW = "shadow"
    GROUPED = "grouped"
    DEDUPLICATED = "deduplicated"
    HELD = "maintenance"
    NO_PAGE = "no page"
    NOT_RECEIVED = "not received"


@dataclass
class Row:
    """One vendor alert beside warroom's."""

    vendor_id: str
    title: str
    at: str
    vendor: list[tuple[str, str]] = field(default_factory=list)  # (person, ISO time)
    warroom: list[tuple[str, str]] = field(default_factory=list)
    warroom_alert: int | None = None
    agree: bool = False
    disagreements: list[Disagreement] = field(default_factory=list)
    fate: str = Fate.NOT_RECEIVED
    fate_words: str = ""


@dataclass
class Report:
    vendor: str
    since: str
    tolerance_seconds: int
    rows: list[Row]

    @property
    def agreeing(self) -> int:
        return sum(1 for row in self.rows if row.agree)

    @property
    def share(self) -> float:
        return self.agreeing / len(self.rows) if self.rows else 1.0

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "agreeing": self.agreeing, "share": round(self.share, 4)}

    def table(self, header: Sequence[str], words: Mapping[bool, str]) -> list[str]:
        """The rows as a plain-text table under ``header`` (its six column titles), each
        column as wide as its widest cell; ``words``: what a row that agrees (True) or not
        says in the first column."""
        cells = [tuple(header)] + [
            (
                words[row.agree],
                row.at[:16].replace("T", " "),
                row.title,
                _first(row.vendor),
                _first(row.warroom),
                row.fate_words or row.fate,
            )
            for row in self.rows
        ]
        widths = [max(len(line[column]) for line in cells) for column in range(len(header))]
        return [
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in cells
        ]

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Report:
        rows = raw.get("rows")
        assert isinstance(rows, list)
        return cls(
            vendor=str(raw["vendor"]),
            since=str(raw["since"]),
            tolerance_seconds=int(str(raw["tolerance_seconds"])),
            rows=[_row(each) for each in rows],
        )


def _row(raw: dict[str, object]) -> Row:
    said = dict(raw)
    reasons = said.pop("disagreements")
    assert isinstance(reasons, list)
    row = Row(**said)  # type: ignore[arg-type]
    row.vendor = [(str(a), str(b)) for a, b in row.vendor]
    row.warroom = [(str(a), str(b)) for a, b in row.warroom]
    row.disagreements = [Disagreement(**each) for each in reasons]
    return row


@dataclass(frozen=True)
class Ours:
    """What warroom did with a vendor's alert: its alert group (None: none matched), who it
    notified (or would have), by Slack id at their first time, and that in words."""

    group: AlertGroup | None
    notified: tuple[tuple[str, datetime], ...]
    fate: str
    words: str
    cause: Disagreement | None = None  # why it notified nobody, when that is its doing


@dataclass(frozen=True)
class Routing:
    """What warroom routes by: its policies, schedules and overrides (to ask why)."""

    policies: Policies
    schedules: Schedules
    overrides: Sequence[Override]


async def warroom_alerts(session: AsyncSession, since: datetime) -> list[AlertGroup]:
    """Every alert of its own seen since ``since``, those grouped into another among them
    (they have no state of their own while joined)."""
    statement = select(AlertGroup).where(
        or_(col(AlertGroup.state).is_not(None), col(AlertGroup.joined_to).is_not(None)),
        col(AlertGroup.last_seen_at) >= since,
    )
    return list((await session.exec(statement)).all())


async def notified_between(
    session: AsyncSession, group: AlertGroup, start: datetime, end: datetime
) -> tuple[tuple[str, datetime], ...]:
    """Each person the group notified (or would have) from ``start`` to ``end``, at their
    first notification, in time order."""
    statement = (
        select(Notification.user_id, Notification.sent_at)
        .join(PersonPage, col(PersonPage.id) == col(Notification.page_id))
        .where(
            col(PersonPage.alert_group_id) == group.id,
            col(Notification.state).in_(REACHED),
            col(Notification.sent_at) >= start,
            col(Notification.sent_at) <= end,
        )
        .order_by(col(Notification.sent_at))
    )
    first: dict[str, datetime] = {}
    for user, at in (await session.exec(statement)).all():
        if at is not None:
            first.setdefault(user, at.astimezone(UTC))
    return tuple(first.items())


def match(vendor: VendorAlert, groups: Iterable[AlertGroup]) -> AlertGroup | None:
    """The warroom alert the vendor's is: by alias, else by title within the window."""
    candidates = list(groups)
    for group in candidates:
        if vendor.alias and alias_of(group) == vendor.alias:
            return group
    for group in candidates:
        began = group.triggered_at or group.first_seen_at
        if group.title == vendor.title and abs(began - vendor.created_at) <= MATCH_WINDOW:
            return group
    return None


def alias_of(group: AlertGroup) -> str:
    """The key its sender gave the group (an integration's groups are kept apart under
    ``integration:<id>/``, ``integrations.scoped``)."""
    key = group.group_key
    return key.split("/", 1)[1] if key.startswith("integration:") and "/" in key else key


async def silenced_since(session: AsyncSession, since: datetime) -> list[SilencedAlert]:
    """The alerts maintenance windows held since ``since``."""
    statement = select(SilencedAlert).where(col(SilencedAlert.silenced_at) >= since)
    return list((await session.exec(statement)).all())


async def what_warroom_did(
    session: AsyncSession,
    vendor: VendorAlert,
    groups: Sequence[AlertGroup],
    silenced: Sequence[SilencedAlert],
    earlier: dict[int, VendorAlert],
) -> Ours:
    """What warroom did with the vendor's alert; ``earlier``: the vendor's alert each warroom
    alert was last matched to, in the log's order (updated here)."""
    group = match(vendor, groups)
    if group is None:
        return _unmatched(vendor, silenced)
    before = earlier.get(group.id or 0)
    earlier[group.id or 0] = vendor
    start = vendor.created_at - MATCH_WINDOW
    if before is not None:  # not the notifications that were the earlier alert's
        start = max(start, before.created_at + TOLERANCE)
    until = vendor.stopped_at or vendor.created_at + LONGEST_LOOK
    notified = await notified_between(session, group, start, until)
    if group.joined_to is not None:
        return await _grouped(session, vendor, group, notified, until)
    if not notified and before is not None:
        words = (
            f"took it for a repeat of {before.id} (the same key, still open in warroom): "
            "it paged nobody"
        )
        return Ours(group, notified, Fate.DEDUPLICATED, words, Disagreement("deduplicated", words))
    if group.policy is None:
        words = f"routed by {group.route or 'the default route'}, which pages no policy"
        return Ours(group, notified, Fate.NO_PAGE, words, Disagreement("route", words))
    if group.shadow:
        return Ours(group, notified, Fate.SHADOW, "computed its pages as a shadow")
    return Ours(group, notified, Fate.PAGED, "paged")


async def _grouped(
    session: AsyncSession,
    vendor: VendorAlert,
    group: AlertGroup,
    own: tuple[tuple[str, datetime], ...],
    until: datetime,
) -> Ours:
    """A vendor's alert warroom grouped into another open alert: its own notifications, and
    those of the alert it joined from its arrival on (whoever acknowledged that one)."""
    joined = await session.get(AlertGroup, group.joined_to)
    shown = f"alert {joined.id} ({joined.title})" if joined is not None else "another alert"
    words = (
        f"grouped into warroom's {shown} by route {group.route}'s group window: it paged "
        "nobody of its own"
    )
    notified = dict(own)
    if joined is not None:
        for user, at in await notified_between(session, joined, vendor.created_at, until):
            notified.setdefault(user, at)
    ordered = tuple(sorted(notified.items(), key=lambda each: each[1]))
    return Ours(group, ordered, Fate.GROUPED, words, Disagreement("grouped", words))


def _unmatched(vendor: VendorAlert, silenced: Sequence[SilencedAlert]) -> Ours:
    """A vendor's alert no warroom alert matches: held by a maintenance window, or never
    received."""
    for held in silenced:
        same = held.fingerprint == vendor.alias or held.name == vendor.title
        if same and abs(held.silenced_at - vendor.created_at) <= MATCH_WINDOW:
            words = f"held by maintenance window {held.window_id}: it notified nobody"
            return Ours(None, (), Fate.HELD, words, Disagreement("maintenance", words))
    words = "warroom received no alert with this alias or title"
    return Ours(None, (), Fate.NOT_RECEIVED, words, Disagreement("route", words))


def compare_one(
    vendor: VendorAlert,
    ours: Ours,
    people: Mapping[str, str | None],
    routing: Routing,
    names: Mapping[str, str],
) -> Row:
    """One vendor alert beside warroom's; ``people``: e-mail to Slack id (None: nobody)."""
    theirs = {_who(people, email): at for email, at in vendor.notified}
    mine = dict(ours.notified)
    row = Row(
        vendor_id=vendor.id,
        title=vendor.title,
        at=_iso(vendor.created_at),
        vendor=[(_name(user, names), _iso(at)) for user, at in theirs.items()],
        warroom=[(_name(user, names), _iso(at)) for user, at in mine.items()],
        warroom_alert=ours.group.id if ours.group is not None else None,
        fate=ours.fate,
        fate_words=ours.words,
    )
    row.agree = same_first(theirs, mine)
    if ours.group is None or (ours.cause is not None and not mine):
        # What warroom did is the cause; the vendor notifying nobody either agrees.
        row.disagreements = [ours.cause] if ours.cause is not None and theirs else []
        return row
    row.disagreements = _why(vendor, ours.group, theirs, mine, routing, names)
    return row


def same_first(theirs: Mapping[str, datetime], mine: Mapping[str, datetime]) -> bool:
    """The same first person notified within ``TOLERANCE``, or nobody by both."""
    if not theirs or not mine:
        return not theirs and not mine
    their_user, their_at = min(theirs.items(), key=lambda each: each[1])
    my_user, my_at = min(mine.items(), key=lambda each: each[1])
    return their_user == my_user and abs(my_at - their_at) <= TOLERANCE


def _why(
    vendor: VendorAlert,
    group: AlertGroup,
    theirs: Mapping[str, datetime],
    mine: Mapping[str, datetime],
    routing: Routing,
    names: Mapping[str, str],
) -> list[Disagreement]:
    found: list[Disagreement] = []
    policy = routing.policies.get(group.policy or "")
    if theirs and policy is None:
        found.append(
            Disagreement("route", f"warroom's route {group.route} pages no escalation policy")
        )
        return found
    began = group.triggered_at or vendor.created_at
    for user in [u for u in mine if u not in theirs]:
        found.append(_extra(user, policy, began, routing, names))
    for user in [u for u in theirs if u not in mine]:
        found.append(_missing(user, policy, began, routing, names))
    for user in [u for u in theirs if u in mine]:
        late = mine[user] - theirs[user]
        if abs(late) > TOLERANCE:
            found.append(_timing(user, group, late, names))
    return found


def _extra(
    user: str, policy: Policy | None, at: datetime, routing: Routing, names: Mapping[str, str]
) -> Disagreement:
    """Why warroom notified ``user``, whom the vendor did not."""
    who = _name(user, names)
    for schedule, overridden in _on_call_via(user, policy, at, routing):
        if overridden:
            return Disagreement(
                "override", f"an override in warroom put {who} on call on {schedule} then"
            )
        return Disagreement("schedule", f"warroom's schedule {schedule} had {who} on call then")
    return Disagreement(
        "rule", f"warroom's escalation policy {policy.name if policy else '-'} names {who}"
    )


def _missing(
    user: str, policy: Policy | None, at: datetime, routing: Routing, names: Mapping[str, str]
) -> Disagreement:
    """Why warroom did not notify ``user``, whom the vendor did."""
    who = _name(user, names)
    if policy is None:
        return Disagreement("route", f"warroom's route pages no escalation policy, not {who}")
    for schedule, holder, overridden in _holders(policy, at, routing):
        said = _name(holder, names) if holder else "nobody"
        if overridden:
            return Disagreement(
                "override",
                f"an override in warroom put {said} on call on {schedule} then, not {who}",
            )
        return Disagreement(
            "schedule", f"warroom's schedule {schedule} had {said} on call then, not {who}"
        )
    return Disagreement(
        "rule", f"warroom's escalation policy {policy.name} does not reach {who} in time"
    )


def _timing(
    user: str, group: AlertGroup, late: timedelta, names: Mapping[str, str]
) -> Disagreement:
    who = _name(user, names)
    by = f"{_minutes(late)} {'later' if late > timedelta(0) else 'earlier'} than the vendor"
    if group.waits_until is not None:
        return Disagreement(
            "support hours",
            f"warroom waited for the route's support hours, until {_iso(group.waits_until)}: "
            f"{who} {by}",
        )
    if group.urgency == "low":
        return Disagreement("urgency", f"low urgency: {who}'s low-urgency rules notify {by}")
    return Disagreement("rule", f"{who}'s contact rules notify {by}")


def _on_call_via(
    user: str, policy: Policy | None, at: datetime, routing: Routing
) -> list[tuple[str, bool]]:
    """The schedules of the policy's first level that have ``user`` on call at ``at``, each
    with whether an override put them there."""
    return [
        (name, overridden)
        for name, holder, overridden in _holders(policy, at, routing)
        if holder == user
    ]


def _holders(
    policy: Policy | None, at: datetime, routing: Routing
) -> list[tuple[str, str | None, bool]]:
    """Each schedule its first level names: who warroom's engine had on call at ``at``, and
    whether that is an override's doing (the schedule alone names someone else)."""
    level = policy.level(1) if policy is not None else None
    found: list[tuple[str, str | None, bool]] = []
    for target in level.targets if level else ():
        schedule = routing.schedules.by_name.get(target.ref) if target.kind == "schedule" else None
        if schedule is None:
            continue
        end = at + timedelta(seconds=1)
        with_overrides = final_shifts(schedule, routing.overrides, at, end)[0].user
        alone = final_shifts(schedule, (), at, end)[0].user
        found.append((schedule.name, with_overrides, with_overrides != alone))
    return found


def instant(raw: object) -> datetime | None:
    """A vendor's ISO 8601 time (``2017-05-25T09:55:19.123Z``) in UTC; None when it is not
    one, or has no offset."""
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _first(notified: Sequence[tuple[str, str]]) -> str:
    """The first person notified and when (hh:mm:ss UTC), or "nobody"."""
    if not notified:
        return "nobody"
    who, at = min(notified, key=lambda each: each[1])
    return f"{who} {at[11:19]}"


def _who(people: Mapping[str, str | None], email: str) -> str:
    return people.get(email.lower()) or email


def _name(user: str, names: Mapping[str, str]) -> str:
    """As the web view names a person: the name warroom knows (else their address), else
    "a Slack user (U…)"; an address matched to nobody as it is."""
    if user in names:
        return names[user]
    return user if "@" in user else f"a Slack user ({user})"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _minutes(span: timedelta) -> str:
    seconds = int(abs(span).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"
