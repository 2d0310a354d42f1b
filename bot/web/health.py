"""``GET /livez`` and ``GET /readyz`` (and ``GET /healthz``, the same answer as ``/readyz``).

Liveness is the process answering, with no I/O: a restart is the cure only for a process that
no longer answers, never for a database or Slack outage (every replica would restart at once,
and come back to the same outage). Readiness is whether this replica can do its work now, part
by part, each with a state and a reason:

- ``database``: a trivial query answers within 2 s;
- ``slack``: Slack answers ``auth.test`` and takes the bot token
  (https://docs.slack.dev/reference/methods/auth.test: ``invalid_auth``, ``token_revoked``...);
  the answer is kept ``SLACK_CHECK_SECONDS`` so that probes do not become a load on Slack, and
  while the app is known to be uninstalled (the replica's presence, bot/flows/installation.py)
  it is not asked at all. Said, never judged: alerts are received, routed and paged by push,
  SMS, calls and e-mail without Slack, so a replica that a load balancer took out of service
  during a Slack outage would page nobody. The body says since when Slack fails;
  ``warroom_slack_up`` on /metrics says it too;
- ``jobs`` and ``outbox``: the oldest due job and the oldest Slack write waiting have waited
  less than ``JOB_LAG_SECONDS`` and ``OUTBOX_LAG_SECONDS`` (the outbox judged only while
  Slack answers: during an outage its writes wait for Slack, not for this replica);
- ``pager``: on PostgreSQL with the pager process (the default), it has started and runs.

While every part is ready but Slack fails, the status is ``degraded`` (still 200). Reasons
name states and Slack's or the driver's error codes, never a token, secret or address.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.clients.slack.errors import SlackFailure, SlackTokenRevoked, SlackUnavailable
from bot.clients.slack.web_api import SlackWorkspace
from bot.keys import engine_key, services_key
from bot.record.gauges import read_queue_lags
from bot.services import PagerLife
from bot.store.db import database_reachable

log = logging.getLogger(__name__)
# Slack's auth.test answer is kept this long: a probe every 10 s asks Slack every 30 s.
SLACK_CHECK_SECONDS = 30.0
# auth.test gets this long (retries included) before Slack counts as unreachable.
SLACK_TIMEOUT_SECONDS = 3.0
# A page's jobs run within seconds; two minutes behind is a runner that does not keep up.
JOB_LAG_SECONDS = 120.0
# Slack's rate limits may hold writes back for a minute or two; five is a stuck outbox.
OUTBOX_LAG_SECONDS = 300.0
# The queue reads get this long; a database busy past it leaves them unknown (not a failure:
# the database part says whether it answers).
QUEUE_READ_SECONDS = 1.0
# The longest /readyz takes: the database and Slack asked at once, then the queues read.
DATABASE_WAIT_SECONDS = 2.0
READY_WITHIN_SECONDS = max(DATABASE_WAIT_SECONDS, SLACK_TIMEOUT_SECONDS) + QUEUE_READ_SECONDS


@dataclass(frozen=True)
class Part:
    """One part of readiness: its state (``ok`` when it is), why, and whether it is ready."""

    state: str
    reason: str = ""
    ready: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "ready": self.ready}


class SlackCheck:
    """Slack's ``auth.test``, its answer kept ``SLACK_CHECK_SECONDS`` (by the application's
    clock); one question at a time however many probes come. Since when Slack fails is kept
    too (UTC), from the first answer that was not ``ok``."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._kept: tuple[datetime, Part] | None = None
        self.failing_since: datetime | None = None

    @property
    def up(self) -> bool | None:
        """Whether Slack's last answer was ``ok``; None before it was first asked."""
        return None if self._kept is None else self._kept[1].state == "ok"

    async def part(self, slack: SlackWorkspace, stopped: str | None, now: datetime) -> Part:
        """Slack's part now (``now``: the application's clock), ready whatever Slack says."""
        if stopped is None:
            return self._dated(await self._asked(slack, now), now)
        # The replica knows already; its watch asks Slack meanwhile.
        self._kept = (now, Part("refused", f"Slack refused the bot token ({stopped})"))
        part = self._dated(self._kept[1], now)
        return replace(part, reason=f"{part.reason}; the app is uninstalled or its token "
                       "revoked: install it again")  # fmt: skip

    async def _asked(self, slack: SlackWorkspace, now: datetime) -> Part:
        async with self._lock:
            kept = self._kept
            if kept is not None and (now - kept[0]).total_seconds() < SLACK_CHECK_SECONDS:
                return kept[1]
            answer = await _ask_slack(slack)
            self._kept = (now, answer)
            return answer

    def _dated(self, answer: Part, now: datetime) -> Part:
        """The answer with since when Slack fails, and what still works meanwhile."""
        if answer.state == "ok":
            self.failing_since = None
            return answer
        self.failing_since = self.failing_since or now
        since = f"{self.failing_since:%H:%M} UTC"
        return replace(answer, reason=f"{answer.reason} since {since}; pages go by phone")


