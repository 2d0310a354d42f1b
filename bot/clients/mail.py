"""Email by SMTP (``WARROOM_SMTP_URL``): ``smtp://user:pass@host:587`` upgraded with STARTTLS,
``smtps://user:pass@host:465`` in TLS from the start; certificates are checked against the
system's store (OpenSSL's default paths, so ``SSL_CERT_FILE`` is honoured). aiosmtplib, on the
event loop: a slow server holds only its own notification.

Nothing goes in clear text: the password, and each page mail's acknowledgement link, which
acknowledges for whoever holds it. A server that offers no STARTTLS (or whose offer an
attacker on the way strips) gets no AUTH and no mail, and the failure says why. Only
``WARROOM_SMTP_PLAINTEXT``, for a relay without credentials on a network the operator trusts,
lets a mail go in clear when the server offers no STARTTLS.

A failure's text says the server's reply code and never the address, nor the password (the
URL is a Secret). 4xx replies, time-outs and refused connections may pass; 5xx will not.
"""

from __future__ import annotations

import email.policy
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.clients.vendor_http import VendorFailure
from bot.config import Secret

TIMEOUT = 20.0
# A header of a mail's own is a URL in angle brackets (List-Unsubscribe), which mail clients
# read only as it is: folded at 78 characters it would be encoded (RFC 2047) instead. Such a
# mail is written with RFC 5322's limit of a line (section 2.1.1), 998 characters.
_LONG_LINES = email.policy.SMTP.clone(max_line_length=998)


class MailFailure(VendorFailure):
    """The mail server did not take the message; ``bad_address``: it refused the address or
    the message to it for good (5xx at RCPT or DATA); ``soft_bounce``: for now (4xx there:
    mailbox full, greylisting), which a caller counts."""

    def __init__(
        self, detail: str, *, retryable: bool, bad_address: bool = False, soft_bounce: bool = False
    ) -> None:
        super().__init__(detail, retryable=retryable, bad_address=bad_address)
        self.soft_bounce = soft_bounce


@dataclass(frozen=True)
class Mail:
    """One message: plain text with an HTML alternative."""

    sender: str
    to: str
    subject: str
    text: str
    html: str
    # Headers of its own (a status page notice's List-Unsubscribe, RFC 8058).
    headers: Mapping[str, str] = field(default_factory=dict)
    # The return address (SMTP's MAIL FROM, RFC 5321 section 3.3), where bounces go and what
    # the receiving server writes as Return-Path; none: the From address. No Return-Path
    # header is written here: the server that delivers the mail adds it (section 4.4).
    envelope_from: str = ""

    def message(self, domain: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, self.to, self.subject
        message["Message-ID"] = make_msgid(domain=domain)
        # Auto-Submitted: paging mail is sent by a machine; out-of-office replies stay away.
        message["Auto-Submitted"] = "auto-generated"
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


class NoTls(MailFailure):
    """The server offers no STARTTLS, and the mail may not go in clear text."""

    def __init__(self) -> None:
        super().__init__(
            "the mail server offers no STARTTLS, and warroom sends no password or "
            "acknowledgement link in clear text (use smtps:// or a server with STARTTLS)",
            retryable=False,
        )


async def send_mail(
    smtp_url: Secret, mail: Mail, *, plaintext: bool = False, timeout: float = TIMEOUT
) -> str:
    """Send ``mail`` through the server ``smtp_url`` names, over TLS (``plaintext``: in clear
    when the server offers no STARTTLS and the URL holds no credentials); its Message-ID."""
    parts = urlsplit(str(smtp_url))
    implicit = parts.scheme == "smtps"
    message = _written(mail)
    client = aiosmtplib.SMTP(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        use_tls=implicit,
        start_tls=False,  # upgraded below, where a server without STARTTLS is refused
        tls_context=ssl.create_default_context(),
        timeout=timeout,
    )
    try:
        async with client:
            if not implicit:
                await _upgrade(client, in_clear=plaintext and not parts.username)
            if parts.username:
                await client.login(unquote(parts.username), unquote(parts.password or ""))
            await _hand_over(client, mail, message)
    except (aiosmtplib.SMTPException, OSError) as error:
        raise _failure(error, timeout) from None
    return str(message["Message-ID"])


def _written(mail: Mail) -> EmailMessage:
    """``mail`` as the message sent; MailFailure (for good) when it cannot be written."""
    try:
        return mail.message(domain=mail.sender.rpartition("@")[2] or "warroom")
    except ValueError:
        # The email package refuses a header with a line break in it (header injection):
        # this mail is never sendable as it is, and says so without its text.
        raise MailFailure(
            "the mail was not written: a header holds a line break", retryable=False
        ) from None


async def _hand_over(client: aiosmtplib.SMTP, mail: Mail, message: EmailMessage) -> None:
    """Send ``message`` on the open connection: with its own headers or envelope sender as
    written (long lines kept), else as the email package sends it."""
    if mail.headers or mail.envelope_from:
        sender = mail.envelope_from or parseaddr(mail.sender)[1] or mail.sender
        await client.sendmail(sender, [mail.to], message.as_bytes(policy=_LONG_LINES))
    else:
        await client.send_message(message)


def _failure(error: Exception, timeout: float) -> MailFailure:
    """What a failure to send says, and whether it is worth retrying: a refused address or
    message (4xx for now, 5xx for good), a refusal, no answer in time, or no server."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [recipient.code for recipient in error.recipients] or [550]
        retryable = all(400 <= code < 500 for code in codes)
        return MailFailure(
            f"the mail server refused the address (reply {codes[0]})",
            retryable=retryable,
            bad_address=not retryable,
            soft_bounce=retryable,
        )
    if isinstance(error, aiosmtplib.SMTPDataError):
        # After DATA the message has its one recipient: a refusal is the address's (RFC 5321,
        # 4.2.5: 5xx for good, 4xx for now), as a bounce would say.
        retryable = 400 <= error.code < 500
        return MailFailure(
            f"the mail server refused the message (reply {error.code} after DATA)",
            retryable=retryable,
            bad_address=not retryable,
            soft_bounce=retryable,
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        retryable = 400 <= error.code < 500
        return MailFailure(f"the mail server refused it (reply {error.code})", retryable=retryable)
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return MailFailure(
            f"no answer from the mail server within {timeout:g} seconds", retryable=True
        )
    return MailFailure(f"could not reach the mail server ({type(error).__name__})", retryable=True)


async def _upgrade(client: aiosmtplib.SMTP, *, in_clear: bool) -> None:
    """STARTTLS (RFC 3207); without it, NoTls unless the mail may go ``in_clear``."""
    await client.ehlo()
    if client.supports_extension("starttls"):
        await client.starttls()
    elif not in_clear:
        raise NoTls()
