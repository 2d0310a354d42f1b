"""Pace Slack calls under Slack's published limits, so that warroom needs no 429 to learn them.

Slack limits each Web API method "per API method per workspace per app" by tier
(https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 "1+ per minute", Tier 2 "20+ per
minute", Tier 3 "50+ per minute", Tier 4 "100+ per minute"; a method's reference page names
its tier (https://docs.slack.dev/reference/methods/<method>, "Rate limits"). Posting is a
special tier: "chat.postMessage generally allows posting one message per second per
channel", "Short bursts >1 allowed".

Each method gets a lane that lets through at most its tier's floor in any window of a
minute: a rolling window rather than a refilling bucket, because a bucket of capacity B
refilled at N a minute lets B + N calls into one minute, over what Slack counts. Each
channel's posts get a bucket of 1 a second holding 2: the emulator's model of "short bursts"
(emulator/server.py) holds 3, and one is kept in reserve, as each window keeps a margin of
2%, because Slack counts a request when it arrives and network delays vary. Every call of
the process waits in its lane; with several replicas each takes its share
(``WARROOM_REPLICAS``: a tier's floor divided among them, never below one call a window).
A 429 still closes the method's gate for ``Retry-After``
(bot/clients/slack/ratelimit.py); in a normal incident there is none.

Callers waiting in one lane go by priority, then in order: what a person is waiting on now
(``ANSWER``: a slash command's own work and answer), then what opens a war room (``URGENT``:
the channel, its invitations, its first post), then the rest, and alert summaries and notices
(``BACKGROUND``) last, so each window's budget goes first to the calls people are waiting for.

Priority orders those waiting; it cannot give back what was already spent. So the window of
each Tier 3 or 4 method also keeps a reserve (``ANSWER_RESERVE``, a tenth of it: ten calls of
a Tier 4 method's hundred) that only ``ANSWER`` calls may spend: background work that comes
first (a start-up's on-call handoffs asking ``users.info`` of a hundred people) leaves it, and
a person who asks in that minute is answered at once instead of a minute later.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Calls per minute by tier: each tier's floor as Slack states it.
TIERS = {1: 1, 2: 20, 3: 50, 4: 100}
# The methods warroom calls, by tier (each method's reference page). A method not listed is
# paced as Tier 2, which Slack says "most methods" allow at least.
METHOD_TIERS = {
    "apps.manifest.create": 1,
    "apps.manifest.validate": 1,
    "bookmarks.add": 2,
    "conversations.canvases.create": 2,
    "conversations.create": 2,
    "conversations.setTopic": 2,
    "pins.add": 2,
    "reactions.remove": 2,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "usergroups.users.update": 2,
    "canvases.edit": 3,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.replies": 3,
    "openid.connect.token": 3,
    "reactions.add": 3,
    "auth.test": 4,  # a special tier, far above warroom's use
    # "Special": "hundreds of requests per minute" (https://api.slack.com/methods/
    # chat.getPermalink); Tier 4's floor stays under it. A draft asks one per channel.
    "chat.getPermalink": 4,
    "conversations.members": 4,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
}
DEFAULT_TIER = 2
# Posting, per channel: one message a second, bursts of three.
POST_METHOD = "chat.postMessage"
POST_RATE = 1.0
POST_BURST = 3

ANSWER, URGENT, NORMAL, BACKGROUND = 0, 1, 2, 3
# The share of each method's window only ANSWER calls may spend (none of a Tier 1 method's
# one call a minute): a person's command asks a few calls, background work may ask hundreds.
ANSWER_RESERVE = 0.1
# Only windows this large keep one (Tier 3 and 4: the methods background work asks by the
# hundred, users.info above all).
RESERVE_FROM = 50
_priority: ContextVar[int] = ContextVar("slack_pace_priority", default=NORMAL)


@contextmanager
def paced_as(priority: int) -> Iterator[None]:
    """Calls made inside wait in their lanes with ``priority`` (``URGENT`` goes first)."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


