"""E-mail integrations (``warroom integrations create --kind email``): each an address on the
inbound SMTP listener warroom already runs for status page bounces
(``bot.flows.status_page.bounces``), ``<key>@`` WARROOM_BOUNCE_DOMAIN, the key kept hashed
as every integration's.

At ``RCPT TO`` an address of an integration's shape (``wr_int_…@`` the domain) is looked up:
one no working e-mail integration has is refused with 550 5.1.1 (RFC 5321, 4.2.3), saying
nothing of which exist. The message (at most the listener's size, else 552) is read in the
listener's worker process (``bot/basics/untrusted.py``; past ``WARROOM_PARSE_SECONDS``: 554
5.6.0) by ``bot.record.alerting.sources.email``: automatic replies and bounces are answered
250 and dropped (so no loop starts); a message without a subject is refused with 554 5.6.0;
an alert is stored as a webhook's body is (``PayloadWriter``), with the envelope's
reverse-path as its ``Return-Path`` and the integration's id where its address's key stood,
and answered 250; a database that fails, 451 (the relay
sends it again). No address is logged above DEBUG.
"""

from __future__ import annotations

import logging

from bot.basics.key_digest import stand_in, without_key
from bot.basics.untrusted import ParseTooSlow, UntrustedParsing
from bot.flows.alerting.intake import PayloadWriter
from bot.record.alerting import integrations
from bot.record.alerting.sources.email.receiver import KIND as EMAIL_KIND
from bot.record.alerting.sources.email.receiver import RETURN_PATH, mail_verdict
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Integration

log = logging.getLogger(__name__)


class MailAlerts:
    """The listener's e-mail integrations: which addresses are theirs, and a message taken."""

    def __init__(self, services: Services, payloads: PayloadWriter) -> None:
        self.services = services
        self.payloads = payloads

    def _key(self, address: str) -> str | None:
        """The integration key an address of this domain carries, if it has one's shape."""
        local, _, domain = address.rpartition("@")
        expected = self.services.settings.bounces.domain
        if not expected or domain.lower() != expected.lower():
            return None
        local = local.lower()
        return local if local.startswith(integrations.PREFIX) else None

    def addressed(self, address: str) -> bool:
        """Whether ``address`` is of an e-mail integration's shape (known or not)."""
        return self._key(address) is not None

    async def integration(self, address: str) -> Integration | None:
        """The working e-mail integration ``address`` is, if any."""
        key = self._key(address)
        if key is None:
            return None
        async with session_scope(self.services.engine) as session:
            return await integrations.keyed(session, EMAIL_KIND, key)

    async def take(
        self, address: str, mail_from: str | None, content: bytes, parsing: UntrustedParsing
    ) -> str:
        """A message to ``address``: stored as its integration's alert, or dropped; the
        SMTP answer."""
        arrived = self.services.clock()
        try:
            integration = await self.integration(address)
        except Exception as error:
            log.warning("An alert e-mail not stored (%s)", type(error).__name__)
            return "451 4.3.0 Try again later"
        if integration is None:  # revoked since RCPT
            return "550 5.1.1 No such mailbox here"
        # Kept with the envelope's reverse-path, so a stored bounce reads as one again; and
        # without the integration's key (its address's local part, in To: and Received:
        # lines alike): its id stands there.
        reverse_path = (mail_from or "").strip().strip("<>")
        text = f"{RETURN_PATH}: <{reverse_path}>\r\n" + content.decode("utf-8", "replace")
        text = without_key(text, self._key(address), stand_in(integration.id))
        try:
            verdict = await parsing.run(mail_verdict, text, arrived)
        except ParseTooSlow as slow:
            log.warning("An alert e-mail of %d bytes refused: %s", len(content), slow)
            self.services.metrics.alert_payload(EMAIL_KIND, "too_slow")
            return "554 5.6.0 Message refused: it could not be read in time"
        if isinstance(verdict, str):
            refused = verdict.startswith("Subject")
            self.services.metrics.alert_payload(EMAIL_KIND, "invalid" if refused else "ignored")
            if refused:
                return "554 5.6.0 Message refused: it needs a subject, the alert's title"
            log.info("An alert e-mail dropped: %s", verdict)
            return "250 2.0.0 OK"
        try:
            await self.payloads.accept(
                source=EMAIL_KIND,
                body=text,
                notification=integrations.scoped(verdict, integration),
                arrived=arrived,
                integration_id=integration.id,
            )
        except Exception as error:
            log.warning("An alert e-mail not stored (%s)", type(error).__name__)
            return "451 4.3.0 Try again later"
        self.services.metrics.alert_payload(EMAIL_KIND, "accepted")
        return "250 2.0.0 OK"
