"""A real SMTP server for tests: aiosmtpd's Controller on 127.0.0.1, plain (no STARTTLS)
unless given a TLS context, and the mailbox it serves."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# RFC 5321 section 4.2.2 (the enhanced status code after it is RFC 3463's): the mailbox does
# not exist or takes no mail, for good.
MAILBOX_UNAVAILABLE = "550 5.1.1 mailbox unavailable"


class Mailbox:
    """An SMTP server's handler (aiosmtpd's ``handle_RCPT`` and ``handle_DATA``): keeps each
    message it takes, whom it was for and whether it came over TLS, and refuses as it is told,
    with RFC 5321's reply codes (section 4.2.1: 2yz done; 4yz a transient failure, the client
    may try again; 5yz a permanent one, it should not; section 4.2.2: the codes by command):

    - ``rcpt_reply[address]``: the reply to ``RCPT TO:<address>`` instead of ``250`` (section
      3.3), e.g. ``550`` mailbox unavailable (``refused`` at the start), ``452`` insufficient
      system storage;
    - ``data_reply[address]``: the reply, for mail to the address, to the end of the message's
      data instead of ``250`` (section 4.1.1.4), e.g. ``554`` transaction failed, ``552``
      exceeded storage allocation (a full mailbox, a content filter).

    ``tries`` counts the refusals given. The ``x.y.z`` after a code is RFC 3463's enhanced
    status code, as real servers send it."""

    def __init__(self, refused: Iterable[str] = ()) -> None:
        self.messages: list[Message] = []
        self.tls: list[bool] = []
        # Whom each mail was for (the envelope's recipients), in order.
        self.to: list[str] = []
        self.rcpt_reply: dict[str, str] = dict.fromkeys(refused, MAILBOX_UNAVAILABLE)
        self.data_reply: dict[str, str] = {}
        self.tries = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.rcpt_reply:
            self.tries += 1
            return self.rcpt_reply[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for address in envelope.rcpt_tos:
            if address in self.data_reply:
                self.tries += 1
                return self.data_reply[address]
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        self.tls.append(session.ssl is not None)
        self.to.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's Controller checks its own by connecting)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(handler: object, **options: Any) -> Iterator[int]:
    """Serve SMTP with ``handler`` (a ``Mailbox``, or aiosmtpd's ``handle_RCPT``,
    ``handle_DATA``...) until the block ends, with the Controller's ``options``
    (``tls_context``, ``require_starttls``...); its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
