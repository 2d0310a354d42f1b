"""E-mail integrations, over real SMTP on 127.0.0.1: a real SMTP client
(aiosmtplib) sends mail to an integration's address on warroom's inbound listener (the one
bounces reach, WARROOM_BOUNCE_DOMAIN), as a monitoring tool's relay would.

The subject is the alert's title and the body its description (text/plain preferred, an HTML
part's text otherwise, its script never kept); the same subject again while the alert is open
is the same alert. Mail a machine sent in answer (RFC 3834, section 5: ``Auto-Submitted``
other than ``no``) and bounces (a null reverse-path, RFC 5321 section 4.5.5; RFC 3464's
``multipart/report``) are taken (250) and dropped. An address no e-mail integration has is
refused at ``RCPT`` with 550 (RFC 5321, 4.2.3), a message over the listener's size with 552
(RFC 1870), one with no subject with 554. ``warroom integrations create --kind email`` prints
the address; ``--kind cloudwatch --topic-arn`` the URL SNS posts to.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiosmtplib
import pytest
from sqlmodel import col, select

from bot.config import Secret
from bot.flows.status_page.bounces import REPORT_BYTES_MAX
from bot.keys import bounce_listener_key
from bot.record.alerting import integrations
from bot.store.db import session_scope
from bot.store.models import AlertPayload
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import TOPIC, night_paging
from tests.alerting.test_integrations_cli import integrations_cli, migrated
from tests.alerting.test_vendor_apis import checkout_routes, groups, integration
from tests.conftest import Warroom
from tests.helpers.alerts import count
from tests.helpers.mail import free_port

DOMAIN = "inbound.warroom.example.com"
SENDER = "monitor@example.com"


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    """Checkout's alerts page Carol; the inbound SMTP listener on a port of its own."""
    return night_paging(
        database_url,
        tmp_path,
        ntfy,
        checkout_routes(ops),
        bounces__domain=DOMAIN,
        bounces__secret=Secret("b" * 64),
        bounces__smtp_host="127.0.0.1",
        bounces__smtp_port=free_port(),
    )


async def email_integration(warroom: Warroom, service: str = "checkout") -> str:
    """An e-mail integration of ``service``; its address."""
    return f"{await integration(warroom, 'email', service)}@{DOMAIN}"


def mail(to: str, subject: str | None, body: str, *headers: str, html: bool = False) -> bytes:
    said = [f"From: Monitor <{SENDER}>", f"To: <{to}>", *headers]
    if subject is not None:
        said.append(f"Subject: {subject}")
    kind = "text/html" if html else "text/plain"
    said += ["MIME-Version: 1.0", f"Content-Type: {kind}; charset=utf-8", "", body, ""]
    return "\r\n".join(said).encode()


async def send(warroom: Warroom, to: str, content: bytes, sender: str = SENDER) -> None:
    port = warroom.app[bounce_listener_key].port
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
        await client.sendmail(sender, [to], content)