@contextmanager
def paced_at_least(priority: int) -> Iterator[None]:
    """``paced_as(priority)``, unless the calls are more urgent already (a person's command
    that opens a war room keeps its ``ANSWER``)."""
    with paced_as(min(priority, _priority.get())):
        yield


@dataclass
class _Window:
    """At most ``limit`` calls in any ``window`` seconds, the last ``reserve`` of them for
    ``ANSWER`` calls only."""

    limit: int
    window: float
    granted: deque[float]
    reserve: int = 0

    def room(self, priority: int) -> int:
        """How many calls of a window a caller of ``priority`` may be granted."""
        return self.limit if priority <= ANSWER else self.limit - self.reserve

    def free_at(self, now: float, priority: int = ANSWER) -> float:
        while self.granted and now - self.granted[0] >= self.window:
            self.granted.popleft()
        room = self.room(priority)
        if len(self.granted) < room:
            return now
        # Free once enough of the oldest calls are a window old to leave one of ``room``.
        return self.granted[len(self.granted) - room] + self.window

    def take(self, now: float) -> None:
        self.granted.append(now)

    def turn(self, now: float, ahead: int, priority: int = ANSWER) -> float:
        """When a caller with ``ahead`` callers before it gets its call: each call may go
        once the call ``room`` places before it is a window old, so a window's burst frees the
        next window's calls in a burst too (spacing them out would make them late).

        So the caller's turn is that of the one ``limit`` places before it plus a window,
        back to one of the first ``limit`` callers, whose turn the granted calls decide:
        counted in one step, however many wait (an alert storm's thousands of queued calls
        each asked this once, and walking the queue each time made the asking quadratic).
        """
        self.free_at(now)
        room = self.room(priority)
        windows, place = divmod(ahead, room)
        # The call ``room`` places before the first-window caller at ``place``: a granted one.
        before = len(self.granted) + place - room
        first = now if before < 0 else max(now, self.granted[before] + self.window)
        return first + windows * self.window


