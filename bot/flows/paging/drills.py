"""The paging drill: each provider set (ntfy, Pushover, every phone provider, SMTP) exercised
through the people who opted in (``/oncall contact drill on``, or ``drill: true`` in the
contacts file; an opt-out from Slack wins over the file), its outcome waited for, and a
provider that failed raised as an alert on the normal alert path, so a broken account is found
at the drill, not at 3 a.m.

Each check is kept pending before anything is sent; ntfy's and Pushover's answers and the SMTP
server's acceptance settle it at once, a phone provider's status webhook (to whichever replica
it reaches) settles an SMS or a call, and the drill waits for it up to
``WARROOM_PAGING_DRILL_WAIT``. A person who did not opt in is never reached: without anyone
opted in with a method, its check is skipped (mail goes to WARROOM_SMTP_FROM's own mailbox
instead). Every phone provider is drilled through the same people's SMS and voice numbers.

Scheduled by ``WARROOM_PAGING_DRILL``: one ``paging_drill`` job, claimed by one replica, which
runs the drill and is due again at the next drill time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.phone import registry
from bot.clients.phone.reports import Report
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from bot.flows.paging.destinations import registry as destinations
from bot.flows.paging.destinations.messages import Drill
from bot.record.paging import drills as drill_alerts
from bot.record.paging import own
from bot.record.paging.contacts import Method
from bot.record.paging.service import check_by_vendor_id, settle
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import DrillCheck

log = logging.getLogger(__name__)
JOB_KEY = "paging_drill"
POLL_SECONDS = 0.5
# What a provider reports of a drill's SMS or call that settles it (a Report's status,
# bot/clients/phone/reports.py): ok (the provider carried it; a call nobody picked up still
# rang), or failed.
_REPORTED_OK = {"delivered", "in-progress", "completed", "busy", "no-answer"}
_REPORTED_FAILED = {"failed", "undelivered", "canceled"}
# How a provider's alert (a failure, or a pass after one) is kept with the checks, in their
# transaction: alerting's own alerts (bot/flows/alerting/intake.py ``keep_own_alerts``), handed
# in by bot/flows/alerting/drill_alerts.py, since paging comes before alerting in the flows'
# domain order (it pages alerts).
RaiseAlerts = Callable[[AsyncSession, Services, Sequence[str]], Awaitable[None]]


def provider_methods(settings: Settings) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Each provider a drill exercises, the methods that exercise it and whether it is set
    up, as each destination says (``drilled``), in the registry's order: ntfy, every phone
    provider (SMS and voice), SMTP."""
    methods: dict[str, tuple[str, ...]] = {}
    ready: dict[str, bool] = {}
    for destination in destinations.destinations():
        if destination.drilled is None:
            continue
        for provider, configured in destination.drilled(settings).items():
            methods[provider] = (*methods.get(provider, ()), destination.name)
            ready[provider] = configured
    return {provider: (names, ready[provider]) for provider, names in methods.items()}


def _drill_address(services: Services, method: str) -> str | None:
    """Where the drill sends when nobody has ``method``, if its destination says one."""
    found = destinations.find(method)
    if found is None or found.drill_address is None:
        return None
    return found.drill_address(services.settings)


def _reported_later(method: str) -> bool:
    """Whether the method's outcome comes later, by webhook (SMS and calls): the drill waits
    for it."""
    found = destinations.find(method)
    return found is not None and found.reported_later


def _title(provider: str) -> str:
    """How people read a provider's name."""
    if registry.known(provider):
        return registry.title(provider)
    return drill_alerts.PROVIDER_NAMES.get(provider, provider)


class DrillRefused(ValueError):
    """A drill asked for someone who did not opt in: nobody is reached."""