async def test_mail_to_an_integrations_address_pages_and_its_subject_deduplicates(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    address = await email_integration(warroom)
    await send(
        warroom, address, mail(address, "Disk full on db-1", "/var is at 99%.\r\nClean it up.")
    )
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "Disk full on db-1" in push.title
    (group,) = await groups(warroom)
    assert (group.state, group.title) == ("triggered", "Disk full on db-1")
    # The same subject again (its spaces and case aside) while it is open: the same alert.
    await send(warroom, address.upper(), mail(address, "disk  full on DB-1", "Still full."))
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert len(await groups(warroom)) == 1
    # An HTML-only message: its text is the description, its script is not kept.
    page = (
        "<html><head><style>p{}</style></head><body><p>The queue is <b>late</b> by 5 minutes"
        "</p><script>alert(1)</script></body></html>"
    )
    await send(warroom, address, mail(address, "Queue late", page, html=True))
    await warroom.run_jobs()
    assert len(await groups(warroom)) == 2
    first, html = (message.text for message in ops.messages)
    assert "*description:* /var is at 99%.\nClean it up." in first
    assert "*description:* The queue is late by 5 minutes" in html
    assert "alert(1)" not in html and "<" not in html.split("*description:*")[1].split("*")[0]
    assert await count(warroom, AlertPayload) == 3
    async with session_scope(warroom.engine) as session:
        bodies = (await session.exec(select(AlertPayload).order_by(col(AlertPayload.id)))).all()
    assert all(body.integration_id is not None for body in bodies)


async def test_automatic_replies_and_bounces_are_taken_and_dropped(warroom: Warroom) -> None:
    address = await email_integration(warroom)
    await send(
        warroom, address, mail(address, "Out of office", "Away.", "Auto-Submitted: auto-replied")
    )
    await send(
        warroom, address, mail(address, "Vacation", "Away.", "Auto-Submitted: auto-generated")
    )
    await send(warroom, address, mail(address, "Returned mail", "Gone."), sender="")
    report = (
        f"From: MAILER-DAEMON@example.com\r\nTo: <{address}>\r\nSubject: Returned mail\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--b\r\n'
        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; example.com\r\n\r\n"
        "Final-Recipient: rfc822;x@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n--b--\r\n"
    ).encode()
    await send(warroom, address, report)
    await warroom.run_jobs()
    assert await count(warroom, AlertPayload) == 0
    # ``Auto-Submitted: no`` is a person's mail: an alert.
    await send(warroom, address, mail(address, "Checkout down", "By hand.", "Auto-Submitted: no"))
    assert await count(warroom, AlertPayload) == 1


async def test_unknown_addresses_large_and_subjectless_mail_are_refused(warroom: Warroom) -> None:
    address = await email_integration(warroom)
    for nobody in (f"wr_int_{'0' * 40}@{DOMAIN}", f"someone@{DOMAIN}"):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send(warroom, nobody, mail(nobody, "Hello", "Hi."))
        assert refused.value.recipients[0].code == 550
    async with session_scope(warroom.engine) as session:
        await integrations.revoke(session, "checkout-email", now=warroom.clock())
        await session.commit()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send(warroom, address, mail(address, "Hello", "Hi."))
    assert refused.value.recipients[0].code == 550
    working = await email_integration(warroom, "search")
    big = mail(working, "Large", "x" * (REPORT_BYTES_MAX + 10))
    with pytest.raises(aiosmtplib.SMTPResponseException) as large:
        await send(warroom, working, big)
    assert large.value.code == 552
    with pytest.raises(aiosmtplib.SMTPDataError) as subjectless:
        await send(warroom, working, mail(working, None, "No subject."))
    assert subjectless.value.code == 554
    assert await count(warroom, AlertPayload) == 0


async def test_the_cli_prints_an_email_address_and_an_sns_url(database_url: str) -> None:
    await migrated(database_url)
    env = {
        "DATABASE_URL": database_url,
        "WARROOM_PUBLIC_URL": "https://warroom.example.com",
        "WARROOM_BOUNCE_DOMAIN": DOMAIN,
        "WARROOM_BOUNCE_SECRET": "b" * 64,
        "WARROOM_BOUNCE_SMTP_PORT": "2525",
    }
    made = integrations_cli(env, "create", "--service", "checkout", "--kind", "email")
    assert made.returncode == 0, made.stderr
    (address,) = [line[9:] for line in made.stdout.splitlines() if line.startswith("address: ")]
    assert address.startswith("wr_int_") and address.endswith(f"@{DOMAIN}")
    assert address == address.lower()
    arn = "arn:aws:sns:us-west-2:123456789012:MyTopic"
    made = integrations_cli(
        env, "create", "--service", "checkout", "--kind", "cloudwatch", "--topic-arn", arn
    )
    assert made.returncode == 0, made.stderr
    key = next(line for line in made.stdout.splitlines() if line.startswith("key: "))[5:]
    assert f"URL: https://warroom.example.com/alerts/cloudwatch/{key}" in made.stdout
    assert arn in made.stdout
    refused: subprocess.CompletedProcess[str] = integrations_cli(
        env, "create", "--service", "search", "--kind", "cloudwatch"
    )
    assert refused.returncode == 1 and "--topic-arn" in refused.stderr
