"""Paging by email against a real SMTP server (aiosmtpd on 127.0.0.1): plain SMTP to a relay
the operator allowed (WARROOM_SMTP_PLAINTEXT), STARTTLS offered by the server (with its
certificate trusted through SSL_CERT_FILE), a server that refuses the address; the
acknowledgement link in the mail, followed as a person would. A server that offers no
STARTTLS (RFC 3207), or whose offer is stripped on the way, gets neither the password (no
AUTH, RFC 4954) nor the mail."""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.clients.mail import Mail, MailFailure, send_mail
from bot.config import ConfigError, Secret, Settings
from bot.flows.postmortem.posting import write_draft
from emulator import SlackEmulator
from tests.conftest import CAROL, Clock, Warroom, running_warroom
from tests.helpers.mail import Mailbox, free_port, smtp_server
from tests.paging.scenario import NOW, declare_sev1, entries, paging_settings, person_pages

ADDRESS = "carol@example.com"
REFUSED = "gone@example.com"
PUBLIC_URL = "https://warroom.example.com"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(params=["plain", "starttls"])
def smtp(
    request: pytest.FixtureRequest,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Mailbox, int, bool]]:
    mailbox = Mailbox(refused=[REFUSED])
    kwargs: dict[str, Any] = {}
    starttls = request.param == "starttls"
    if starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, certificate))
        kwargs = {"tls_context": context, "require_starttls": True}
        # The system's store, as an operator extends it: OpenSSL reads SSL_CERT_FILE.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with smtp_server(mailbox, **kwargs) as port:
        yield mailbox, port, starttls


def plaintext(starttls: bool) -> str:
    """A relay without STARTTLS is used only when the operator says so (no credentials)."""
    return "false" if starttls else "true"


def contacts(address: str) -> dict[str, Any]:
    return {
        "people": {
            CAROL: {
                "contacts": {"mail": {"email": address}},
                "rules": [
                    {"after": "0s", "notify": ["mail"]},
                    {"after": "2m", "notify": ["slack"]},
                ],
            }
        }
    }


@pytest.fixture
def warroom_settings(tmp_path: Path, smtp: tuple[Mailbox, int, bool]) -> dict[str, object]:
    _, port, starttls = smtp
    settings = paging_settings(
        tmp_path,
        contacts(ADDRESS),
        WARROOM_SMTP_URL=f"smtp://127.0.0.1:{port}",
        WARROOM_SMTP_FROM="warroom@example.com",
        WARROOM_SMTP_PLAINTEXT=plaintext(starttls),
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {
        "clock": Clock(NOW),
        **settings,
    }


async def test_the_mail_names_the_incident_and_its_link_acknowledges(
    warroom: Warroom, smtp: tuple[Mailbox, int, bool]
) -> None:
    mailbox, _, starttls = smtp
    await declare_sev1(warroom)
    (mail,) = mailbox.messages
    assert mailbox.tls == [starttls]  # upgraded whenever the server offers STARTTLS
    assert mail["Subject"] == "INC-1 SEV1 Checkout API returns 500s"
    assert mail["To"] == ADDRESS and mail["Auto-Submitted"] == "auto-generated"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(
        decode=True
    )
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(
        decode=True
    )
    assert b"Paged by escalation policy primary, level 1." in text
    assert b">Acknowledge</a>" in html
    (link,) = re.findall(rb"Acknowledge: (\S+)", text)
    async with aiohttp.ClientSession() as browser:
        url = link.decode().replace(PUBLIC_URL, warroom.url)
        async with browser.get(url) as shown:  # a scanner following the link: nothing happens
            assert shown.status == 200
        assert (await person_pages(warroom))[0].state == "open"
        async with browser.post(url) as pressed:
            assert pressed.status == 200
    await warroom.advance(minutes=10)
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "email")
    assert warroom.slack.direct_messages(CAROL) == []  # the 2-minute rule never fired
    draft = (await write_draft(warroom.services, 1)).markdown
    assert "| Carol Tanaka: email 2:00 AM sent, acknowledged from the email's link 2:00 AM |" in (
        draft
    )
    assert ADDRESS not in draft