async def _ask_slack(slack: SlackWorkspace) -> Part:
    try:
        async with asyncio.timeout(SLACK_TIMEOUT_SECONDS):
            await slack.check_token()
    except SlackTokenRevoked as refused:
        return Part("refused", f"Slack refused the bot token ({refused.code})")
    except (SlackUnavailable, TimeoutError) as failed:
        code = failed.code if isinstance(failed, SlackUnavailable) else "timeout"
        return Part("unreachable", f"Slack unreachable (auth.test: {code})")
    except SlackFailure as failed:
        return Part("error", f"Slack answered auth.test with {failed.code}")
    return Part("ok")


@dataclass
class Readiness:
    """What ``/readyz`` keeps between probes: Slack's last answer, the pager's life (the
    services' own, once they are built: the watchdog reads it too), and the last verdict (a
    change is logged once, not every probe)."""

    slack: SlackCheck = field(default_factory=SlackCheck)
    pager: PagerLife = field(default_factory=PagerLife)
    last: str | None = None


# Set by create_app: what this application's probes keep.
readiness_key = web.AppKey("readiness", Readiness)


async def livez(_request: web.Request) -> web.Response:
    """200 while the process answers; no I/O (a restart cures nothing else)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 when every part is ready, 503 when one is not; each part's state and reason."""
    app = request.app
    readiness, services = app[readiness_key], app[services_key]
    engine = app[engine_key]
    now = services.clock()
    database_up, slack = await asyncio.gather(
        database_reachable(engine, DATABASE_WAIT_SECONDS),
        readiness.slack.part(services.slack, services.presence.stopped, now),
    )
    parts = {"database": Part("ok") if database_up else _DATABASE_DOWN, "slack": slack}
    lags = await read_queue_lags(engine, now=now, timeout=QUEUE_READ_SECONDS)
    if not database_up or lags is None:
        parts["jobs"] = parts["outbox"] = _UNKNOWN
    else:
        parts["jobs"] = _lag_part("job", lags.jobs, JOB_LAG_SECONDS)
        parts["outbox"] = _outbox_part(lags.outbox, slack_up=slack.state == "ok")
    parts["pager"] = _pager_part(readiness.pager)
    ready = all(part.ready for part in parts.values())
    status = "unavailable" if not ready else "ok" if slack.state == "ok" else "degraded"
    _say_change(readiness, status, parts)
    body = {"status": status, "parts": {name: part.as_json() for name, part in parts.items()}}
    return web.json_response(body, status=200 if ready else 503)


_DATABASE_DOWN = Part(
    "unreachable", f"the database did not answer within {DATABASE_WAIT_SECONDS:.0f} s", ready=False
)
_UNKNOWN = Part("unknown", "the database did not answer the queue's read in time")


def _lag_part(what: str, lag: float, limit: float) -> Part:
    if lag <= limit:
        return Part("ok", f"the oldest due {what} waited {lag:.0f} s")
    return Part("lagging", f"the oldest due {what} waited {lag:.0f} s (over {limit:.0f} s)", False)


def _outbox_part(lag: float, *, slack_up: bool) -> Part:
    """The outbox's lag, judged only while Slack answers: during an outage its writes wait
    for Slack, and follow once it answers again."""
    part = _lag_part("Slack write", lag, OUTBOX_LAG_SECONDS)
    if slack_up or part.ready:
        return part
    return Part("waiting", f"the oldest due Slack write waited {lag:.0f} s (for Slack)")


def _pager_part(pager: PagerLife) -> Part:
    if not pager.on:
        return Part("off", "serve runs the paging jobs itself")
    if pager.running:
        return Part("ok", "the pager process runs the paging jobs")
    return Part(
        "down", "the pager process is not running (serve pages itself meanwhile)", ready=False
    )


def _say_change(readiness: Readiness, status: str, parts: dict[str, Part]) -> None:
    """Log readiness once when it changes (probes themselves are DEBUG in the access log)."""
    if status == readiness.last:
        return
    first = readiness.last is None
    readiness.last = status
    failing = "; ".join(f"{name}: {part.reason}" for name, part in parts.items() if not part.ready)
    if failing:
        log.warning("not ready: %s", failing)
    elif status == "degraded":
        log.warning("ready without Slack: %s", parts["slack"].reason)
    elif not first:
        log.info("ready again")
