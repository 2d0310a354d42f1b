"""Issue 70, items 4 and 5: strangers' webhooks cannot hold a notice back, and bad text in one
notice fails that delivery alone. Real webhook receivers on 127.0.0.1 (some hanging, some
answering 500, one that never heard of challenges, one that reflects what it is sent), the
SMTP fake (aiosmtpd), the page's form through a trusted proxy's ``X-Forwarded-For``; a second
replica on the same database for a notice job whose lease lapsed mid-send."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import re
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.flows.alerting.maintenance import open_window
from bot.record.alerting.maintenance import add_window
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, StatusDelivery, StatusSubscription
from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import Mailbox
from tests.status_page.conftest import Receiver, receivers, text_of
from tests.status_page.test_subscription_safety import settings as safety_settings
from tests.status_page.test_subscriptions import jar, local, sign_up

# The hanging webhooks' time-out in these tests (WARROOM_SUBSCRIBE_WEBHOOK_TIMEOUT).
HANG_TIMEOUT = 3.0
PROXY = (ipaddress.ip_network("127.0.0.1/32"),)


def settings(port: int, **more: Any) -> dict[str, Any]:
    """The subscription tests' settings, behind a proxy on 127.0.0.1 (clients told apart by
    X-Forwarded-For)."""
    return safety_settings(port, subscriptions__trusted_proxies=PROXY, **more)


@pytest.fixture
def warroom_settings(  # on SQLite and on PostgreSQL (database_url)
    database_url: str, mailbox: tuple[Mailbox, int]
) -> dict[str, object]:
    return {
        "database_url": database_url,
        **settings(
            mailbox[1],
            subscriptions__webhook_timeout=HANG_TIMEOUT,
            subscriptions__per_client_hour=50,
            subscriptions__webhooks_per_client=50,
        ),
    }


async def subscribe_hooks(warroom: Warroom, urls: list[str]) -> list[str]:
    """Sign each URL up through the form, and let their challenges be answered; the secrets
    the page showed."""
    secrets = []
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        for url in urls:
            status, page = await sign_up(warroom, client, kind="webhook", address=url)
            assert status == 200, page
            found = re.search(r'<code class="secret">([^<]+)</code>', page)
            assert found, page
            secrets.append(found.group(1))
    await warroom.run_jobs()
    return secrets


async def deliveries(warroom: Warroom) -> list[StatusDelivery]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(StatusDelivery).order_by(col(StatusDelivery.id)))
        return list(rows.all())


async def publish(warroom: Warroom, words: str = "Card payments fail.") -> None:
    """A public update from Slack (its command settles: its notice is sent meanwhile)."""
    channel = await open_incident(warroom, "Checkout returns 500s")
    await command(warroom, channel, "public Payments")
    await command(warroom, channel, f"update --public {words}")


async def announce_maintenance(warroom: Warroom) -> None:
    """A public maintenance window from the command line's flow: its notice is left due for
    the test to run (``run_jobs``)."""
    await open_window(
        warroom.services,
        matchers=["service=search"],
        start="2098-12-31 22:00",
        end="2099-01-01 02:00",
        by="cli",
        operator=True,
        send=False,
        public="Search may be slow.",
    )


async def test_hanging_and_failing_webhooks_hold_back_no_other_subscriber(
    warroom: Warroom,
) -> None:
    """Three webhooks that hang and one answering 500 signed up first: the four after them
    have the notice well before the hangs' time-out; each hang and the failure is recorded on
    its own row, to be tried again, and the others are sent once."""
    hanging = [Receiver("hang") for _ in range(3)]
    failing = Receiver("fail")
    fine = [Receiver() for _ in range(4)]
    async with receivers(*hanging, failing, *fine) as urls:
        await subscribe_hooks(warroom, urls)
        await announce_maintenance(warroom)
        await warroom.run_jobs()  # until the hangs time out
    # Each fine webhook had it before the first hang (sent at once with it) timed out.
    first_hang = min(hook.arrived[0] for hook in hanging)
    late = [hook.arrived[0] - first_hang for hook in fine if hook.arrived]
    assert len(late) == len(fine) and max(late) < HANG_TIMEOUT, late
    rows = await deliveries(warroom)
    errors = [row.last_error or "" for row in rows]
    assert all(f"within {HANG_TIMEOUT:g} seconds" in e for e in errors[:3]), errors
    assert "HTTP 500" in errors[3]
    assert [row.sent_at is not None for row in rows] == [False] * 4 + [True] * 4
    assert all(row.gave_up_at is None and row.attempts == 1 for row in rows)
    assert [len(hook.received) for hook in fine] == [1] * 4


async def test_an_unconfirmed_webhook_is_sent_nothing_and_one_that_echoes_is(
    warroom: Warroom,
) -> None:
    """A webhook is sent notices only once it echoes its challenge, and only those published
    after: one that answers 204 without the echo, or reflects the whole document, is never
    sent one; signed up again once its receiver answers, it is."""
    later, silent, reflecting = Receiver("no_echo"), Receiver("no_echo"), Receiver("reflect")
    async with receivers(later, silent, reflecting) as urls:
        await subscribe_hooks(warroom, urls)
        await publish(warroom, "Before it answered.")
        await warroom.run_jobs()
        later.mode = "ok"  # its receiver now answers challenges: signed up again
        await subscribe_hooks(warroom, urls[:1])
        await publish(warroom, "After it answered.")
        await warroom.run_jobs()
    assert [json.loads(body)["update"]["texts"] for _, body in later.received] == [
        {"en": "After it answered."}
    ]
    assert len(later.challenges) == 2 and len(silent.challenges) == 1
    assert silent.received == [] and reflecting.received == []
    async with session_scope(warroom.engine) as session:
        by_id = select(StatusSubscription).order_by(col(StatusSubscription.id))
        rows = (await session.exec(by_id)).all()
    assert [(r.confirmed_at is not None, r.unsubscribed_at is not None) for r in rows] == [
        (True, False),
        (False, True),
        (False, True),
    ]


async def test_the_challenge_is_signed_with_the_secret_the_page_showed(warroom: Warroom) -> None:
    seen: list[tuple[dict[str, str], bytes]] = []

    class Checking(Receiver):
        async def handle(self, request: Any) -> Any:
            seen.append((dict(request.headers), await request.read()))
            return await super().handle(request)

    hook = Checking()
    async with receivers(hook) as urls:
        (secret,) = await subscribe_hooks(warroom, urls)
    headers, body = seen[0]
    signed = headers["X-Warroom-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Warroom-Signature"] == "v1=" + expected
    assert json.loads(body)["type"] == "url_verification"


async def test_webhooks_past_a_clients_cap_or_the_total_are_refused_in_words(
    slack: SlackEmulator, sqlite_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    options = settings(
        mailbox[1], subscriptions__webhooks_per_client=2, subscriptions__webhooks_max=3
    )
    async with (
        running_warroom(slack, sqlite_url, **options) as warroom,
        aiohttp.ClientSession(cookie_jar=jar()) as client,
    ):

        async def hook(n: int, client_address: str) -> tuple[int, str]:
            url = f"http://127.0.0.1:9/hook{n}"
            return await sign_up(
                warroom, client, kind="webhook", address=url, forwarded=client_address
            )

        assert [(await hook(n, "198.51.100.1"))[0] for n in range(2)] == [200, 200]
        status, page = await hook(2, "198.51.100.1")
        assert status == 429 and "Your network has as many webhooks subscribed" in page
        assert (await hook(3, "198.51.100.2"))[0] == 200
        status, page = await hook(4, "198.51.100.3")
        assert status == 429 and "takes no more webhook subscriptions" in page
        # E-mail sign-ups go on.
        status, _ = await sign_up(
            warroom, client, kind="email", address="e@example.com", forwarded="198.51.100.3"
        )
        assert status == 200


async def test_a_notice_job_whose_lease_lapses_mid_send_sends_nothing_twice(
    slack: SlackEmulator, database_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    """A webhook hangs mid-send while the job's lease runs out (set lapsed here, as a stalled
    replica's would): a second replica takes the job and sends nobody anything again, neither
    the rows sent nor the one in flight; once the hang answers, each has the notice once."""
    clock = Clock()
    options = settings(mailbox[1], subscriptions__webhook_timeout=30.0)
    hanging, fine = Receiver("hang"), [Receiver(), Receiver()]
    async with (
        receivers(*fine, hanging) as urls,  # sent in that order, however many at once
        running_warroom(slack, database_url, clock, **options) as first,
        running_warroom(slack, database_url, clock, **options) as second,
    ):
        await subscribe_hooks(first, urls)
        await announce_maintenance(first)
        running = asyncio.create_task(first.run_jobs())
        async with asyncio.timeout(10):
            while not (hanging.received and all(hook.received for hook in fine)):
                await asyncio.sleep(0.02)
        async with session_scope(first.engine) as session:
            await session.exec(
                update(Job)
                .where(col(Job.kind) == JobKind.SUBSCRIBER_NOTICE)
                .values(locked_until=clock.now.replace(year=2000))
            )
            await session.commit()
        await second.run_jobs()
        hanging.release.set()
        await running
        await second.advance(minutes=10)
        await first.run_jobs()
    assert [len(hook.received) for hook in (*fine, hanging)] == [1, 1, 1]
    assert all(row.sent_at is not None and row.attempts == 1 for row in await deliveries(first))


async def email_from(
    warroom: Warroom, client: aiohttp.ClientSession, name: str, client_address: str
) -> int:
    """An e-mail sign-up of ``p<name>@example.com`` from ``client_address``; its status."""
    status, _ = await sign_up(
        warroom, client, kind="email", address=f"p{name}@example.com", forwarded=client_address
    )
    return status


async def test_an_ipv6_client_counts_by_its_64(
    slack: SlackEmulator, sqlite_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    """Six addresses of one IPv6 /64 are one client: its sixth sign-up of the hour is 429; a
    neighbouring /64, and the IPv4 address behind an IPv4-mapped one, are clients of their own."""
    async with (
        running_warroom(slack, sqlite_url, **settings(mailbox[1])) as warroom,
        aiohttp.ClientSession(cookie_jar=jar()) as client,
    ):
        same = [
            await email_from(warroom, client, f"a{n}", f"2001:db8:1:2::{n + 1}") for n in range(6)
        ]
        assert same == [200] * 5 + [429]
        assert await email_from(warroom, client, "b", "2001:db8:1:3::1") == 200
        mapped = [await email_from(warroom, client, f"c{n}", "::ffff:192.0.2.7") for n in range(3)]
        plain = [await email_from(warroom, client, f"d{n}", "192.0.2.7") for n in range(3)]
        assert mapped + plain == [200] * 5 + [429]


async def test_three_clients_cannot_close_sign_ups_for_a_fourth(
    slack: SlackEmulator, sqlite_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    """Three clients signing up all they may for three hours (5 an hour each, none confirmed)
    fill only their own share of the waiting sign-ups: the cap (40 here) is not reached, and a
    fourth customer still signs up."""
    options = settings(mailbox[1], subscriptions__pending_max=40)
    async with (
        running_warroom(slack, sqlite_url, **options) as warroom,
        aiohttp.ClientSession(cookie_jar=jar()) as client,
    ):
        for hour in range(3):
            for n in range(3):
                for k in range(5):
                    await email_from(warroom, client, f"{hour}-{n}-{k}", f"203.0.113.{n + 1}")
            await warroom.run_jobs()  # their confirmations mailed: waiting from now on
            await warroom.advance(hours=1)
        assert await email_from(warroom, client, "fourth", "192.0.2.44") == 200


def flooder(n: int) -> str:
    """The flood's client ``n``: an IPv4 address, or an IPv6 address in a /64 of its own."""
    return f"198.18.{n // 200}.{n % 200 + 1}" if n % 2 else f"2001:db8:0:{n:x}::7"


