"""The bounce listener's limits, over real SMTP on 127.0.0.1: a delivery report the standard
library's ``email`` parser takes quadratic time on is read in a worker process and refused at
``WARROOM_PARSE_SECONDS`` (554, said in the log), while ``/healthz`` and the status page answer
in their usual time; the listener holds ``WARROOM_BOUNCE_SMTP_SESSIONS`` sessions at once (421
past them) and binds loopback unless told otherwise.

The report is the one the security review sent: a ``multipart/report`` whose ``boundary``
parameter opens a quoted string and never closes it, followed by semicolons (folded into lines
of 900 characters, as RFC 5322 allows). ``email.message._parseparam`` looks for the end of a
parameter at each semicolon and counts the quotes before it from the start each time: a
quadratic scan, run for every parameter the parser asks for (the boundary, the report type,
the charset). 100 KB of it takes tens of seconds.

SMTP replies are RFC 5321's: 554 for a transaction refused (section 4.2.3), with RFC 3463's
enhanced code 5.6.0 (a media error: sent again, it would fail again), and 421 when the service
cannot take the connection now (sections 3.8 and 4.2.3: the relay tries again later).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import aiosmtplib
import pytest

from bot.config import Secret, Settings
from bot.keys import bounce_listener_key
from bot.record.status_page.bounces import bounce_address
from emulator import SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.mail import free_port, smtp_server
from tests.status_page.test_bounces import (
    BOUNCE_DOMAIN,
    BOUNCE_SECRET,
    EnvelopeBox,
    deliver,
    failed_for_good,
    mail_settings,
)
from tests.status_page.test_subscription_safety import bounced, confirmed_subscriber
from tests.status_page.test_subscriptions import ADDRESS

# What /healthz and a page take on a quiet machine is tens of milliseconds; a stall is seconds.
NORMAL_SECONDS = 1.0


@pytest.fixture
def relay() -> Iterator[tuple[EnvelopeBox, int]]:
    """The mail server subscriber mail goes out through, keeping each envelope's sender."""
    box = EnvelopeBox()
    with smtp_server(box) as port:
        yield box, port


def pathological_report(to: str, size: int) -> bytes:
    """A delivery report whose Content-Type never closes its boundary's quoted string."""
    semicolons = ";" * size
    folded = "\r\n ".join(semicolons[i : i + 900] for i in range(0, size, 900))
    return (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@example.net>\r\n"
        f"To: <{to}>\r\n"
        "Subject: Returned mail\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{folded}\r\n'
        "\r\n"
        "The following address had permanent fatal errors\r\n"
    ).encode()


async def started(
    slack: SlackEmulator, sqlite_url: str, relay_port: int, **more: object
) -> AsyncIterator[Warroom]:
    async with running_warroom(
        slack,
        sqlite_url,
        **mail_settings(
            relay_port,
            bounces__domain=BOUNCE_DOMAIN,
            bounces__secret=Secret(BOUNCE_SECRET),
            bounces__smtp_port=free_port(),
            **more,
        ),
    ) as running:
        yield running


def a_return_address() -> str:
    """A return address as a subscriber reads it off a confirmation mail (signed: taken)."""
    return bounce_address(1, domain=BOUNCE_DOMAIN, secret=BOUNCE_SECRET)


async def timed_get(client: aiohttp.ClientSession, url: str) -> float:
    began = time.monotonic()
    async with client.get(url) as response:
        assert response.status == 200, url
        await response.read()
    return time.monotonic() - began


