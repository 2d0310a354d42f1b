"""What flows ask Slack about a person, with the answer when Slack cannot say.

May import: what ``bot.flows`` may (``bot.services`` and everything below it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar, cast

from bot.basics.slack_patterns import USER_ID
from bot.clients.slack.errors import (
    SlackFailure,
    SlackRateLimited,
    SlackTokenRevoked,
    SlackTurnLater,
    SlackUnavailable,
)
from bot.clients.slack.pacing import URGENT, paced_as
from bot.clients.slack.ratelimit import waiting_at_most
from bot.clients.slack.web_api import Named
from bot.record.oncall.zones import known_zone
from bot.record.people import known_names, remember_names, remember_zone
from bot.record.rights import GUESTS, Kind
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
T = TypeVar("T")


async def zone_of(services: Services, user: str, *, otherwise: str | None = None) -> str:
    """The person's time zone as Slack has it (``users.info`` ``tz``, kept once asked); else
    ``otherwise``, else warroom's own (``WARROOM_TIMEZONE``)."""
    try:
        zone = await services.slack.time_zone(user)
    except SlackTurnLater:
        raise  # a job's call whose turn is later: the job runs again then, the zone is asked
    except SlackFailure as error:
        log.info("no time zone for %s from Slack: %s", user, error.code)
        zone = None
    return zone if zone and known_zone(zone) else otherwise or services.settings.incidents.timezone


# How old a users.info answer may be when the guest check is about someone a schedule names
# (a handoff, a notice, the day's gaps, /oncall's listing), not about who is acting now: Slack
# counts users.info's budget by the minute (Tier 4, 100 calls), and a schedule names many.
RECENT_SECONDS = 60.0


async def is_guest(
    services: Services, user: str, *, retried: bool = False, recent: bool = False
) -> bool:
    """Whether the person is a guest of the workspace (``kind_of``, either kind of guest)."""
    return await kind_of(services, user, retried=retried, recent=recent) in GUESTS


async def kind_of(
    services: Services, user: str, *, retried: bool = False, recent: bool = False
) -> Kind:
    """Who the person is to the workspace: a member, or a guest (``users.info``
    ``is_restricted``: multi-channel, ``is_ultra_restricted``: single-channel, as at sign-in to
    the web view: ``SlackClient.member_facts``), asked afresh; taken for a guest when Slack
    will not say: a guest sees less and is put on call and invited nowhere, never more.
    ``retried``: a job that runs again on a failure asks, and a failure that may pass (Slack
    down or rate-limited, the app's token revoked) is raised, so that someone is not said to
    be a guest because Slack did not answer once. ``recent``: an answer up to
    ``RECENT_SECONDS`` old will do (a person the schedule names, who acts in nothing: a
    change of their role counts within a minute, as if the check had run then)."""
    within = RECENT_SECONDS if recent else 0.0
    try:
        facts = await services.slack.member_facts(user, within=within)
    except SlackTurnLater:
        raise  # a job's call whose turn is later: the job runs again then, Slack is asked
    except SlackFailure as error:
        if retried and isinstance(error, SlackUnavailable | SlackRateLimited | SlackTokenRevoked):
            raise
        log.info("users.info for %s failed: %s; taken for a guest", user, error.code)
        return Kind.MULTI_CHANNEL_GUEST
    if not facts.guest:
        return Kind.MEMBER
    return Kind.SINGLE_CHANNEL_GUEST if facts.single_channel else Kind.MULTI_CHANNEL_GUEST


async def guests_among(
    services: Services,
    users: Iterable[str | None],
    *,
    retried: bool = False,
    recent: bool = False,
) -> frozenset[str]:
    """Which of ``users`` (None left out) are guests of the workspace: ``is_guest`` asked
    once a person, in a steady order."""
    named = sorted({user for user in users if user})
    return frozenset(
        [user for user in named if await is_guest(services, user, retried=retried, recent=recent)]
    )


