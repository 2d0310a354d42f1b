"""Email by SMTP (``WARROOM_SMTP_URL``): ``smtp://user:pass@host:587`` upgraded with STARTTLS
whenever the server offers it, ``smtps://user:pass@host:465`` in TLS from the start;
certificates are checked against the system's store (OpenSSL's default paths, so
``SSL_CERT_FILE`` is honoured). aiosmtplib, on the event loop: a slow server holds only its
own notification.

A failure's text says the server's reply code and never the address, nor the password (the
URL is a Secret). 4xx replies, time-outs and refused connections may pass; 5xx will not.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.clients.vendor_http import VendorFailure
from bot.config import Secret

TIMEOUT = 20.0


class MailFailure(VendorFailure):
    """The mail server did not take the message."""


@dataclass(frozen=True)
class Mail:
    """One message: plain text with an HTML alternative."""

    sender: str
    to: str
    subject: str
    text: str
    html: str

    def message(self, domain: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, self.to, self.subject
        message["Message-ID"] = make_msgid(domain=domain)
        # Auto-Submitted: paging mail is sent by a machine; out-of-office replies stay away.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


async def send_mail(smtp_url: Secret, mail: Mail, *, timeout: float = TIMEOUT) -> str:
    """Send ``mail`` through the server ``smtp_url`` names; the message's Message-ID."""
    parts = urlsplit(str(smtp_url))
    implicit = parts.scheme == "smtps"
    message = mail.message(domain=mail.sender.rpartition("@")[2] or "warroom")
    try:
        await aiosmtplib.send(
            message,
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=None if not implicit else False,  # None: STARTTLS when offered
            tls_context=ssl.create_default_context(),
            timeout=timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as refused:
        codes = [recipient.code for recipient in refused.recipients] or [550]
        retryable = all(400 <= code < 500 for code in codes)
        raise MailFailure(
            f"the mail server refused the address (reply {codes[0]})",
            retryable=retryable,
            bad_address=not retryable,
        ) from None
    except aiosmtplib.SMTPResponseException as error:
        retryable = 400 <= error.code < 500
        raise MailFailure(
            f"the mail server refused it (reply {error.code})", retryable=retryable
        ) from None
    except aiosmtplib.SMTPTimeoutError:
        raise MailFailure(
            f"no answer from the mail server within {timeout:g} seconds", retryable=True
        ) from None
    except (aiosmtplib.SMTPException, OSError) as error:
        raise MailFailure(
            f"could not reach the mail server ({type(error).__name__})", retryable=True
        ) from None
    return str(message["Message-ID"])
