"""A vendor's translated account, its people matched: the two files' documents, the overrides
to keep, and the report's items, all in one order whatever order the vendor answered in.

A person no Slack user matches is never guessed: their turns become ``none`` (gaps), they are
left out of a level's targets and of overrides, and the report says so, object by object. A
layer left with nobody, a schedule left with no layer, a level left with no target and a
policy left with no level are left out, each reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from bot.basics.durations import duration_text
from bot.record.oncall.importing.drafts import (
    DAYS,
    DailyWindow,
    LayerDraft,
    LeaveDraft,
    LevelDraft,
    OverrideDraft,
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
)
from bot.record.oncall.importing.extras import ImportedIntegration, carry_extras
from bot.record.oncall.importing.naming import unique_names

# Vendor user id → Slack user id; None: no Slack user matched them.
People = Mapping[str, str | None]
NONE = "none"
# The report's order: what needs doing first.
CARRIED_ORDER = ("not carried", "approximate", "exact", "not needed")


@dataclass(frozen=True, order=True)
class ImportedOverride:
    """An override to keep, in the file's names and Slack's ids (``user`` None: nobody);
    times in UTC."""

    schedule: str
    start: datetime
    end: datetime
    user: str | None
    layer: str | None = None


@dataclass(frozen=True, order=True)
class ImportedLeave:
    """Leave to keep: a Slack user away from ``start`` to ``end`` (UTC)."""

    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Carried:
    """What an import writes: the schedule file's and the policy file's documents, the
    overrides, the report's items (sorted), and each vendor schedule's name in the file."""

    schedules: dict[str, Any]
    policies: dict[str, Any]
    overrides: tuple[ImportedOverride, ...]
    report: tuple[ReportItem, ...]
    schedule_names: Mapping[str, str]
    # services.yaml's and heartbeats.yaml's documents (empty: none), the senders to repoint.
    services: dict[str, Any] = field(default_factory=dict)
    heartbeats: dict[str, Any] = field(default_factory=dict)
    integrations: tuple[ImportedIntegration, ...] = ()
    # contacts.yaml's document: people's contact methods and notification rules.
    contacts: dict[str, Any] = field(default_factory=dict)
    # People's leave (Opsgenie's forwarding rules), kept in the database as the overrides are.
    leave: tuple[ImportedLeave, ...] = ()

    @property
    def all_exact(self) -> bool:
        """Whether everything was carried exactly (or needed nothing)."""
        return all(item.carried in ("exact", "not needed") for item in self.report)


def carry(translation: Translation, people: People) -> Carried:
    """The files, overrides and report ``translation`` comes to with ``people`` matched."""
    notes: list[ReportItem] = []
    users = {user.vendor_id: user for user in translation.users}
    names = unique_names(((s.vendor_id, s.vendor_name) for s in translation.schedules), "schedule")
    schedules: dict[str, Any] = {}
    carried_layers: dict[str, set[str]] = {}
    for draft in sorted(translation.schedules, key=lambda s: names[s.vendor_id]):
        body = _schedule(draft, people, users, notes)
        if body is not None:
            schedules[names[draft.vendor_id]] = body
            carried_layers[draft.vendor_id] = {layer["name"] for layer in body["layers"]}
    carried_names = {vid: name for vid, name in names.items() if vid in carried_layers}
    policy_names = unique_names(
        ((p.vendor_id, p.vendor_name) for p in translation.policies),
        "policy",
        taken=names.values(),
    )
    policies: dict[str, Any] = {}
    carried_policies: dict[str, str] = {}
    for policy in sorted(translation.policies, key=lambda p: policy_names[p.vendor_id]):
        body = _policy(policy, people, carried_names, notes)
        if body is not None:
            policies[policy_names[policy.vendor_id]] = body
            carried_policies[policy.vendor_id] = policy_names[policy.vendor_id]
    extras = carry_extras(translation, carried_policies, people)
    # In the translation's order: where two overlap, the later wins (kept newer).
    overrides = [
        found
        for draft in translation.overrides
        if (found := _override(draft, people, carried_names, carried_layers, notes)) is not None
    ]
    leave = [one for draft in translation.leave if (one := _leave(draft, people, notes))]
    notes += _user_items(translation, people)
    return Carried(
        schedules={"schedules": schedules},
        policies={"policies": policies},
        overrides=tuple(overrides),
        report=tuple(sorted([*translation.report, *notes, *extras.report], key=_report_order)),
        schedule_names=carried_names,
        services=extras.services,
        heartbeats=extras.heartbeats,
        integrations=extras.integrations,
        contacts=extras.contacts,
        leave=tuple(leave),
    )


def _report_order(item: ReportItem) -> tuple[int, str, str, str, str]:
    return (CARRIED_ORDER.index(item.carried), item.kind, item.name, item.vendor_id, item.detail)


# -- schedules -------------------------------------------------------------------------------
def _schedule(
    draft: ScheduleDraft,
    people: People,
    users: Mapping[str, VendorUser],
    notes: list[ReportItem],
) -> dict[str, Any] | None:
    layers = []
    for layer in draft.layers:
        members = [_member(member, people) for member in layer.members]
        unmatched = {m for m in layer.members if m is not None and not people.get(m.vendor_id)}
        kept = any(member != NONE for member in members)
        if unmatched:
            missing = sorted(_named(person, users) for person in unmatched)
            notes.append(_unmatched_in_layer(draft, layer, missing, kept))
        if kept:
            layers.append(_layer(layer, members))
    if not layers:
        notes.append(
            ReportItem(
                "schedule",
                draft.vendor_id,
                draft.vendor_name,
                "not carried",
                "none of its layers has a person matched to Slack",
                "match its people (--users-map) and run the import again",
            )
        )
        return None
    body: dict[str, Any] = {"timezone": draft.timezone}
    if draft.overlap != "last":
        body["overlap"] = draft.overlap
    body["layers"] = layers
    return body


def _member(member: Person | None, people: People) -> str:
    if member is None:
        return NONE
    return people.get(member.vendor_id) or NONE


def _named(person: Person, users: Mapping[str, VendorUser]) -> str:
    user = users.get(person.vendor_id)
    return f"{user.name} <{user.email}>" if user else person.vendor_id


def _unmatched_in_layer(
    draft: ScheduleDraft, layer: LayerDraft, missing: list[str], kept: bool
) -> ReportItem:
    what = (
        "their turns are none (gaps) in the layer"
        if kept
        else "the layer is left out: nobody in it is matched"
    )
    return ReportItem(
        "schedule",
        draft.vendor_id,
        f"{draft.vendor_name} / {layer.name}",
        "approximate",
        f"no Slack user matched {', '.join(missing)}: {what}",
        "add them to --users-map (email,slack_user_id) and run the import again",
    )


def _layer(layer: LayerDraft, members: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": layer.name}
    if layer.timezone:
        body["timezone"] = layer.timezone
    body["start"] = f"{layer.start:%Y-%m-%d %H:%M}"
    body["rotation"] = layer.rotation
    body["members"] = members
    if layer.restrictions:
        body["restrictions"] = [_restriction(r) for r in sorted(layer.restrictions, key=_key)]
    return body


def _key(restriction: Restriction) -> tuple[int, int, str, str]:
    """Daily windows first, by their first day and times; then spans, by where they start in
    the week."""
    if isinstance(restriction, DailyWindow):
        first = min((DAYS.index(day) for day in restriction.days), default=0)
        return (0, first, restriction.start, restriction.end)
    day, _, clock = restriction.start.partition(" ")
    return (1, DAYS.index(day) if day in DAYS else len(DAYS), clock, restriction.end)


def _restriction(restriction: Restriction) -> _Flow:
    if isinstance(restriction, DailyWindow):
        days = sorted(set(restriction.days), key=DAYS.index)
        return _Flow(days=days, **{"from": restriction.start, "to": restriction.end})
    return _Flow(**{"from": restriction.start, "to": restriction.end})


# -- policies --------------------------------------------------------------------------------
def _policy(
    draft: PolicyDraft, people: People, schedules: Mapping[str, str], notes: list[ReportItem]
) -> dict[str, Any] | None:
    levels: list[dict[str, Any]] = []
    for number, level in enumerate(draft.levels, start=1):
        targets, lost = _targets(level, people, schedules)
        if lost:
            notes.append(
                ReportItem(
                    "escalation policy",
                    draft.vendor_id,
                    f"{draft.vendor_name} / level {number}",
                    "approximate",
                    f"left out of the level: {', '.join(lost)}",
                    "match them (--users-map) and run the import again, or add targets by hand",
                )
            )
        if targets:
            levels.append(_level(level, targets))
        elif levels and level.timeout is not None:
            # The level's wait still counts: it is added to the level before.
            levels[-1]["wait"] = levels[-1].get("wait", timedelta(0)) + level.timeout
    if not levels:
        notes.append(
            ReportItem(
                "escalation policy",
                draft.vendor_id,
                draft.vendor_name,
                "not carried",
                "none of its levels has a target warroom can reach",
                "write the policy by hand, or match its people and run the import again",
            )
        )
        return None
    body: dict[str, Any] = {"levels": [_level_body(level) for level in levels]}
    if draft.repeat and levels[-1].get("timeout"):
        body["repeat"] = draft.repeat
    return body


def _targets(
    level: LevelDraft, people: People, schedules: Mapping[str, str]
) -> tuple[list[dict[str, str]], list[str]]:
    targets, lost = [], []
    for target in level.targets:
        found = _target(target, people, schedules)
        if isinstance(found, str):
            lost.append(found)
        else:
            targets.append(found)
    unique = {tuple(t.items()): t for t in targets}
    return [unique[key] for key in sorted(unique)], lost


def _target(target: Target, people: People, schedules: Mapping[str, str]) -> dict[str, str] | str:
    """The file's target, or the words for one that could not be carried."""
    if isinstance(target, Person):
        user = people.get(target.vendor_id)
        return {"user": user} if user else f"user {target.vendor_id} (not matched to Slack)"
    if isinstance(target, ScheduleRef):
        name = schedules.get(target.vendor_id)
        return {"schedule": name} if name else f"schedule {target.vendor_id} (not carried)"
    assert isinstance(target, UsergroupTarget)
    return {"usergroup": target.handle}


