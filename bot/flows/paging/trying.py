"""``/oncall test-page`` (and ``/oncall contact test [method]``): a test sent through each
of the person's verified methods and Slack, each saying it is a test, kept as a test page of
theirs (in no incident), and answered with what went out and what failed.

The test is kept first (so a second one within ``WARROOM_TEST_PAGE_EVERY`` is refused, even
while this one is on its way); the services are called one after the other; then one
transaction keeps what became of each and the Slack DM (in the outbox); the DM is sent at
once after it, and the record says what Slack did with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.flows.paging.destinations import registry
from bot.flows.paging.destinations import words as message_words
from bot.flows.paging.destinations.messages import Test
from bot.flows.paging.own_contacts import TEMPLATE
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record import audit
from bot.record.audit import Change
from bot.record.paging import own
from bot.record.paging.contacts import SLACK, Method, masked
from bot.record.rights import Act
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import PageTest


@dataclass(frozen=True)
class Tried:
    """One method of a test page: ``failure`` in words without the address, None: sent."""

    contact: str
    method: str
    where: str
    failure: str | None


async def test_page(
    services: Services, *, user: str, name: str | None = None, words: str = TEMPLATE
) -> str:
    """Send a test through each of ``user``'s verified methods and Slack (or the one
    ``name``d); the reply saying what went out and what failed, or why nothing was sent (at
    most one test every ``WARROOM_TEST_PAGE_EVERY``), said in ``words`` (Slack's reply, or
    the web page's). Kept in the admin record."""
    await require(services, user, Act.TEST_PAGE)
    wanted = name.lower() if name else None
    async with session_scope(services.engine) as session:
        answer, chosen, row = await _reserve(services, session, user, wanted)
        await session.commit()
    if row is None:
        state, context = answer
        if state == "test_limit":
            context["zone"] = await zone_of(services, user)
        return _reply(services, state, words, **context)
    tried = [await _try(services, contact, method) for contact, method in chosen.items()]
    with_slack = wanted in (None, SLACK)
    async with session_scope(services.engine) as session:
        current = await session.get(PageTest, row.id)
        assert current is not None
        current.results = [_kept(t) for t in tried]
        session.add(current)
        if with_slack:
            await outbox.post_once(
                session,
                channel=user,
                text=message_words.slack(services, Test(), SLACK),
                now=services.clock(),
                after=_dm_key(row),
            )
        for own_row in await own.methods_of(session, user):
            if own_row.name in chosen:
                own_row.tested_at = services.clock()
                session.add(own_row)
        audit.record(
            session, at=services.clock(), by=user, what=Change.CONTACT_TESTED,
            subject=f"{user} {name or 'every method'}",
            detail=", ".join(f"{t.contact}: {'failed' if t.failure else 'sent'}" for t in tried),
        )  # fmt: skip
        await session.commit()
    if with_slack:
        await deliver_now(services, user)
        tried.insert(0, await _slack_outcome(services, row))
    zone = await zone_of(services, user)
    return _reply(services, "tested", words, tried=tried, at=row.tested_at, zone=zone)


async def _try(services: Services, contact: str, method: Method) -> Tried:
    where = masked(method.kind, method.address)
    try:
        await registry.send(services, Test(), method)
    except VendorFailure as failure:
        return Tried(contact, method.kind, where, failure.detail)
    return Tried(contact, method.kind, where, None)


async def _slack_outcome(services: Services, row: PageTest) -> Tried:
    """What Slack did with the test's DM, kept with the test: sent, given up, or waiting
    (Slack slow to take it: the outbox sends it later)."""
    async with session_scope(services.engine) as session:
        written = await outbox.written_for(session, _dm_key(row))
        failure = None
        if written is None or written.gave_up_at is not None:
            failure = "Slack refused the direct message"
        elif written.sent_at is None:
            failure = "Slack has not taken it yet; it is sent as soon as Slack does"
        current = await session.get(PageTest, row.id)
        assert current is not None
        tried = Tried(SLACK, SLACK, "direct message", failure)
        current.results = [_kept(tried), *current.results]
        session.add(current)
        await session.commit()
    return tried


async def _reserve(
    services: Services, session: AsyncSession, user: str, wanted: str | None
) -> tuple[tuple[str, dict[str, Any]], dict[str, Method], PageTest | None]:
    """The methods to test and the test kept before anything is sent (the caller commits):
    a second test typed while this one is on its way (the services take seconds) finds it
    and waits its turn. Without a row: the reply's state and context saying why not."""
    paging = services.settings.paging
    await own.one_at_a_time(session, "tests")
    last = await own.last_test(session, user)
    now = services.clock()
    if last is not None and now - last.tested_at < paging.test_page_every:
        every = paging.test_page_every
        return ("test_limit", {"every": every, "next_at": last.tested_at + every}), {}, None
    person, _ = await own.effective(session, paging.contacts, user)
    chosen = {n: m for n, m in person.contacts.items() if wanted in (None, n)}
    if wanted is not None and wanted != SLACK and not chosen:
        return ("no_such", {"name": wanted}), {}, None
    if wanted is None and not chosen:
        # Slack alone is no test of being woken: it is what paging does without contacts.
        waiting = [row.name for row in await own.methods_of(session, user) if not row.verified_at]
        return ("none_verified", {"waiting": waiting}), {}, None
    return ("", {}), chosen, await own.keep_test(session, user, [], now)


def _kept(tried: Tried) -> dict[str, Any]:
    return {"contact": tried.contact, "method": tried.method, "failure": tried.failure}


def _dm_key(row: PageTest) -> str:
    return f"page_test:{row.id}"


def _reply(services: Services, state: str, words: str = TEMPLATE, **context: Any) -> str:
    return services.renderer.render(words, state=state, **context)