async def members_among(services: Services, users: Iterable[str | None]) -> frozenset[str]:
    """Which of ``users`` (None left out) are members of the workspace: people, neither a
    guest nor an app's bot user, as ``users.info`` says now; one Slack will not answer for
    is not counted a member (a link they alone gave is then not repeated, never more)."""
    found = []
    for user in sorted({user for user in users if user}):
        try:
            facts = await services.slack.member_facts(user, within=RECENT_SECONDS)
        except SlackTurnLater:
            raise
        except SlackFailure as error:
            log.info("users.info for %s failed: %s; not counted a member", user, error.code)
            continue
        if not facts.guest and not facts.bot:
            found.append(user)
    return frozenset(found)


# How long a page waits for Slack to say whether someone on call is a guest, when this process
# keeps no answer: a Slack outage must not hold the page.
PAGING_ASK_SECONDS = 1.0
# What a page takes for "Slack cannot say now": the person is paged.
_CANNOT_SAY = (SlackUnavailable, SlackRateLimited, SlackTokenRevoked, TimeoutError)


async def guests_asked_for_page(services: Services, users: Sequence[str]) -> frozenset[str]:
    """Which of ``users`` (whom a policy's schedule names, no answer kept for them) are
    guests, for a page: Slack asked for at most ``PAGING_ASK_SECONDS`` each. Someone Slack
    does not answer for (down, rate-limited, too slow, the app gone) is paged, not taken for a
    guest: the schedules and contacts files name them, and a page to nobody during a Slack
    outage is the worse harm. After such a failure Slack rests (``REST_SECONDS``, as for
    names): the pages meanwhile do not ask it."""
    guests: set[str] = set()
    for user in users:
        if time.monotonic() < services.names.resting_until:
            log.warning("a page to %s did not ask Slack whether they are a guest (Slack "
                        "failed just before): paged", user)  # fmt: skip
            continue
        try:
            async with asyncio.timeout(PAGING_ASK_SECONDS):
                facts = await services.slack.member_facts(user)
        except _CANNOT_SAY as error:
            code = error.code if isinstance(error, SlackFailure) else "timeout"
            log.warning("Slack did not say whether %s is a guest (%s): paged", user, code)
            services.names.resting_until = time.monotonic() + REST_SECONDS
            continue
        except SlackFailure as error:
            log.info("users.info for %s failed: %s; taken for a guest", user, error.code)
            facts = None
        if facts is None or facts.guest:
            guests.add(user)
    return frozenset(guests)


# How long a listing a person waits for (/oncall) waits for its turn to ask
# users.info whether someone it names is a guest, when the method's minute is spent.
LISTING_PATIENCE = 2.0


async def guests_listed(services: Services, users: Iterable[str | None]) -> frozenset[str]:
    """``guests_among`` for a listing a person is waiting for: someone whose users.info turn
    is more than ``LISTING_PATIENCE`` away (the minute spent: a start-up's handoffs asked of a
    hundred people) is taken for a guest, as when Slack
    does not say, rather than the person waiting a minute for the listing. An answer up to
    ``RECENT_SECONDS`` old will do (the handoffs' at start-up). The listing grants nothing: an
    escalation asks afresh, and a handoff waits for its answer."""
    guests: set[str] = set()
    for user in sorted({user for user in users if user}):
        try:
            # Ahead of background work in line, but not from the reserve kept for a person's
            # own calls (ANSWER): a listing asks of a hundred people, and would spend it all.
            with (
                paced_as(URGENT),
                waiting_at_most(LISTING_PATIENCE, turns=LISTING_PATIENCE),
            ):
                guest = await is_guest(services, user, recent=True)
        except SlackTurnLater:
            log.info(
                "users.info for %s is not asked now (its turn is later): taken for a guest", user
            )
            guest = True
        if guest:
            guests.add(user)
    return frozenset(guests)


# -- names, learned on first sight -----------------------------------------------------------
# People looked up in the database at once before Slack is asked about those not kept.
LEARN_BATCH = 50
# After Slack failed to answer, people seen are not asked about for this long (they are
# asked when next seen after it).
REST_SECONDS = 30.0


