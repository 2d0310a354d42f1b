"""The bounce listener: an SMTP server (aiosmtpd, on the application's event loop) that takes the
mail of e-mail integrations (``bot.flows.alerting.mail_alerts``: ``wr_int_…@`` the bounce
domain, each an alert) and the
delivery status notifications (RFC 3464) sent back to subscribers' return addresses and marks
an address that failed for good bouncing, as a refusal while sending does.

Only ``RCPT TO`` one of this warroom's return addresses (``bounces+<id>-<mac>@`` the bounce
domain, its token signed: ``bot.record.status_page.bounces``) is taken, one a message; any
other is refused with 550 (RFC 5321, section 4.2.3: mailbox unavailable), a second one a
message with 452 (section 4.5.3.1.10). A message over ``REPORT_BYTES_MAX`` is refused with 552,
and the limit is said in the ``EHLO`` answer (``SIZE``, RFC 1870). A report that cannot be
recorded now (the database failed) is answered 451, and its relay sends it again later. Every
message taken is answered 250, read or not: a report that cannot be read, or a reply that is
not one, is logged at DEBUG and changes nothing (never marked on guesswork). Neither an address
nor a token is logged above DEBUG (a subscription is named by its id); aiosmtpd's own lines
have them masked (``bot.basics.logs``).

Anyone who can reach the port can send it anything, and the standard library's ``email``
parser takes time worse than quadratic in some malformed headers: a report is read in a worker
process of the listener's own (``bot/basics/untrusted.py``), given ``WARROOM_PARSE_SECONDS``;
one that takes longer is refused with 554 5.6.0 (RFC 5321, 4.2.3; RFC 3463: a media error,
permanent: sent again it would take as long) and said in the log. The listener binds
``WARROOM_BOUNCE_SMTP_HOST`` (loopback unless told otherwise) and holds at most
``WARROOM_BOUNCE_SMTP_SESSIONS`` sessions: a client past them is answered 421 4.3.2 and
disconnected (RFC 5321, 3.8: its relay tries again later).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError

from bot.basics.untrusted import ParseTooSlow, UntrustedParsing
from bot.flows.alerting.intake import PayloadWriter
from bot.flows.alerting.mail_alerts import MailAlerts
from bot.record.status_page import subscriptions as subscribers
from bot.record.status_page.bounces import Verdict, read_report, subscription_of, token_of
from bot.services import PARSERS, Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
# A report carries the message it is about (ours: a few tens of kilobytes, text and HTML) or
# its headers alone: a megabyte is ample, and more is refused (552).
REPORT_BYTES_MAX = 1024 * 1024
# A client that says nothing for this long is disconnected (RFC 5321, section 4.5.3.2, asks
# servers for 5 minutes; a relay sending a report is never that slow).
IDLE_SECONDS = 60.0
# RFC 5321, 3.8 and 4.2.3: the service cannot take the session now, the client may try later.
TOO_MANY_SESSIONS = b"421 4.3.2 Too many connections, try again later\r\n"


class BounceHandler:
    """aiosmtpd's handler: ``handle_RCPT`` and ``handle_DATA``; mail to an e-mail
    integration's address is ``alerts``'s (``bot.flows.alerting.mail_alerts``)."""

    def __init__(
        self, services: Services, parsing: UntrustedParsing, alerts: MailAlerts | None = None
    ) -> None:
        self.services = services
        self.parsing = parsing
        self.alerts = alerts

    def _subscription(self, address: str) -> int | None:
        bounces = self.services.settings.bounces
        return subscription_of(address, domain=bounces.domain, secret=str(bounces.secret))

    async def handle_RCPT(
        self,
        server: SMTP,  # noqa: ARG002 - aiosmtpd's signature
        session: Session,  # noqa: ARG002
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],  # noqa: ARG002
    ) -> str:
        if self.alerts is not None and self.alerts.addressed(address):
            return await self._alert_recipient(envelope, address)
        if self._subscription(address) is None:
            if token_of(address, domain=self.services.settings.bounces.domain) is not None:
                # Forged, damaged, or signed with an earlier WARROOM_BOUNCE_SECRET.
                log.info("Status page bounces: a return address whose token is not ours refused")
            else:
                log.debug("Status page bounces: a recipient refused (not a return address)")
            return "550 5.1.1 No such mailbox here"
        if envelope.rcpt_tos:
            # A report goes to one return address; another one comes in its own message.
            return "452 4.5.3 One recipient a message"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def _alert_recipient(self, envelope: Envelope, address: str) -> str:
        assert self.alerts is not None
        try:
            known = await self.alerts.integration(address) is not None
        except (SQLAlchemyError, OSError):
            return "451 4.3.0 Try again later"
        if not known:
            log.debug("Alert e-mail: a recipient refused (no such integration)")
            return "550 5.1.1 No such mailbox here"
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient a message"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(
        self,
        server: SMTP,  # noqa: ARG002 - aiosmtpd's signature
        session: Session,  # noqa: ARG002
        envelope: Envelope,
    ) -> str:
        if self.alerts is not None and self.alerts.addressed(envelope.rcpt_tos[0]):
            content = envelope.original_content or b""
            return await self.alerts.take(
                envelope.rcpt_tos[0], envelope.mail_from, content, self.parsing
            )
        subscription_id = self._subscription(envelope.rcpt_tos[0])
        content = envelope.original_content or b""
        try:
            verdict = await self.parsing.run(read_report, content)
        except ParseTooSlow as slow:
            log.warning(
                "Status page bounces: a report of %d bytes for subscription %s refused: %s",
                len(content),
                subscription_id,
                slow,
            )
            return "554 5.6.0 Report refused: it could not be read in time"
        if subscription_id is None or verdict is not Verdict.FAILED:
            log.debug("Status page bounces: %s for subscription %s", verdict, subscription_id)
            return "250 2.0.0 OK"
        try:
            async with session_scope(self.services.engine) as db:
                marked = await subscribers.mark_bouncing(
                    db, subscription_id, now=self.services.clock()
                )
                await db.commit()
        except (SQLAlchemyError, OSError) as error:
            # The relay keeps the report and sends it again later (RFC 5321, 4.2.5: 4xx).
            log.warning(
                "Status page bounces: subscription %s not marked, the database failed (%s)",
                subscription_id,
                type(error).__name__,
            )
            return "451 4.3.0 Try again later"
        if marked:
            log.info(
                "Status page: subscription %s is bouncing (a delivery report: failed for good)",
                subscription_id,
            )
        return "250 2.0.0 OK"


class BounceListener:
    """The listener, started and stopped with the application (``bot/app.py``) when
    ``WARROOM_BOUNCE_DOMAIN`` is set; it binds ``WARROOM_BOUNCE_SMTP_HOST``:``_PORT``."""

    def __init__(self, services: Services, payloads: PayloadWriter | None = None) -> None:
        self.services = services
        # E-mail integrations' mail, stored as alerts (none in a process without intake).
        self.alerts = MailAlerts(services, payloads) if payloads is not None else None
        self._server: asyncio.Server | None = None
        self._sessions: set[SMTP] = set()
        # The listener's own worker: a stranger's reports never wait on alert bodies' nor
        # delay them.
        self.parsing = UntrustedParsing(
            workers=1, seconds=services.settings.runtime.parse_seconds, preload=PARSERS
        )
        # Whether the refusals of the last time it was full were said in the log already.
        self._full_said = False

    @property
    def port(self) -> int:
        """The port it listens on (the one configured)."""
        assert self._server is not None and self._server.sockets
        number: int = self._server.sockets[0].getsockname()[1]
        return number

    @property
    def host(self) -> str:
        """The address it listens on."""
        assert self._server is not None and self._server.sockets
        address: str = self._server.sockets[0].getsockname()[0]
        return address

    async def start(self) -> None:
        bounces = self.services.settings.bounces
        loop = asyncio.get_running_loop()
        handler = BounceHandler(self.services, self.parsing, self.alerts)

        def smtp() -> asyncio.BaseProtocol:
            if len(self._sessions) >= bounces.smtp_sessions:
                if not self._full_said:
                    log.warning(
                        "Status page bounces: %d SMTP sessions open, more are refused (421) "
                        "until one ends (WARROOM_BOUNCE_SMTP_SESSIONS)",
                        len(self._sessions),
                    )
                    self._full_said = True
                return _Refused()
            self._full_said = False
            protocol = _Session(
                self._sessions,
                handler,
                data_size_limit=REPORT_BYTES_MAX,
                hostname=bounces.domain,  # else aiosmtpd looks up this host's name each time
                ident="warroom bounces",
                timeout=IDLE_SECONDS,
                loop=loop,
            )
            self._sessions.add(protocol)
            return protocol

        host, port = bounces.smtp_host, bounces.smtp_port
        self._server = await loop.create_server(smtp, host=host, port=port)
        log.info("Status page: reading bounces by SMTP on %s:%s", host, port)

    async def stop(self) -> None:
        """Stop listening, and end the sessions still open (a message half sent is sent
        again by its relay: it had no answer)."""
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await self._server.wait_closed()
        self._server = None
        await self.parsing.close()


class _Session(SMTP):
    """One client's session, forgotten by the listener when its connection ends."""

    def __init__(self, sessions: set[SMTP], handler: Any, **options: Any) -> None:
        super().__init__(handler, **options)
        self._all = sessions

    def connection_lost(self, error: Exception | None) -> None:
        self._all.discard(self)
        super().connection_lost(error)


class _Refused(asyncio.Protocol):
    """A connection past the session cap: told so, and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(TOO_MANY_SESSIONS)
        transport.close()
