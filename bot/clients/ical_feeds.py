"""Fetching an external calendar feed (an iCal layer's ``ical_url``): its bytes, or why not.

The body is read as it streams and reading stops at ``limit`` bytes (after decompression, so
a small compressed answer cannot unpack into a large one): a feed that is larger is refused
without holding more of it. Feed addresses often carry a secret of their own (PagerDuty's and
Opsgenie's do), so a failure names the host only (``feed_host``), never the whole address.
"""

from __future__ import annotations

import aiohttp

# Read at a time; the limit is checked after each.
_CHUNK = 64 * 1024
HEADERS = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "warroom (on-call calendar)"}


class FeedUnreachable(Exception):
    """The feed could not be had; the message says why, in words for an operator."""


def feed_host(url: str) -> str:
    """``https://example.com/…``: where the feed is, without its path or query (the secret)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    return f"{scheme}://{host}/…"


async def fetch_feed(http: aiohttp.ClientSession, url: str, *, limit: int, timeout: float) -> bytes:
    """GET the feed; its body, at most ``limit`` bytes; FeedUnreachable says why not."""
    try:
        async with http.get(
            url, headers=HEADERS, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
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
    except TimeoutError:
        raise FeedUnreachable(f"{feed_host(url)} did not answer within {timeout:g} s") from None
    except aiohttp.ClientError as error:
        # The error's text may quote the address: name its kind and the host only.
        raise FeedUnreachable(
            f"could not fetch from {feed_host(url)} ({type(error).__name__})"
        ) from None


def _too_large(url: str, limit: int, announced: int | None) -> str:
    size = f"{announced:,} bytes" if announced is not None else "more"
    return f"{feed_host(url)} sent {size}: a feed of more than {limit // 1_000_000} MB is refused"