def saw(services: Services, users: Iterable[str | None]) -> None:
    """People were seen (in an event, a command, an override, a handoff): those this process
    has not asked about yet are named from ``users.info`` in the background and kept
    (``person``), so every page names them without asking Slack. Nothing waits for it, and
    nobody is asked about at start-up: a schedule's file may name hundreds."""
    names = services.names
    if time.monotonic() < names.resting_until:
        return
    bot = services.slack.known_bot_user  # warroom itself, whose own posts come back
    asked = names.asked  # the usual case, every event: people asked about already
    new = [
        user for user in users if user and user not in asked and user != bot and USER_ID.match(user)
    ]
    if not new:
        return
    for user in new:
        names.asked.add(user)
        names.waiting[user] = None
    if not names.learning:
        names.learning = True
        services.background.spawn(_learn_names(services), name="learn names")


async def _learn_names(services: Services) -> None:
    names = services.names
    try:
        while names.waiting:
            batch = list(names.waiting)[:LEARN_BATCH]
            async with session_scope(services.engine) as session:
                kept = await known_names(session, batch)
            learned: dict[str, Named] = {}
            for user in batch:
                if user not in kept:
                    try:
                        named = await services.slack.named(user)
                    except SlackFailure as error:
                        _rest(services, error)
                        break
                    if named is not None:
                        learned[user] = named
            await _keep_names(services, learned)
            # Waiting until kept: a page meanwhile asks Slack itself (``names_for_page``).
            for user in batch:
                names.waiting.pop(user, None)
    finally:
        names.learning = False


def _rest(services: Services, error: SlackFailure) -> None:
    """Slack cannot say now: those waiting are forgotten (asked again when next seen, after a
    rest), never retried in a loop while Slack is down."""
    names = services.names
    log.info("names not learned now (%s); %d waiting forgotten", error.code, len(names.waiting))
    names.asked.difference_update(names.waiting)
    names.waiting.clear()
    names.resting_until = time.monotonic() + REST_SECONDS


async def _keep_names(services: Services, learned: dict[str, Named]) -> None:
    if not learned:
        return
    now = services.clock()
    async with session_scope(services.engine) as session:
        await remember_names(session, {u: named.name for u, named in learned.items()}, now)
        for user, named in learned.items():
            if named.timezone and known_zone(named.timezone):
                await remember_zone(session, user, named.timezone, now)
        await session.commit()


# A page waits on Slack for at most this many people it has not met, and
# for each no longer than this at a closed gate or for its turn in users.info's pace (Tier 4):
# past it the page names them by id as "a Slack user", and the background learns them.
PAGE_ASKS = 10
PAGE_PATIENCE = 2.0
# How often ``learned`` looks whether the background learner has kept the names it waits for.
LEARNED_POLL_SECONDS = 0.05


async def names_for_page(
    services: Services, kept: dict[str, str], wanted: Iterable[str | None]
) -> dict[str, str]:
    """``kept`` (the names the record keeps) with the people of ``wanted`` it lacks named
    from Slack (``users.info``) before a page shows them, and kept for the next page; those
    asked in this process already (named, or unknown to Slack) are not asked again. Slack's
    rate limits are honoured: a call whose turn or gate is more than ``PAGE_PATIENCE`` away is
    left to the background (``saw``), and a failure rests the asking as ``saw``'s does."""
    names = services.names
    bot = services.slack.known_bot_user
    missing = [
        user
        for user in dict.fromkeys(wanted)
        if user and user not in kept and user != bot and USER_ID.match(user)
    ]
    kept = await _learning_now(services, kept, missing)
    fresh = [user for user in missing if user not in names.asked and user not in kept]
    if not fresh or time.monotonic() < names.resting_until:
        return kept
    learned: dict[str, Named] = {}
    later: list[str] = []
    for user in fresh[:PAGE_ASKS]:
        try:
            with paced_as(URGENT), waiting_at_most(PAGE_PATIENCE, turns=PAGE_PATIENCE):
                named = await services.slack.named(user)
        except (SlackTurnLater, SlackRateLimited):
            later.append(user)
            continue
        except SlackFailure as error:
            _rest(services, error)
            break
        names.asked.add(user)
        if named is not None:
            learned[user] = named
    await _keep_names(services, learned)
    saw(services, [*later, *fresh[PAGE_ASKS:]])
    return {**kept, **{user: named.name for user, named in learned.items()}}


