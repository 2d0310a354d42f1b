"""Whom a policy level's targets reach: people, a user group's members, whoever an on-call
schedule names (``reach_of``, asking Slack; ``known_reach``, inside a transaction, asking it
nothing), and when what started a policy arrived, as a level's job keeps it (the paging SLI
counts from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.clients.slack.errors import SlackFailure, SlackGone
from bot.flows.oncall.handoffs import on_call_kept, on_call_now
from bot.record.escalation.escalations import OnCall
from bot.record.escalation.policies import Target
from bot.services import Services


class UnknownTarget(BotError):
    template = "messages/unknown_target.j2"


@dataclass
class Reach:
    """The people and pagers a target comes to, and what could not be reached."""

    users: list[str] = field(default_factory=list)
    pagers: list[tuple[str, str]] = field(default_factory=list)  # (service, routing key env)
    problems: list[str] = field(default_factory=list)
    # Whom each on-call schedule among the targets named (user None: nobody was on call).
    on_call: list[OnCall] = field(default_factory=list)

    @property
    def nobody_on_call(self) -> bool:
        """Nobody reached, and a schedule among the targets in a gap (everyone in its
        rotations away, or nobody scheduled): the level's turn passes to the next at once."""
        return not self.users and not self.pagers and any(one.user is None for one in self.on_call)


async def group_members(services: Services, ref: str) -> list[str]:
    """The members of the user group ``ref`` (its id, or its handle with or without @);
    UnknownTarget says why when Slack has no such group or will not say."""
    label = f"@{ref.lstrip('@')}"
    return await members(services, await usergroup_id(services, ref.lstrip("@"), label), label)


GROUP_DISABLED = (
    "the user group is disabled; re-enable it (in Slack's user group settings or with "
    "usergroups.enable)"
)


async def usergroup_id(services: Services, ref: str, label: str) -> str:
    if ref.startswith("S") and ref.isalnum() and ref.isupper():
        return ref
    try:
        found = await services.slack.find_usergroup(ref)
    except SlackFailure as error:
        raise UnknownTarget(target=label, reason=f"Slack said {error.code}") from error
    if found is None:
        raise UnknownTarget(target=label, reason="no such user group")
    if found.disabled:
        raise UnknownTarget(target=label, reason=GROUP_DISABLED)
    return found.id


async def members(services: Services, group_id: str, label: str) -> list[str]:
    try:
        return await services.slack.usergroup_members(group_id)
    except SlackFailure as error:
        reason = f"Slack said {error.code}"
        if isinstance(error, SlackGone) and await _disabled(services, group_id):
            reason = GROUP_DISABLED  # a group mentioned by id: not found, being disabled
        raise UnknownTarget(target=label, reason=reason) from error


async def _disabled(services: Services, group_id: str) -> bool:
    """Whether the group Slack did not find is there, disabled (asked only then)."""
    try:
        found = await services.slack.find_usergroup(group_id)
    except SlackFailure:
        return False
    return found is not None and found.disabled


def arrival(arrived_at: datetime | None) -> dict[str, str]:
    """How a level's job keeps when what started its policy arrived (none for a timeout's)."""
    return {"arrived_at": arrived_at.isoformat()} if arrived_at is not None else {}


def arrived_from(payload: dict[str, Any]) -> datetime | None:
    """``arrival``'s time again, from a level's job."""
    kept = payload.get("arrived_at")
    return datetime.fromisoformat(kept) if isinstance(kept, str) else None


# Targets whose people (or pager) are known from the file alone, with nothing to ask Slack.
KNOWN_NOW = frozenset({"user", "pagerduty"})


async def known_reach(
    session: AsyncSession, services: Services, targets: tuple[Target, ...]
) -> Reach | None:
    """``reach_of`` in the caller's transaction, asking Slack nothing: people and PagerDuty
    services from the file, an on-call schedule's people from the schedules file held in
    memory and its stored overrides (``on_call_kept``: whether each is a guest is Slack's
    answer this process keeps). None when a target needs Slack asked now: a user group, or
    someone on call whom no answer is kept for (the caller has a job ask, outside any
    transaction)."""
    reach = Reach()
    now = services.clock()
    for target in targets:
        if target.kind in KNOWN_NOW:
            _add_known(reach, target)
        elif target.kind == "schedule":
            schedule = services.settings.oncall.schedules.get(target.ref)
            if schedule is None:
                reach.problems.append(f"{target.ref}: no such on-call schedule")
                continue
            named = await on_call_kept(session, services, schedule, now)
            if named is None:
                return None
            _add_on_call(reach, named)
        else:
            return None
    reach.users = list(dict.fromkeys(reach.users))
    return reach


def _add_on_call(reach: Reach, named: list[OnCall]) -> None:
    reach.on_call += named
    reach.users += [one.reachable for one in named if one.reachable is not None]


def _add_known(reach: Reach, target: Target) -> None:
    if target.kind == "user":
        reach.users.append(target.ref)
    else:
        assert target.routing_key_env is not None
        reach.pagers.append((target.ref, target.routing_key_env))


async def reach_of(services: Services, targets: tuple[Target, ...]) -> Reach:
    """Who a policy level's targets are; a Slack failure on one target never stops the rest."""
    reach = Reach()
    for target in targets:
        if target.kind in KNOWN_NOW:
            _add_known(reach, target)
        elif target.kind == "schedule":
            # Whoever the final schedule names at the instant the level fires (everyone, with
            # overlap: all); nobody (a gap) is said in the channel, and the level's other
            # targets still come.
            named = await on_call_now(services, target.ref, paging=True)
            if named is None:
                reach.problems.append(f"{target.ref}: no such on-call schedule")
                continue
            _add_on_call(reach, named)
        else:
            label = f"@{target.ref}"
            try:
                group_id = await usergroup_id(services, target.ref, label)
                reach.users += await members(services, group_id, label)
            except UnknownTarget as error:
                reach.problems.append(f"{label}: {error.context['reason']}")
    reach.users = list(dict.fromkeys(reach.users))
    return reach