def _level(level: LevelDraft, targets: list[dict[str, str]]) -> dict[str, Any]:
    return {"timeout": level.timeout, "targets": targets}


def _level_body(level: dict[str, Any]) -> dict[str, Any]:
    timeout = level["timeout"]
    if timeout is not None and "wait" in level:
        timeout += level["wait"]
    body: dict[str, Any] = {}
    if timeout is not None:
        body["timeout"] = duration_text(timeout)
    body["targets"] = level["targets"]
    return body


# -- overrides -------------------------------------------------------------------------------
def _override(
    draft: OverrideDraft,
    people: People,
    schedules: Mapping[str, str],
    layers: Mapping[str, set[str]],
    notes: list[ReportItem],
) -> ImportedOverride | None:
    name = schedules.get(draft.schedule.vendor_id)
    user = people.get(draft.person.vendor_id) if draft.person else None
    why = (
        "its schedule was not carried"
        if name is None
        else "its person is not matched to Slack"
        if draft.person is not None and user is None
        else "its layer was not carried"
        if draft.layer is not None and draft.layer not in layers[draft.schedule.vendor_id]
        else None
    )
    start, end = draft.start.astimezone(UTC), draft.end.astimezone(UTC)
    if why is not None or name is None:
        notes.append(
            ReportItem(
                "override",
                draft.schedule.vendor_id,
                f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
                "not carried",
                why or "",
                "make it with /oncall override once the schedule is in place",
            )
        )
        return None
    return ImportedOverride(name, start, end, user, draft.layer)


