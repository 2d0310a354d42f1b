"""One page to one destination: signed, sent, its answer read (see the package's docstring).

The secret goes into the signature only; a failure's text names the status and the host,
never the secret nor the body (which names the person paged).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.clients.vendor_http import VendorFailure, retry_after_seconds
from bot.config import Secret

TIMEOUT = 10.0
SIGNATURE_HEADER = "X-Warroom-Signature"
TIMESTAMP_HEADER = "X-Warroom-Timestamp"
DELIVERY_HEADER = "X-Warroom-Delivery"


class WebhookFailure(VendorFailure):
    """The destination did not take the page."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>`` with ``secret``."""
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


# A challenge's answer is the challenge (43 characters) or a line of JSON around it: a longer
# answer is read no further (it is not the echo).
ANSWER_MAX = 1024


async def post_page(
    http: aiohttp.ClientSession,
    url: str,
    secret: Secret,
    document: dict[str, Any],
    *,
    timestamp: int,
    delivery: str,
    timeout: float = TIMEOUT,
    answer_max: int = 0,
) -> bytes:
    """POST ``document``; WebhookFailure unless the destination answers 2xx (5xx, 429, no
    answer: worth trying again; a redirect or another 4xx: not). The first ``answer_max``
    bytes of the answer's body (a challenge's echo), read within the same ``timeout``."""
    body = json.dumps(document, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "warroom",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(str(secret), timestamp, body),
        DELIVERY_HEADER: delivery,
    }
    host = urlsplit(url).hostname or "the destination"
    try:
        async with http.post(
            url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            status, wait = response.status, response.headers.get("Retry-After")
            ok = 200 <= status < 300
            answer = await _start_of(response, answer_max) if ok else b""
    except TimeoutError:
        raise WebhookFailure(
            f"no answer from {host} within {timeout:g} seconds", retryable=True, timed_out=True
        ) from None
    except aiohttp.ClientError as error:
        raise WebhookFailure(
            f"connection to {host} failed ({type(error).__name__})", retryable=True
        ) from None
    if ok:
        return answer
    raise _failure(host, status, retry_after_seconds(wait))


async def _start_of(response: aiohttp.ClientResponse, most: int) -> bytes:
    """The first ``most`` bytes of the body, however the server cuts it in chunks."""
    read = b""
    while len(read) < most and (chunk := await response.content.read(most - len(read))):
        read += chunk
    return read


def _failure(host: str, status: int, wait: float | None) -> WebhookFailure:
    if 300 <= status < 400:
        # Never followed: the signature is for this destination only.
        return WebhookFailure(
            f"{host} answered HTTP {status} (a redirect, not followed)",
            retryable=False,
            status=status,
        )
    retryable = status == 429 or status >= 500
    return WebhookFailure(
        f"{host} answered HTTP {status}", retryable=retryable, status=status, retry_after=wait
    )