async def test_a_flood_from_200_clients_never_closes_sign_ups_to_a_customer(
    slack: SlackEmulator, database_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    """Issue 85, item 4 (the probe: 13 sign-ups from 3 clients filled a cap of 12, and a
    customer was answered 429 for 48 h). Two hundred clients (IPv4 addresses, IPv6 /64s)
    sign up twice each, none confirming, their links mailed as they go: no one is answered
    429, and the sign-ups waiting stay at the cap (12), each link mailed past it taking the
    room of the oldest of the clients that asked most. A customer from a new address signs
    up, is mailed a link, and while the flood goes on (20 more clients) the link still
    works: the flood takes room from itself first."""
    box, port = mailbox
    options = settings(port, subscriptions__pending_max=12)
    async with (
        running_warroom(slack, database_url, **options) as warroom,
        aiohttp.ClientSession(cookie_jar=jar()) as client,
    ):

        async def flood(clients: range) -> list[int]:
            answers = []
            for n in clients:
                for k in range(2):
                    answers.append(await email_from(warroom, client, f"f{n}-{k}", flooder(n)))
                if n % 10 == 9:
                    await warroom.run_jobs()  # their links mailed: waiting from now on
            return answers

        assert set(await flood(range(200))) == {200}
        assert await waiting(warroom) == 12
        assert await email_from(warroom, client, "customer", "192.0.2.44") == 200
        await warroom.run_jobs()
        assert box.to[-1] == "pcustomer@example.com"
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(box.messages[-1]))
        assert link
        assert set(await flood(range(200, 220))) == {200}
        assert await waiting(warroom) == 12
        async with client.post(local(warroom, link.group(0))) as confirmed:
            assert confirmed.status == 200 and "Subscribed" in await confirmed.text()


