"""What a security reviewer and a customer of the status page try against its subscriptions:
a mailbox that refuses at DATA or keeps answering 4xx stops being mailed (aiosmtpd refusing);
a webhook whose host name resolves to this machine is refused at sign-up and again when
sent (the iCal feeds' check, one piece of code); a client behind a reverse proxy is counted
by the address the trusted proxy forwards for, and a forged ``X-Forwarded-For`` from anyone
else is ignored; a subscriber changes components or unsubscribes from a mail's manage link
without an account, the address never shown in full."""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.basics.addresses import address_kind
from bot.config import Secret
from bot.flows.status_page.subscriptions import SOFT_BOUNCES_MAX
from bot.store.db import session_scope
from bot.store.models import StatusDelivery, StatusSubscription
from bot.web.monitoring import loggable_path
from emulator import SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import Mailbox
from tests.status_page.conftest import Receiver, text_of
from tests.status_page.test_subscriptions import ADDRESS, PUBLIC_URL, jar, local, sign_up


def settings(port: int, **more: Any) -> dict[str, Any]:
    return {
        "paging__smtp_url": Secret(f"smtp://127.0.0.1:{port}"),
        "paging__smtp_from": "status@example.com",
        "paging__smtp_plaintext": True,
        "web__public_url": PUBLIC_URL,
        "subscriptions__webhook_allowed_hosts": frozenset({"127.0.0.1"}),
        "runtime__scheduler_interval": 3600.0,
        **more,
    }


@pytest.fixture
def warroom_settings(mailbox: tuple[Mailbox, int]) -> dict[str, object]:
    return {
        **settings(mailbox[1]),
    }


async def confirmed_subscriber(warroom: Warroom, box: Mailbox) -> str:
    """Sign ADDRESS up and follow its confirmation link; the first notice's manage link."""
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        await sign_up(warroom, client, kind="email", address=ADDRESS)
        await warroom.run_jobs()
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(box.messages[-1]))
        assert link
        async with client.post(local(warroom, link.group(0))) as confirmed:
            assert confirmed.status == 200
    return ADDRESS


async def bounced(warroom: Warroom) -> bool:
    async with session_scope(warroom.engine) as session:
        (subscription,) = (await session.exec(select(StatusSubscription))).all()
    return subscription.bounced_at is not None


@pytest.mark.parametrize("reply", ["554 5.2.2 mailbox full for good", "552 5.3.4 too big"])
async def test_a_refusal_after_data_marks_the_address_bouncing(
    warroom: Warroom, mailbox: tuple[Mailbox, int], reply: str
) -> None:
    box, _ = mailbox
    await confirmed_subscriber(warroom, box)
    box.data_reply[ADDRESS] = reply
    channel = await open_incident(warroom, "Search is slow")
    await command(warroom, channel, "public Search")
    await command(warroom, channel, "update --public Searches take ten seconds.")
    await warroom.run_jobs()
    assert await bounced(warroom)
    assert box.tries == 1  # a 5xx is not tried again
    box.data_reply.clear()
    await command(warroom, channel, "update --public Back to normal.")
    await warroom.run_jobs()
    assert len(box.messages) == 1  # the confirmation only


