"""Bounces reported later, over real SMTP on 127.0.0.1: a subscriber's mail is captured by an
aiosmtpd server (its ``MAIL FROM`` is the subscription's signed return address), then a real
SMTP client (aiosmtplib) delivers a delivery status notification to warroom's bounce
listener, as a relay that accepted the mail and failed later would.

The reports have the shape of RFC 3464's own samples (section 10, "Appendix - Sample Delivery
Status Notifications"): 10.2, a multi-recipient DSN (``Action: failed`` with ``Status: 5.0.0
(permanent failure)``, and another recipient ``delayed``); 10.1, a simple DSN (``failed``
with ``4.0.0``: a relay that gave up after 5 days of time-outs); 10.4, a delayed DSN. Their
``Original-Recipient`` and ``Final-Recipient`` are the RFC's addresses, not the subscriber's:
the return address the report is sent to is what counts. Status codes are RFC 3463's; the
SMTP replies (550 for an unknown recipient, 552 for a message over the size the ``EHLO``
answer's ``SIZE`` says) are RFC 5321's and RFC 1870's.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import select

from bot.config import ConfigError, Secret, Settings
from bot.flows.status_page.bounces import REPORT_BYTES_MAX
from bot.keys import bounce_listener_key
from bot.record.status_page.bounces import Verdict, read_report
from bot.store.db import session_scope
from bot.store.models import StatusSubscription
from emulator import Channel, SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import free_port, smtp_server
from tests.status_page.conftest import Mailbox, text_of
from tests.status_page.test_subscription_safety import bounced, confirmed_subscriber
from tests.status_page.test_subscriptions import ADDRESS, PUBLIC_URL

BOUNCE_DOMAIN = "bounces.status.example.com"
BOUNCE_SECRET = "b" * 64
FROM = "status@example.com"
VERP = re.compile(rf"^bounces\+(\d+)-([a-z2-7]{{26}})@{re.escape(BOUNCE_DOMAIN)}$")


class EnvelopeBox(Mailbox):
    """A mailbox that also keeps each message's envelope sender (``MAIL FROM``)."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.senders.append(str(envelope.mail_from))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay() -> Iterator[tuple[EnvelopeBox, int]]:
    box = EnvelopeBox()
    with smtp_server(box) as port:
        yield box, port


def mail_settings(port: int, **more: Any) -> dict[str, Any]:
    return {
        "paging__smtp_url": Secret(f"smtp://127.0.0.1:{port}"),
        "paging__smtp_from": FROM,
        "paging__smtp_plaintext": True,
        "web__public_url": PUBLIC_URL,
        "runtime__scheduler_interval": 3600.0,
        **more,
    }


@pytest.fixture
def warroom_settings(relay: tuple[EnvelopeBox, int]) -> dict[str, object]:
    return {
        **mail_settings(
            relay[1],
            bounces__domain=BOUNCE_DOMAIN,
            bounces__secret=Secret(BOUNCE_SECRET),
            bounces__smtp_host="127.0.0.1",
            bounces__smtp_port=free_port(),
        ),
    }