async def test_a_refused_address_is_said_and_the_next_rule_fires(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, smtp: tuple[Mailbox, int, bool]
) -> None:
    _, port, starttls = smtp
    settings = paging_settings(
        tmp_path,
        contacts(REFUSED),
        WARROOM_SMTP_URL=f"smtp://127.0.0.1:{port}",
        WARROOM_SMTP_FROM="warroom@example.com",
        WARROOM_SMTP_PLAINTEXT=plaintext(starttls),
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as warroom:
        channel = await declare_sev1(warroom)
        said = [m.text for m in channel.messages if "Could not reach" in m.text]
        assert said == [
            f":warning: Could not reach <@{CAROL}> by email (mail): the mail server refused "
            "the address (reply 550). Their next notification rule still fires."
        ]
        await warroom.advance(minutes=2)
        dms = [m.text for m in slack.direct_messages(CAROL)]
        # The page's DM (the next rule, at once), and once, that the address bounces.
        assert len([t for t in dms if "does not work" not in t]) == 1
        assert [t for t in dms if "does not work" in t] == [
            ":warning: Your email contact *mail* does not work: the mail server refused the "
            "address (reply 550). Pages will not reach you that way until it is fixed: change "
            "it in the contacts file or with `/oncall contact`, then check it with `/oncall "
            "contact test mail`."
        ]
        assert [e["outcome"] for e in await entries(warroom, "notification")] == ["failed", "sent"]


async def test_a_mail_server_that_is_not_there_is_tried_again_then_said(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    settings = paging_settings(
        tmp_path,
        contacts(ADDRESS),
        WARROOM_SMTP_URL="smtp://127.0.0.1:9",  # nothing listens on the discard port
        WARROOM_SMTP_FROM="warroom@example.com",
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as warroom:
        channel = await declare_sev1(warroom)
        for wait in (5, 15, 45):
            await warroom.advance(seconds=wait)
        said = [m.text for m in channel.messages if "Could not reach" in m.text]
        assert len(said) == 1 and "could not reach the mail server" in said[0]
        assert "after 4 attempts" in said[0] and ADDRESS not in said[0]


async def test_a_mail_server_that_never_answers_is_given_up_on_and_tried_again() -> None:
    """A server that takes the connection and never greets (no 220): the client stops
    waiting after its time-out, says so without the address, and the failure may pass (the
    notification is tried again, as for a server that is not there, above)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client hangs up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mail = Mail("warroom@example.com", ADDRESS, "INC-1", "text", "<p>html</p>")
    try:
        with pytest.raises(MailFailure) as failed:
            await send_mail(Secret(f"smtp://127.0.0.1:{port}"), mail, timeout=0.5)
    finally:
        server.close()
        await server.wait_closed()
    assert failed.value.retryable
    assert str(failed.value.detail) == "no answer from the mail server within 0.5 seconds"
    assert ADDRESS not in str(failed.value)


PASSWORD = "hunter2-s3cret"


class Logins:
    """aiosmtpd's authenticator: each AUTH the client sent (login, password), all accepted."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.seen.append((data.login, data.password))
        return AuthResult(success=True)


def server_with_auth(
    mailbox: Mailbox, logins: Logins, tls: ssl.SSLContext | None = None
) -> Controller:
    """A submission server offering AUTH; STARTTLS too when given a certificate, else AUTH in
    clear text (what a misconfigured server, or an attacker stripping STARTTLS, offers)."""
    kwargs: dict[str, Any] = (
        {"tls_context": tls, "auth_required": True} if tls else {"auth_require_tls": False}
    )
    return Controller(
        mailbox, hostname="127.0.0.1", port=free_port(), authenticator=logins, **kwargs
    )


@pytest.mark.parametrize("credentials", [f"warroom:{PASSWORD}@", ""])
async def test_a_server_without_starttls_gets_no_password_and_no_mail(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    credentials: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox, logins = Mailbox(), Logins()
    controller = server_with_auth(mailbox, logins)
    controller.start()
    settings = paging_settings(
        tmp_path,
        contacts(ADDRESS),
        WARROOM_SMTP_URL=f"smtp://{credentials}127.0.0.1:{controller.port}",
        WARROOM_SMTP_FROM="warroom@example.com",
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    try:
        async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as warroom:
            channel = await declare_sev1(warroom)
            await warroom.advance(minutes=2)  # her next rule fires; the mail is not tried again
            said = [m.text for m in channel.messages if "Could not reach" in m.text]
            assert len(slack.direct_messages(CAROL)) == 1
    finally:
        controller.stop()
    assert logins.seen == [] and mailbox.messages == []
    assert said == [
        f":warning: Could not reach <@{CAROL}> by email (mail): the mail server offers no "
        "STARTTLS, and warroom sends no password or acknowledgement link in clear text (use "
        "smtps:// or a server with STARTTLS). Their next notification rule still fires."
    ]
    assert PASSWORD not in caplog.text


async def test_with_starttls_the_login_and_the_mail_go_over_tls(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    mailbox, logins = Mailbox(), Logins()
    controller = server_with_auth(mailbox, logins, context)
    controller.start()
    mail = Mail("warroom@example.com", ADDRESS, "INC-1", "text", "<p>html</p>")
    url = f"smtp://warroom:{PASSWORD}@127.0.0.1:{controller.port}"
    try:
        await send_mail(Secret(url), mail)
    finally:
        controller.stop()
    assert logins.seen == [(b"warroom", PASSWORD.encode())]
    assert mailbox.tls == [True]


def test_sending_a_password_in_clear_text_cannot_be_configured() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(
            {
                "WARROOM_SMTP_URL": f"smtp://warroom:{PASSWORD}@mail.example.com:587",
                "WARROOM_SMTP_FROM": "warroom@example.com",
                "WARROOM_SMTP_PLAINTEXT": "true",
            }
        )
    assert "WARROOM_SMTP_PLAINTEXT: a password is never sent in clear text" in str(refused.value)
    assert PASSWORD not in str(refused.value)
