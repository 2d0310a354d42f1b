"""Amazon SNS's side of an HTTPS subscription: the certificates its messages are signed with,
and a subscription's confirmation (its ``SubscribeURL`` visited,
https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html).

Only a URL ``bot.record.alerting.sources.cloudwatch.sns.aws_url`` calls SNS's own is fetched
(the caller checks it; ``fetch`` refuses any other too), over HTTPS with the system's trust,
redirects not followed, in at most ``FETCH_SECONDS``, at most ``max_bytes`` read. Certificates
are kept by URL for ``CERTIFICATE_TTL`` (AWS names a new one by a new URL), at most
``CERTIFICATES_KEPT`` of them.

``resolver`` and ``ssl`` are aiohttp's (the system's resolver and trust store): a test gives
its own, so that ``sns.<region>.amazonaws.com`` reaches its fake SNS on 127.0.0.1 with a
certificate it trusts, while the hosts allowed stay AWS's alone (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import ssl as tls
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.record.alerting.sources.cloudwatch.sns import CERTIFICATE_BYTES_MAX, aws_url

log = logging.getLogger(__name__)
FETCH_SECONDS = 5.0
CERTIFICATE_TTL = 24 * 3600.0
CERTIFICATES_KEPT = 32
# SNS's answer to a confirmation: a small XML document.
CONFIRMATION_BYTES_MAX = 64 * 1024


class SnsUnreachable(Exception):
    """SNS did not answer, or not in time: the message may be sent again."""


class NotSns(Exception):
    """The URL is not SNS's, or SNS answered it with an error or too much: refused."""


@dataclass
class SnsClient:
    """Fetches from SNS: certificates (kept) and confirmations."""

    resolver: AbstractResolver | None = None
    ssl: tls.SSLContext | bool = True
    _certificates: dict[str, tuple[float, bytes]] = field(default_factory=dict)
    # One fetch of a URL at a time: a burst of alarms on a cold start fetches it once.
    _fetching: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def certificate(self, url: str) -> bytes:
        """The PEM certificate at ``url`` (SNS's), fetched once a day."""
        if (kept := self._kept(url)) is not None:
            return kept
        lock = self._fetching.setdefault(url, asyncio.Lock())
        try:
            async with lock:
                if (kept := self._kept(url)) is not None:
                    return kept
                pem = await self.fetch(url, CERTIFICATE_BYTES_MAX)
        finally:
            if not lock.locked():
                self._fetching.pop(url, None)
        if len(self._certificates) >= CERTIFICATES_KEPT:
            self._certificates.pop(next(iter(self._certificates)))
        self._certificates[url] = (time.monotonic(), pem)
        return pem

    def _kept(self, url: str) -> bytes | None:
        kept = self._certificates.get(url)
        return (
            kept[1] if kept is not None and time.monotonic() - kept[0] < CERTIFICATE_TTL else None
        )

    async def confirm(self, subscribe_url: str) -> None:
        """Visit a subscription's ``SubscribeURL``: the subscription is confirmed."""
        await self.fetch(subscribe_url, CONFIRMATION_BYTES_MAX)

    async def fetch(self, url: str, max_bytes: int) -> bytes:
        """GET ``url`` (SNS's alone): its body, at most ``max_bytes``. NotSns for another
        URL, an answer other than 200 or one too long; SnsUnreachable when none came."""
        if not aws_url(url):
            raise NotSns("not an SNS URL")
        connector = aiohttp.TCPConnector(resolver=self.resolver, ssl=self.ssl)
        timeout = aiohttp.ClientTimeout(total=FETCH_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
                session.get(url, allow_redirects=False) as answer,
            ):
                if answer.status != 200:
                    raise NotSns(f"SNS answered {answer.status}")
                body = b""
                async for chunk in answer.content.iter_chunked(8192):
                    body += chunk
                    if len(body) > max_bytes:
                        raise NotSns(f"SNS's answer is longer than {max_bytes} bytes")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise SnsUnreachable(type(error).__name__) from None
        return body