def dsn(boundary: str, status_blocks: str, *, to: str, subject: str) -> bytes:
    """A report as RFC 3464, section 10, writes its samples: a human-readable part, the
    ``message/delivery-status`` part (a per-message block, then one per recipient), and the
    returned message."""
    return (
        f"Date: Thu, 7 Jul 1994 17:16:05 -0400\r\n"
        f"From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>\r\n"
        f"Message-Id: <199407072116.RAA14128@CS.UTK.EDU>\r\n"
        f"Subject: {subject}\r\n"
        f"To: <{to}>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'    boundary="{boundary}"\r\n'
        f"\r\n"
        f"--{boundary}\r\n"
        f"\r\n"
        f"   ----- The following addresses had delivery problems -----\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"content-type: message/delivery-status\r\n"
        f"\r\n"
        f"Reporting-MTA: dns; cs.utk.edu\r\n"
        f"\r\n"
        f"{status_blocks}"
        f"\r\n"
        f"--{boundary}\r\n"
        f"content-type: message/rfc822\r\n"
        f"\r\n"
        f"[original message goes here]\r\n"
        f"\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def failed_for_good(to: str) -> bytes:
    """RFC 3464, 10.2 (a multi-recipient DSN): two recipients failed 5.0.0, one delayed."""
    return dsn(
        "JAA13167.773673707/CS.UTK.EDU",
        "Original-Recipient: rfc822;arathib@vnet.ibm.com\r\n"
        "Final-Recipient: rfc822;arathib@vnet.ibm.com\r\n"
        "Action: failed\r\n"
        "Status: 5.0.0 (permanent failure)\r\n"
        "Diagnostic-Code: smtp; 550 'arathib@vnet.IBM.COM' is not a registered gateway user\r\n"
        "Remote-MTA: dns; vnet.ibm.com\r\n"
        "\r\n"
        "Original-Recipient: rfc822;johnh@hpnjld.njd.hp.com\r\n"
        "Final-Recipient: rfc822;johnh@hpnjld.njd.hp.com\r\n"
        "Action: delayed\r\n"
        "Status: 4.0.0 (hpnjld.njd.jp.com: host name lookup failure)\r\n"
        "\r\n"
        "Original-Recipient: rfc822;wsnell@sdcc13.ucsd.edu\r\n"
        "Final-Recipient: rfc822;wsnell@sdcc13.ucsd.edu\r\n"
        "Action: failed\r\n"
        "Status: 5.0.0\r\n"
        "Diagnostic-Code: smtp; 550 user unknown\r\n"
        "Remote-MTA: dns; sdcc13.ucsd.edu\r\n",
        to=to,
        subject="Returned mail: User unknown",
    )


def failed_for_now(to: str) -> bytes:
    """RFC 3464, 10.1 (a simple DSN): failed after 5 days of time-outs, ``4.0.0``."""
    return dsn(
        "RAA14128.773615765/CS.UTK.EDU",
        "Original-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
        "Final-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
        "Action: failed\r\n"
        "Status: 4.0.0\r\n"
        "Diagnostic-Code: smtp; 426 connection timed out\r\n"
        "Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400\r\n",
        to=to,
        subject="Returned mail: Cannot send message for 5 days",
    )


def delayed(to: str) -> bytes:
    """RFC 3464, 10.4 (a delayed DSN): ``Action: delayed``, ``4.0.0``."""
    return dsn(
        "RAA14128.773615766/CS.UTK.EDU",
        "Final-Recipient: rfc822;thomas@de-montfort.ac.uk\r\n"
        "Status: 4.0.0 (unknown temporary failure)\r\n"
        "Action: delayed\r\n",
        to=to,
        subject="Warning: message still undelivered after 4 hours",
    )


def out_of_office(to: str) -> bytes:
    """An auto-reply (RFC 3834) sent to the return address: not a report."""
    return (
        f"From: Dana <{ADDRESS}>\r\nTo: <{to}>\r\nSubject: Out of office\r\n"
        "Auto-Submitted: auto-replied\r\nContent-Type: text/plain\r\n\r\n"
        "I am away until Monday with no access to mail.\r\n"
    ).encode()


async def public_incident(warroom: Warroom) -> Channel:
    """An incident made public, its first update sent to subscribers; its channel."""
    channel = await open_incident(warroom, "Search is slow")
    await command(warroom, channel, "public Search")
    await command(warroom, channel, "update --public Searches take ten seconds.")
    await warroom.run_jobs()
    return channel


async def deliver(warroom: Warroom, to: str, content: bytes) -> None:
    """Send ``content`` to warroom's bounce listener with a null return path (RFC 5321,
    section 4.5.5: a report has one), as a relay does."""
    port = warroom.app[bounce_listener_key].port
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
        await client.sendmail("", [to], content)


async def test_a_report_of_a_failure_for_good_stops_the_mail(
    warroom: Warroom, relay: tuple[EnvelopeBox, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    box, _ = relay
    await confirmed_subscriber(warroom, box)
    channel = await public_incident(warroom)
    assert len(box.messages) == 2
    # The confirmation and the notice went out from the subscription's signed return address;
    # the From people see is the same as ever.
    async with session_scope(warroom.engine) as session:
        (mine,) = (await session.exec(select(StatusSubscription))).all()
    assert len(set(box.senders)) == 1
    returned = VERP.match(box.senders[0])
    assert returned and int(returned.group(1)) == mine.id
    assert ADDRESS.split("@")[0] not in box.senders[0]
    assert all(message["From"] == FROM for message in box.messages)
    assert "Return-Path" not in box.messages[0]  # the delivering server's to write

    # The subscriber's server accepted it, then found the mailbox gone, and reports so.
    await deliver(warroom, box.senders[-1], failed_for_good(box.senders[-1]))
    assert await bounced(warroom)
    await command(warroom, channel, "update --public Back to normal.")
    await warroom.run_jobs()
    assert len(box.messages) == 2  # nothing more
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert [line for line in above_debug if "is bouncing" in line]
    token = box.senders[0].split("@")[0].split("-")[-1]
    assert not [line for line in above_debug if ADDRESS in line or token in line]


async def test_a_delay_or_a_failure_for_now_changes_nothing(
    warroom: Warroom, relay: tuple[EnvelopeBox, int]
) -> None:
    box, _ = relay
    await confirmed_subscriber(warroom, box)
    returned = box.senders[-1]
    await deliver(warroom, returned, delayed(returned))
    await deliver(warroom, returned, failed_for_now(returned))
    assert not await bounced(warroom)
    await public_incident(warroom)
    assert "Searches take ten seconds." in text_of(box.messages[-1])


async def test_a_forged_or_unknown_return_address_is_refused_550(
    warroom: Warroom, relay: tuple[EnvelopeBox, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    box, _ = relay
    await confirmed_subscriber(warroom, box)
    returned = box.senders[-1]
    number, mac = VERP.match(returned).groups()  # type: ignore[union-attr]
    forged = [
        f"bounces+{number}-{'a' * len(mac)}@{BOUNCE_DOMAIN}",  # the token not signed so
        f"bounces+{int(number) + 1}-{mac}@{BOUNCE_DOMAIN}",  # another subscription's
        returned.replace(BOUNCE_DOMAIN, "example.org"),  # another domain's
        f"postmaster@{BOUNCE_DOMAIN}",
    ]
    for address in forged:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await deliver(warroom, address, failed_for_good(address))
        assert [r.code for r in refused.value.recipients] == [550], address
    assert not await bounced(warroom)
    # A token that does not verify is worth a line (an old secret, a forgery); it is not in it.
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.flows.status_page.bounces" and r.levelno == logging.INFO
    ]
    assert len(said) == 2 and all("token is not ours" in line for line in said)
    assert not [line for line in said if mac in line or number in line]
    # The signed one in capitals (a server that changed its case) is still the same one.
    await deliver(warroom, returned.upper(), failed_for_good(returned))
    assert await bounced(warroom)


async def test_an_auto_reply_or_an_unreadable_report_changes_nothing(
    warroom: Warroom, relay: tuple[EnvelopeBox, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    box, _ = relay
    await confirmed_subscriber(warroom, box)
    returned = box.senders[-1]
    await deliver(warroom, returned, out_of_office(returned))
    no_fields = re.sub(rb"(?m)^(Action|Status): .*\r\n", b"", failed_for_good(returned))
    await deliver(warroom, returned, no_fields)  # taken (250), and read as nothing
    assert not await bounced(warroom)
    said = [r for r in caplog.records if r.name == "bot.flows.status_page.bounces"]
    assert [r.levelno for r in said] == [logging.DEBUG, logging.DEBUG]
    assert "not a delivery report" in said[0].getMessage()
    assert "unreadable" in said[1].getMessage()
    assert not [r for r in said if ADDRESS in r.getMessage() or returned in r.getMessage()]


async def test_a_message_over_the_size_limit_is_refused_552(
    warroom: Warroom, relay: tuple[EnvelopeBox, int]
) -> None:
    box, _ = relay
    await confirmed_subscriber(warroom, box)
    returned = box.senders[-1]
    port = warroom.app[bounce_listener_key].port
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
        await client.ehlo()
        assert client.esmtp_extensions["size"] == str(REPORT_BYTES_MAX)
    padding = b"X" * 998 + b"\r\n"
    oversize = failed_for_good(returned) + padding * (REPORT_BYTES_MAX // len(padding) + 1)
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await deliver(warroom, returned, oversize)
    assert refused.value.code == 552
    assert not await bounced(warroom)


async def test_without_a_bounce_domain_mail_goes_from_the_from_address_and_none_listens(
    slack: SlackEmulator, sqlite_url: str, relay: tuple[EnvelopeBox, int]
) -> None:
    box, port = relay
    async with running_warroom(slack, sqlite_url, **mail_settings(port)) as warroom:
        await confirmed_subscriber(warroom, box)
        assert bounce_listener_key not in warroom.app
    assert box.senders == [FROM]


def test_the_bounce_settings_come_all_three_or_none() -> None:
    with pytest.raises(ConfigError, match="WARROOM_BOUNCE_SECRET, WARROOM_BOUNCE_SMTP_PORT"):
        Settings.from_env({"WARROOM_BOUNCE_DOMAIN": BOUNCE_DOMAIN})
    with pytest.raises(ConfigError, match="at least 32 characters"):
        Settings.from_env(
            {
                "WARROOM_BOUNCE_DOMAIN": BOUNCE_DOMAIN,
                "WARROOM_BOUNCE_SECRET": "short",
                "WARROOM_BOUNCE_SMTP_PORT": "2525",
            }
        )
    with pytest.raises(ConfigError, match="WARROOM_BOUNCE_DOMAIN: expected a domain name"):
        Settings.from_env({"WARROOM_BOUNCE_DOMAIN": "not a domain"})


def encoded(report: bytes) -> bytes:
    """The same report with its ``message/delivery-status`` part sent in base64, as a few
    gateways do."""
    head, _, rest = report.partition(b"content-type: message/delivery-status\r\n\r\n")
    fields, boundary, tail = rest.partition(b"\r\n--")
    return (
        head
        + b"content-type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(fields)
        + boundary
        + tail
    )


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        (failed_for_good("x"), Verdict.FAILED),
        (encoded(failed_for_good("x")), Verdict.FAILED),
        (encoded(delayed("x")), Verdict.NOT_FOR_GOOD),
        # An alias that reached its other members: the address still works.
        (
            failed_for_good("x").replace(b"Action: delayed", b"Action: expanded"),
            Verdict.NOT_FOR_GOOD,
        ),
        (
            failed_for_good("x").replace(b"delivery-status;", b"feedback-report;"),
            Verdict.NOT_A_REPORT,
        ),
        (b"\xff\xfe not mail at all", Verdict.NOT_A_REPORT),
    ],
    ids=["rfc-3464-10.2", "base64", "delayed-base64", "alias-expanded", "complaint", "garbage"],
)
def test_what_a_report_says(content: bytes, verdict: Verdict) -> None:
    assert read_report(content) is verdict