async def waiting(warroom: Warroom) -> int:
    """E-mail sign-ups whose confirmation link works."""
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(StatusSubscription).where(
                col(StatusSubscription.confirmed_at).is_(None),
                col(StatusSubscription.confirm_hash).is_not(None),
            )
        )
        return len(rows.all())


async def test_a_bad_header_fails_its_own_delivery_only_and_the_job_ends(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    """A subscriber's row whose address carries a line break (as a row written before the
    form's check stands for) fails its own delivery, for good, without a retry; the
    subscriber after it is mailed, and a window whose description has a line break (written
    before the form refused it) is mailed with a subject on one line."""
    box, _ = mailbox
    async with session_scope(warroom.engine) as session:
        for n, address in enumerate(["bad@example.com\nBcc: x@example.org", "good@example.com"]):
            session.add(
                StatusSubscription(
                    kind="email",
                    address=address,
                    address_key=f"key-{n}",
                    unsubscribe_token=f"token-{n}",
                    created_at=warroom.clock.now,
                    confirmed_at=warroom.clock.now,
                )
            )
        await session.commit()
    await publish(warroom)
    await warroom.run_jobs()
    assert box.to == ["good@example.com"]
    bad, good = await deliveries(warroom)
    assert bad.gave_up_at is not None and "line break" in (bad.last_error or "")
    assert good.sent_at is not None
    async with session_scope(warroom.engine) as session:
        (job,) = (
            await session.exec(select(Job).where(Job.kind == JobKind.SUBSCRIBER_NOTICE))
        ).all()
    assert job.done_at is not None and job.failures == 0
    async with session_scope(warroom.engine) as session:
        await add_window(
            session,
            matchers={"service": "search"},
            starts_at=warroom.clock.now.replace(year=2098),
            ends_at=warroom.clock.now.replace(year=2099),
            by="cli",
            now=warroom.clock.now,
            public="Search may be slow\nwhile we upgrade it.",
        )
        await session.commit()
    await warroom.run_jobs()
    assert box.to == ["good@example.com"] * 2
    subject = str(box.messages[-1]["Subject"])
    assert "Search may be slow while we upgrade it." in subject, subject
    assert "Search may be slow" in text_of(box.messages[-1])