async def test_a_mailbox_answering_4xx_is_tried_a_few_times_then_counts_as_bouncing(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    await confirmed_subscriber(warroom, box)
    box.rcpt_reply[ADDRESS] = "452 4.2.2 mailbox full"
    channel = await open_incident(warroom, "Search is slow")
    await command(warroom, channel, "public Search")
    await command(warroom, channel, "update --public Searches take ten seconds.")
    await warroom.run_jobs()
    assert box.tries == 1 and not await bounced(warroom)  # a 4xx may pass
    for _ in range(SOFT_BOUNCES_MAX + 2):
        await warroom.advance(hours=1)
    assert box.tries == SOFT_BOUNCES_MAX
    assert await bounced(warroom)
    box.rcpt_reply.clear()
    await command(warroom, channel, "update --public Back to normal.")
    await warroom.advance(minutes=5)
    assert len(box.messages) == 1  # the confirmation only


# A name of this machine's (resolved by /etc/hosts), which the URL's spelling does not give
# away as loopback, unlike "localhost" or 127.0.0.1.
def _own_name() -> str:
    name = socket.gethostname()
    try:
        found = socket.getaddrinfo(name, None)
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    addresses = {ipaddress.ip_address(str(entry[4][0]).partition("%")[0]) for entry in found}
    if not addresses or any(address_kind(a) is None for a in addresses):
        pytest.skip(f"{name} resolves to a public address here")
    return name


@pytest.mark.parametrize(
    "url",
    [
        "https://{own}/hook",
        "https://localhost/hook",
        "https://2130706433/hook",  # 127.0.0.1 as inet_aton reads a number
        "https://0x7f.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hook",
        "http://hooks.example.com/hook",  # plain http only to an allowed host
    ],
)
async def test_a_webhook_on_a_private_network_is_refused_at_its_field(
    warroom: Warroom, receiver: tuple[Receiver, str], url: str
) -> None:
    url = url.format(own=_own_name() if "{own}" in url else "")
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        status, page = await sign_up(warroom, client, kind="webhook", address=url)
    assert status == 400, page
    assert 'aria-invalid="true"' in page
    assert ("private network" if url.startswith("https") else "not a webhook URL") in page
    async with session_scope(warroom.engine) as session:
        assert (await session.exec(select(StatusSubscription))).all() == []


async def test_a_webhook_whose_name_resolves_privately_at_sending_is_not_posted_to(
    warroom: Warroom, receiver: tuple[Receiver, str]
) -> None:
    """A name that was public at sign-up and resolves to this machine when a notice goes
    (DNS rebinding), as a row written then stands for: nothing is posted, the delivery says
    why; the allowed 127.0.0.1 beside it gets its document."""
    hook, url = receiver
    port = url.split(":")[2].split("/")[0]
    rebound = f"https://{_own_name()}:{port}/hook"
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        status, _ = await sign_up(warroom, client, kind="webhook", address=url)
        assert status == 200
    await warroom.run_jobs()  # its challenge, echoed
    async with session_scope(warroom.engine) as session:
        session.add(
            StatusSubscription(
                kind="webhook",
                address=rebound,
                address_key="rebound",
                unsubscribe_token="rebound-token",
                secret="s",
                created_at=warroom.clock.now,
                confirmed_at=warroom.clock.now,
            )
        )
        await session.commit()
    channel = await open_incident(warroom, "Checkout returns 500s")
    await command(warroom, channel, "public Payments")
    await command(warroom, channel, "update --public Card payments fail.")
    await warroom.run_jobs()
    assert len(hook.received) == 1
    async with session_scope(warroom.engine) as session:
        deliveries = (await session.exec(select(StatusDelivery))).all()
    refused = [d for d in deliveries if d.sent_at is None]
    assert len(refused) == 1 and refused[0].gave_up_at is not None
    assert "loopback" in (refused[0].last_error or "")
    assert "WARROOM_SUBSCRIBE_WEBHOOK_ALLOWED_HOSTS" in (refused[0].last_error or "")


async def _statuses(warroom: Warroom, forwarded_for: list[str]) -> list[int]:
    statuses = []
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        for n, forwarded in enumerate(forwarded_for):
            async with client.get(warroom.url + "/status/subscribe") as page:
                found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert found
            async with client.post(
                warroom.url + "/status/subscribe",
                data={"csrf": found.group(1), "kind": "email", "address": f"p{n}@example.com"},
                headers={"X-Forwarded-For": forwarded},
            ) as answer:
                statuses.append(answer.status)
    return statuses


async def test_behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address(
    slack: SlackEmulator, sqlite_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    proxies = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))
    options = settings(mailbox[1], subscriptions__trusted_proxies=proxies)
    async with running_warroom(slack, sqlite_url, **options) as warroom:
        # Six customers through the proxy: none is held up by the others' sign-ups.
        many = [f"198.51.100.{n}" for n in range(6)]
        assert await _statuses(warroom, many) == [200] * 6
        # One customer, whatever it writes before the proxies' own hops: its sixth is 429.
        one = [f"{n}.0.113.9, 203.0.113.7, 10.0.0.2" for n in range(1, 7)]
        assert await _statuses(warroom, one) == [200] * 5 + [429]


async def test_a_forged_forwarded_address_from_an_untrusted_peer_is_ignored(
    warroom: Warroom,
) -> None:
    spoofed = [f"198.51.100.{n}" for n in range(6)]
    assert await _statuses(warroom, spoofed) == [200] * 5 + [429]


async def test_a_subscriber_changes_components_and_unsubscribes_from_the_manage_link(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    await confirmed_subscriber(warroom, box)
    payments = await open_incident(warroom, "Checkout returns 500s")
    await command(warroom, payments, "public Payments")
    search = await open_incident(warroom, "Search is slow")
    await command(warroom, search, "public Search")
    await command(warroom, payments, "update --public Card payments fail.")
    await warroom.run_jobs()
    found = re.search(r"Change what you get: (\S+)", text_of(box.messages[-1]))
    assert found, text_of(box.messages[-1])
    manage = local(warroom, found.group(1))
    assert loggable_path(manage.removeprefix(warroom.url)) == "/status/manage/[redacted]"
    async with aiohttp.ClientSession() as client:  # no account, no cookie: the link alone
        async with client.get(manage) as page:
            html = await page.text()
        assert page.status == 200
        assert "d…@example.com" in html and ADDRESS not in html
        assert 'value="Payments"' in html and 'value="Search"' in html
        async with client.post(manage, data={"component": "Search"}) as saved:
            assert saved.status == 200
            assert "updates about Search only" in await saved.text()
        await command(warroom, payments, "update --public Still failing.")
        await command(warroom, search, "update --public Searches take ten seconds.")
        await warroom.run_jobs()
        assert [text_of(m).count("Searches take ten seconds.") for m in box.messages[2:]] == [1]
        unsubscribe = re.search(r'action="(/status/unsubscribe/[^"]+)"', html)
        assert unsubscribe
        async with client.post(warroom.url + unsubscribe.group(1)) as done:
            assert done.status == 200
        async with client.get(manage) as after:
            assert "Unsubscribed" in await after.text()
        async with client.get(warroom.url + "/status/manage/not-a-token") as unknown:
            assert unknown.status == 404
    await command(warroom, search, "update --public Back to normal.")
    await warroom.run_jobs()
    assert len(box.messages) == 3  # the confirmation, Payments, Search: none after