async def run_drill(
    services: Services,
    *,
    raise_alerts: RaiseAlerts,
    person: str | None = None,
    everyone: bool = False,
    why: str = "command",
) -> list[DrillCheck]:
    """Exercise each provider set and wait for the outcomes; the drill's checks. ``person``:
    only them (they must have opted in); ``everyone``: every person who opted in; neither:
    the first person who opted in with each method."""
    paging = services.settings.paging
    now = services.clock()
    key = f"{why}:{now.isoformat()}"
    async with session_scope(services.engine) as session:
        people = await own.drill_people(session, paging.contacts)
        if person is not None:
            people = [user for user in people if user == person]
            if not people:
                raise DrillRefused(
                    f"{person} has not opted in to drills (`/oncall contact drill on`, or "
                    "drill: true in the contacts file)"
                )
        planned = await _plan(session, services, people, every=everyone or person is not None)
        checks = []
        for provider, method, target in planned:
            user = None if target is None else target[0]
            check = DrillCheck(
                drill=key, provider=provider, method=method, user_id=user, started_at=now
            )
            if target is None:
                check.state = "skipped"
                check.detail = f"nobody who opted in to drills has a {method} contact"
            session.add(check)
            checks.append((check, target))
        await session.commit()
        for check, _ in checks:
            await session.refresh(check)
    for check, target in checks:
        if target is not None:
            await _exercise(services, check, target[1])
    await _wait(services, [check.id or 0 for check, _ in checks])
    return await _conclude(services, key, raise_alerts)


async def _plan(
    session: AsyncSession, services: Services, people: Sequence[str], *, every: bool
) -> list[tuple[str, str, tuple[str | None, Method] | None]]:
    """Which provider and method each check exercises, through whom (None: nobody): each
    person's methods as paging reaches them (the file's and their verified own)."""
    paging = services.settings.paging
    reachable = []
    for user in people:
        effective, _ = await own.effective(session, paging.contacts, user)
        reachable.append((user, effective.contacts))
    planned: list[tuple[str, str, tuple[str | None, Method] | None]] = []
    for provider, (methods, ready) in provider_methods(services.settings).items():
        if not ready:
            continue
        for method in methods:
            found: list[tuple[str | None, Method]] = [
                (user, contact)
                for user, contacts in reachable
                for contact in _first_of(contacts.values(), method)
            ]
            if not every:
                found = found[:1]
            if not found and (address := _drill_address(services, method)) is not None:
                found = [(None, Method(kind=method, address=address))]
            planned.extend((provider, method, target) for target in found)
            if not found:
                planned.append((provider, method, None))
    return planned


def _first_of(methods: Iterable[Method], kind: str) -> list[Method]:
    return [method for method in methods if method.kind == kind][:1]


async def _exercise(services: Services, check: DrillCheck, method: Method) -> None:
    """Send the drill's message; ntfy's and SMTP's acceptance settles it, a phone provider's
    answer gives the id its status webhook settles."""
    later = _reported_later(check.method)
    waits = later and bool(services.settings.web.public_url)
    # An SMS or a call goes through the provider drilled, whoever carries the contact's pages.
    message = Drill(through=check.provider if later else None)
    try:
        vendor_id = await destinations.send(services, message, method)
    except VendorFailure as failure:
        await _keep(services, check, ok=False, detail=failure.detail)
        return
    detail = None
    if later and not waits:
        name = _title(check.provider)
        detail = f"{name} accepted it; without WARROOM_PUBLIC_URL its delivery is not reported"
    await _keep(services, check, ok=None if waits else True, detail=detail, vendor_id=vendor_id)


async def _keep(
    services: Services,
    check: DrillCheck,
    *,
    ok: bool | None,
    detail: str | None,
    vendor_id: str | None = None,
) -> None:
    async with session_scope(services.engine) as session:
        current = await session.get(DrillCheck, check.id)
        assert current is not None
        current.vendor_id = vendor_id or current.vendor_id
        if ok is not None:
            settle(current, ok=ok, detail=detail, at=services.clock())
        session.add(current)
        await session.commit()


