"""Fetching an external calendar feed (an iCal layer's ``ical_url``): its bytes, or why not.

The body is read as it streams and reading stops at ``limit`` bytes (after decompression, so
a small compressed answer cannot unpack into a large one): a feed that is larger is refused
without holding more of it. Feed addresses often carry a secret of their own (PagerDuty's and
Opsgenie's do), so a failure names the host only (``feed_host``), never the whole address.

Where warroom connects (``bot/record/oncall/feed_addresses.py`` says what is allowed): each
fetch has a connection pool of its own (``bot/clients/public_hosts.py``) whose resolver
drops every loopback, link-local, private or reserved address a name resolves to, so the
address checked is the address connected to, whatever the name resolves to next time (DNS
rebinding); a literal IP, which no resolver sees, is checked before the request. No proxy
from the environment is used. A redirect is followed only to the same host, at most
``MAX_REDIRECTS`` times, each new address checked again; one to another host is refused,
and the reason names it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import aiohttp
from yarl import URL

from bot.basics.addresses import address_refusal, normal_host
from bot.clients.public_hosts import public_session
from bot.clients.vendor_http import redirect_location
from bot.record.oncall.feed_addresses import FEEDS

# Read at a time; the limit is checked after each.
_CHUNK = 64 * 1024
HEADERS = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "warroom (on-call calendar)"}
# Same-host redirects followed before the fetch counts as failed.
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FeedUnreachable(Exception):
    """The feed could not be had; the message says why, in words for an operator."""


def feed_host(url: str) -> str:
    """``https://example.com/…``: where the feed is, without its path or query (the secret)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    return f"{scheme}://{host}/…"


async def fetch_feed(url: str, *, allowed: Collection[str], limit: int, timeout: float) -> bytes:
    """GET the feed from where it may be fetched; its body, at most ``limit`` bytes;
    FeedUnreachable says why not (``timeout``: seconds for the whole, redirects included)."""
    refused: str | None = None
    try:
        async with public_session(allowed) as (http, resolver), asyncio.timeout(timeout):
            try:
                return await _follow(http, url, allowed=allowed, limit=limit)
            finally:
                refused = resolver.refused
    except TimeoutError:
        raise FeedUnreachable(f"{feed_host(url)} did not answer within {timeout:g} s") from None
    except aiohttp.ClientError as error:
        if refused is not None:
            raise FeedUnreachable(f"not fetched from {feed_host(url)}: {refused}") from None
        # The error's text may quote the address: name its kind and the host only.
        raise FeedUnreachable(
            f"could not fetch from {feed_host(url)} ({type(error).__name__})"
        ) from None


async def _follow(
    http: aiohttp.ClientSession, url: str, *, allowed: Collection[str], limit: int
) -> bytes:
    """The feed's body, following same-host redirects."""
    first = URL(url)
    current = first
    for _ in range(MAX_REDIRECTS + 1):
        if refusal := address_refusal(current.scheme, current.host or "", allowed, FEEDS):
            raise FeedUnreachable(f"not fetched from {feed_host(str(current))}: {refusal}")
        async with http.get(current, headers=HEADERS, allow_redirects=False) as response:
            if response.status not in _REDIRECTS:
                return await _body(response, url, limit)
            target = _redirect_target(current, response)
        if normal_host(target.host or "") != normal_host(first.host or ""):
            raise FeedUnreachable(
                f"{feed_host(url)} redirected to another host ({feed_host(str(target))}): "
                "warroom follows a feed's redirects on its own host only; put the address it "
                "redirects to in ical_url if that is where the feed is"
            )
        current = target
    raise FeedUnreachable(f"{feed_host(url)} redirected more than {MAX_REDIRECTS} times")


def _redirect_target(current: URL, response: aiohttp.ClientResponse) -> URL:
    target = redirect_location(current, response.headers)
    if target is None:
        raise FeedUnreachable(
            f"{feed_host(str(current))} answered HTTP {response.status} with no usable Location"
        )
    return target


async def _body(response: aiohttp.ClientResponse, url: str, limit: int) -> bytes:
    if response.status != 200:
        status = f"{response.status} {response.reason or ''}".strip()
        raise FeedUnreachable(f"{feed_host(url)} answered HTTP {status}")
    if (response.content_length or 0) > limit:
        raise FeedUnreachable(_too_large(url, limit, response.content_length))
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            raise FeedUnreachable(_too_large(url, limit, None))
    return bytes(body)


def _too_large(url: str, limit: int, announced: int | None) -> str:
    size = f"{announced:,} bytes" if announced is not None else "more"
    return f"{feed_host(url)} sent {size}: a feed of more than {limit // 1_000_000} MB is refused"