def _leave(draft: LeaveDraft, people: People, notes: list[ReportItem]) -> ImportedLeave | None:
    user = people.get(draft.person.vendor_id)
    start, end = draft.start.astimezone(UTC), draft.end.astimezone(UTC)
    if user is None:
        notes.append(
            ReportItem(
                "leave",
                draft.person.vendor_id,
                f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
                "not carried",
                "its person is not matched to Slack",
                "they add it with /oncall leave add once matched",
            )
        )
        return None
    return ImportedLeave(user, start, end)


# -- people ----------------------------------------------------------------------------------
def _user_items(translation: Translation, people: People) -> list[ReportItem]:
    """A line per vendor user: matched to whom, or not matched and whether it matters."""
    used = people_used(translation)
    items = []
    for user in sorted(translation.users):
        slack_user = people.get(user.vendor_id)
        name = f"{user.name} <{user.email}>"
        if slack_user:
            items.append(ReportItem("user", user.vendor_id, name, "exact", f"Slack {slack_user}"))
        elif user.vendor_id in used:
            items.append(
                ReportItem(
                    "user",
                    user.vendor_id,
                    name,
                    "not carried",
                    "no Slack user has this email",
                    "add an email,slack_user_id line to --users-map and run the import again",
                )
            )
        else:
            items.append(
                ReportItem(
                    "user",
                    user.vendor_id,
                    name,
                    "not needed",
                    "on no schedule, policy or override: not matched to Slack, nothing lost",
                )
            )
    return items


def people_used(translation: Translation) -> set[str]:
    """The vendor ids of the users a schedule, a policy, an override or leave names."""
    used = {
        member.vendor_id
        for schedule in translation.schedules
        for layer in schedule.layers
        for member in layer.members
        if member is not None
    }
    used |= {
        target.vendor_id
        for policy in translation.policies
        for level in policy.levels
        for target in level.targets
        if isinstance(target, Person)
    }
    used |= {o.person.vendor_id for o in translation.overrides if o.person is not None}
    used |= {leave.person.vendor_id for leave in translation.leave}
    return used


# -- the files -------------------------------------------------------------------------------
class _Flow(dict[str, Any]):
    """A mapping written on one line: a restriction, as the README writes them."""


class _Dumper(yaml.SafeDumper):
    """YAML as people write the schedule file: restrictions and day lists on one line."""


def _flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", dict(data), flow_style=True)


_Dumper.add_representer(_Flow, _flow)


def file_text(document: dict[str, Any], heading: str) -> str:
    """A document as YAML, under a comment ``heading``: the same text for the same document."""
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    comment = "".join(f"# {line}\n" if line else "#\n" for line in heading.splitlines())
    return comment + body