async def _wait(services: Services, ids: list[int]) -> None:
    """Until none of the checks is pending, or ``WARROOM_PAGING_DRILL_WAIT`` has passed (in
    real time: callbacks come in real time); those still pending then failed."""
    deadline = (
        asyncio.get_running_loop().time() + services.settings.paging.drill_wait.total_seconds()
    )
    statement = select(DrillCheck).where(col(DrillCheck.id).in_(ids), DrillCheck.state == "pending")
    while True:
        async with session_scope(services.engine) as session:
            pending = list((await session.exec(statement)).all())
            if pending and asyncio.get_running_loop().time() >= deadline:
                for check in pending:
                    wait = services.settings.paging.drill_wait
                    settle(
                        check,
                        ok=False,
                        detail=f"no delivery report within {wait}",
                        at=services.clock(),
                    )
                    session.add(check)
                await session.commit()
                return
        if not pending:
            return
        await asyncio.sleep(POLL_SECONDS)


async def _conclude(services: Services, key: str, raise_alerts: RaiseAlerts) -> list[DrillCheck]:
    """Count the checks, and raise (or resolve) each provider's alert in one transaction."""
    async with session_scope(services.engine) as session:
        statement = select(DrillCheck).where(DrillCheck.drill == key).order_by(col(DrillCheck.id))
        checks = list((await session.exec(statement)).all())
        bodies: list[str] = []
        for provider in provider_methods(services.settings):
            mine = [c for c in checks if c.provider == provider and c.state in ("ok", "failed")]
            if not mine:
                continue
            failed = [c for c in mine if c.state == "failed"]
            for check in mine:
                services.metrics.drill_checked(provider, check.state == "ok")
            body = await _alert_for(session, services, provider, key, failed)
            if body is not None:
                bodies.append(body)
        await raise_alerts(session, services, bodies)
        await session.commit()
    if any(c.state == "failed" for c in checks):
        log.warning(
            "paging drill %s: %s",
            key,
            ", ".join(f"{c.provider} {c.method} {c.state}" for c in checks),
        )
        services.wake_jobs()
    return checks


async def _alert_for(
    session: AsyncSession, services: Services, provider: str, key: str, failed: list[DrillCheck]
) -> str | None:
    """The alert a drill raises for ``provider``: firing when it failed; resolved when it
    passed after failing last time; None otherwise."""
    now = services.clock()
    if failed:
        detail = "; ".join(f"{c.method}: {c.detail or 'failed'}" for c in failed)
        return drill_alerts.failed_alert(provider, detail=detail, at=now, name=_title(provider))
    statement = (
        select(DrillCheck)
        .where(
            DrillCheck.provider == provider,
            DrillCheck.drill != key,
            col(DrillCheck.state).in_(["ok", "failed"]),
        )
        .order_by(col(DrillCheck.id).desc())
        .limit(1)
    )
    before = (await session.exec(statement)).first()
    if before is None or before.state != "failed":
        return None
    return drill_alerts.passed_alert(
        provider, failed_at=before.started_at, at=now, name=_title(provider)
    )


async def record_drill_status(services: Services, *, sid: str, report: Report) -> bool:
    """A phone provider's report on a drill's SMS or call (its status webhook, as a Report):
    settles its check (once), a failure with why in words;
    False when no check has that id."""
    async with session_scope(services.engine) as session:
        check = await check_by_vendor_id(session, sid)
        if check is None:
            return False
        status = report.status
        if status in _REPORTED_OK or status in _REPORTED_FAILED:
            detail = None
            if status in _REPORTED_FAILED:
                detail = f"{report.provider} reported it {report.said}" + (
                    f": {report.why}" if report.why else ""
                )
            settle(check, ok=status in _REPORTED_OK, detail=detail, at=services.clock())
            session.add(check)
            await session.commit()
    return True


# -- the schedule ------------------------------------------------------------------------------
async def schedule_drills(services: Services) -> None:
    """At start-up: the drill's one job, due at the next drill time (the schedule may have
    changed since it was planned); none without ``WARROOM_PAGING_DRILL``."""
    schedule = services.settings.paging.drill
    if schedule is None:
        return
    async with session_scope(services.engine) as session:
        await jobs.run_once_more(
            session,
            kind=JobKind.PAGING_DRILL,
            key=JOB_KEY,
            due_at=schedule.next_after(services.clock()),
        )
        await session.commit()