async def _learning_now(
    services: Services, kept: dict[str, str], missing: Sequence[str]
) -> dict[str, str]:
    """``kept`` with the names of those of ``missing`` the background learner is asking
    Slack about right now (asked already, so the page does not ask again), once it has kept
    them (at most ``PAGE_PATIENCE``): a page shown meanwhile names them too."""
    being = [user for user in missing if user in services.names.waiting]
    if not being:
        return kept
    await learned(services, being)
    async with session_scope(services.engine) as session:
        return {**kept, **await known_names(session, being)}


async def learned(services: Services, users: Iterable[str]) -> None:
    """Wait, at most ``PAGE_PATIENCE`` seconds, until the background learner (``saw``) has
    kept the names of those of ``users`` it is learning: for what names people once, a while
    after they were seen (a routed call's alert, raised as the call ends), not for a page."""
    names = services.names
    deadline = time.monotonic() + PAGE_PATIENCE
    while any(user in names.waiting for user in users) and time.monotonic() < deadline:
        await asyncio.sleep(LEARNED_POLL_SECONDS)


# How long "Slack does not show the bot that channel" holds: the bot may be invited since.
UNSEEN_CHANNEL_HOLDS = timedelta(minutes=1)


async def channel_name_for_page(services: Services, channel_id: str) -> str | None:
    """The channel's name before a page shows it (``conversations.info``, asked once in this
    process, within ``PAGE_PATIENCE`` of Slack's rate limits); None when Slack does not show
    the channel to the bot (asked again after ``UNSEEN_CHANNEL_HOLDS``) or cannot say now
    (asked again on a later page)."""
    names = services.names
    if channel_id in names.channels:
        return names.channels[channel_id]
    now = services.clock()
    if now < names.channels_unseen.get(channel_id, now):
        return None
    asked = await _ask_for_page(services, lambda: services.slack.channel_facts(channel_id))
    if asked is CANNOT_SAY:
        return None
    if asked is None:
        names.channels_unseen[channel_id] = now + UNSEEN_CHANNEL_HOLDS
        return None
    names.channels_unseen.pop(channel_id, None)
    names.channels[channel_id] = asked.name
    return asked.name


async def usergroup_for_page(services: Services, ref: str) -> tuple[str, str] | bool | None:
    """A user group's handle and name before a page shows it (``usergroups.list``, asked once
    in this process per handle or id it finds, within ``PAGE_PATIENCE`` of Slack's rate limits): the
    pair; None when Slack has no such group; False when Slack cannot say now (a workspace
    without user groups, a failure: asked again on a later page)."""
    names = services.names
    if ref in names.groups:
        return names.groups[ref]
    found = await _ask_for_page(services, lambda: services.slack.find_usergroup(ref))
    if found is CANNOT_SAY:
        return False
    if found is None:
        return None  # not kept: a group made in Slack later is named on the next page
    names.groups[ref] = (found.handle, found.name)
    return names.groups[ref]


# What ``_ask_for_page`` gives when Slack cannot say now (its turn too far, or it failed).
CANNOT_SAY: Any = object()


async def _ask_for_page(services: Services, ask: Callable[[], Awaitable[T]]) -> T:
    """``ask`` (one Slack call) for a page about to be shown: within ``PAGE_PATIENCE`` of
    Slack's rate limits, not while the asking rests after a failure (which rests it);
    ``CANNOT_SAY`` when Slack cannot answer now."""
    if time.monotonic() < services.names.resting_until:
        return cast(T, CANNOT_SAY)
    try:
        with paced_as(URGENT), waiting_at_most(PAGE_PATIENCE, turns=PAGE_PATIENCE):
            return await ask()
    except (SlackTurnLater, SlackRateLimited):
        return cast(T, CANNOT_SAY)
    except SlackFailure as error:
        _rest(services, error)
        return cast(T, CANNOT_SAY)