async def test_a_pathological_report_stalls_neither_healthz_nor_the_pages(
    slack: SlackEmulator, sqlite_url: str, relay: tuple[EnvelopeBox, int]
) -> None:
    async for warroom in started(slack, sqlite_url, relay[1], runtime__parse_seconds=2.0):
        returned = a_return_address()
        async with aiohttp.ClientSession() as client:
            # The first requests of a new app set things up: their time is not the usual one.
            await timed_get(client, warroom.url + "/healthz")
            await timed_get(client, warroom.url + "/status")
            attack = asyncio.create_task(
                deliver(warroom, returned, pathological_report(returned, 100_000))
            )
            times: list[float] = []
            began = time.monotonic()
            while not attack.done() and time.monotonic() - began < 60:
                times.append(await timed_get(client, warroom.url + "/healthz"))
                times.append(await timed_get(client, warroom.url + "/status"))
                await asyncio.sleep(0.05)
            assert len(times) >= 4, times  # answered all the while, not once at the end
            assert max(times) < NORMAL_SECONDS, times
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await attack
        assert refused.value.code == 554


async def test_a_parse_over_its_time_limit_is_refused_and_said_and_good_reports_still_read(
    slack: SlackEmulator,
    sqlite_url: str,
    relay: tuple[EnvelopeBox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    box, port = relay
    async for warroom in started(slack, sqlite_url, port, runtime__parse_seconds=0.2):
        await confirmed_subscriber(warroom, box)
        returned = box.senders[-1]
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await deliver(warroom, returned, pathological_report(returned, 40_000))
        assert refused.value.code == 554
        assert "5.6.0" in refused.value.message
        said = [
            r.getMessage()
            for r in caplog.records
            if r.name == "bot.flows.status_page.bounces" and r.levelno == logging.WARNING
        ]
        assert len(said) == 1 and "refused: not read within 0.2 s" in said[0], said
        token = returned.split("@")[0].split("-")[-1]
        above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
        assert not [line for line in above_debug if ADDRESS in line or token in line]
        # The worker that overran was replaced: the next report is read as ever.
        assert not await bounced(warroom)
        await deliver(warroom, returned, failed_for_good(returned))
        assert await bounced(warroom)


async def greeting(port: int) -> tuple[bytes, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    line = await asyncio.wait_for(reader.readline(), 10)
    return line, writer


async def test_the_listener_holds_at_most_its_sessions_and_answers_421_past_them(
    slack: SlackEmulator,
    sqlite_url: str,
    relay: tuple[EnvelopeBox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async for warroom in started(slack, sqlite_url, relay[1], bounces__smtp_sessions=2):
        port = warroom.app[bounce_listener_key].port
        first, one = await greeting(port)
        second, two = await greeting(port)
        assert first.startswith(b"220 ") and second.startswith(b"220 ")
        third, three = await greeting(port)
        assert third.startswith(b"421 4.3.2 "), third
        three.close()
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert [line for line in said if "WARROOM_BOUNCE_SMTP_SESSIONS" in line]
        # One ends: the next relay is taken.
        one.close()
        await one.wait_closed()
        for _ in range(100):
            line, again = await greeting(port)
            again.close()
            if line.startswith(b"220 "):
                break
            await asyncio.sleep(0.05)
        assert line.startswith(b"220 ")
        two.close()


def _outward_address() -> str | None:
    """This machine's address on its way out (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never routed anywhere
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_the_listener_binds_loopback_unless_told_otherwise(
    slack: SlackEmulator, sqlite_url: str, relay: tuple[EnvelopeBox, int]
) -> None:
    assert Settings.from_env({}).bounces.smtp_host == "127.0.0.1"
    assert Settings.from_env({"WARROOM_BOUNCE_SMTP_HOST": "0.0.0.0"}).bounces.smtp_host == (
        "0.0.0.0"
    )
    async for warroom in started(slack, sqlite_url, relay[1]):
        listener = warroom.app[bounce_listener_key]
        assert listener.host == "127.0.0.1"
        outward = _outward_address()
        if outward is not None:
            # Not reachable from the network, only from this machine.
            with pytest.raises(OSError):
                await asyncio.open_connection(outward, listener.port)
        line, writer = await greeting(listener.port)
        writer.close()
        assert line.startswith(b"220 ")