@dataclass
class _Bucket:
    """``rate`` tokens a second, ``burst`` at most."""

    rate: float
    burst: float
    tokens: float
    at: float

    def free_at(self, now: float, priority: int = ANSWER) -> float:
        """When a call may go."""
        del priority  # a channel's posts keep no reserve: a person's go in their turn
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return now if self.tokens >= 1 else now + (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.free_at(now)
        self.tokens -= 1

    def turn(self, now: float, ahead: int, priority: int = ANSWER) -> float:
        """When a caller with ``ahead`` callers before it gets its call: a token each."""
        del priority  # no reserve
        self.free_at(now)  # the tokens refilled until now
        missing = ahead + 1 - self.tokens
        return now if missing <= 0 else now + missing / self.rate


class _Lane:
    """One budget and the callers waiting for it, by priority then in order."""

    def __init__(self, budget: _Window | _Bucket) -> None:
        self.budget = budget
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.releaser: asyncio.Task[None] | None = None
        # Callers still waiting, by priority: kept as they come and go, so that asking a
        # turn does not walk the queue.
        self.waiting_by_priority: dict[int, int] = {}
        # Set when an ANSWER caller joins: it may go before the window frees (the reserve).
        self.answer_joined = asyncio.Event()

    async def wait_in_line(self, priority: int, order: int) -> None:
        """Wait for a turn behind those of ``priority`` or more urgent (``_release`` lets
        each go when the budget has room)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (priority, order, future))
        self.waiting_by_priority[priority] = self.waiting_by_priority.get(priority, 0) + 1
        if priority <= ANSWER:
            self.answer_joined.set()
        try:
            await future
        except asyncio.CancelledError:
            if future.cancelled():  # left the line before its turn: its place stays in
                self.left(priority)  # the heap until popped, no longer counted
            raise

    async def sleep_until_answer_joins(self, seconds: float) -> None:
        """Sleep ``seconds``, or until an ANSWER caller joins the line, whose room may be
        free already."""
        self.answer_joined.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.answer_joined.wait()

    def left(self, priority: int) -> None:
        """One caller of ``priority`` is no longer waiting (let go, or gone)."""
        self.waiting_by_priority[priority] -= 1

    def expected_wait(self, now: float, priority: int) -> float:
        """Seconds a caller of ``priority`` joining now would wait, about: behind the callers
        of its priority or more urgent ones, which go first."""
        ahead = sum(count for first, count in self.waiting_by_priority.items() if first <= priority)
        return max(0.0, self.budget.turn(now, ahead, priority) - now)


class SlackPacer:
    """Every lane of the process: one per method, one per channel for posts."""

    def __init__(self, *, window: float = 60.0, replicas: int = 1) -> None:
        self.window = window
        self.replicas = max(1, replicas)
        self._lanes: dict[str, _Lane] = {}
        self._order = itertools.count()

    def per_window(self, method: str) -> int:
        """Calls of ``method`` this process makes at most in a window."""
        tier = METHOD_TIERS.get(method, DEFAULT_TIER)
        return max(1, TIERS[tier] // self.replicas)

    def expected_wait(self, method: str, channel: str | None) -> float:
        """About how long a call of ``method`` made now would wait for its turn."""
        return self._lane(method, channel).expected_wait(time.monotonic(), _priority.get())

    async def take(self, method: str, channel: str | None) -> None:
        """Return when the call may go: its lane had room, and no one before it waits."""
        lane = self._lane(method, channel)
        now, priority = time.monotonic(), _priority.get()
        if not lane.waiting and lane.budget.free_at(now, priority) <= now:
            lane.budget.take(now)
            return
        if lane.releaser is None or lane.releaser.done():
            lane.releaser = asyncio.create_task(self._release(lane), name="slack pacing")
        await lane.wait_in_line(priority, next(self._order))

    async def _release(self, lane: _Lane) -> None:
        """Let the waiting callers go, one each time the budget has room for the first in
        line (the most urgent: if it may not go, nobody behind it may)."""
        while lane.waiting:
            priority, _, future = lane.waiting[0]
            if future.done():  # its caller gave up (cancelled): the room stays for the next
                heapq.heappop(lane.waiting)
                continue
            now = time.monotonic()
            free_at = lane.budget.free_at(now, priority)
            if free_at > now:
                await lane.sleep_until_answer_joins(free_at - now)
                continue
            heapq.heappop(lane.waiting)
            lane.budget.take(now)
            lane.left(priority)
            future.set_result(None)

    def _lane(self, method: str, channel: str | None) -> _Lane:
        key = f"{method} {channel}" if method == POST_METHOD and channel else method
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(self._budget(method, channel))
        return lane

    def _budget(self, method: str, channel: str | None) -> _Window | _Bucket:
        if method == POST_METHOD and channel:
            # Slack's second is not compressed with its minute (nor is the emulator's). One
            # message of the burst is kept in reserve: Slack counts when a request arrives,
            # and two sent a second apart may arrive closer than that.
            burst = max(1, POST_BURST // self.replicas - 1)
            return _Bucket(POST_RATE / self.replicas, burst, burst, time.monotonic())
        # The same margin for a window: a call granted as the window ends may arrive early
        # in Slack's count of the next (2%, at least a tenth of a second).
        window = self.window + max(0.1, self.window * 0.02)
        limit = self.per_window(method)
        # Tier 2 methods (a war room's channel, pin and topic) keep none: a storm opens war
        # rooms at their whole rate, and a person's own call goes first in line anyway.
        reserve = int(limit * ANSWER_RESERVE) if limit >= RESERVE_FROM else 0
        return _Window(limit, window, deque(), reserve=reserve)
