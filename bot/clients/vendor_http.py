"""What the clients of the vendors share (the importers, the model, ntfy, PagerDuty, the
trackers, Statuspage): one JSON call, its answer read, and the failure that says whether
trying again may help.

A connection that fails or an answer that never comes is always worth trying again; what an
answer's status means is each vendor's to say. Secrets go in headers or the body only: never
in a failure's text, which is shown in Slack and kept on rows.

Redirects: a call goes where the operator pointed it, and nowhere else. A redirect to the same
scheme, host and port is followed (at most ``MAX_REDIRECTS``; 307 and 308 keep the method and
the body, others become a GET without one, as browsers do); one to another scheme, host or
port is refused, whatever its status, and the failure names both places (never their paths,
which may hold a key), so no token, incident record or page is re-sent elsewhere.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aiohttp
from yarl import URL

from bot.basics.numbers import parse_bounded_int

# A longer Retry-After is read as a day: the call is retried, not parked for years.
RETRY_AFTER_MAX_SECONDS = 86_400
# Same-place redirects followed before the call counts as failed.
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Redirects that keep the method and the body (RFC 9110, 15.4.8 and 15.4.9).
KEEP_METHOD = frozenset({307, 308})


class VendorFailure(Exception):
    """The vendor did not take the call; ``retryable`` says whether trying again may help,
    ``status`` is the HTTP status answered (None when none came), ``retry_after`` the wait
    asked for, in seconds; ``timed_out``: no answer came within the time given;
    ``bad_address``: the address itself is refused for good; ``redirected_to``: the other
    address (scheme, host and port) a redirect pointed to, which warroom does not follow."""

    def __init__(
        self,
        detail: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        timed_out: bool = False,
        bad_address: bool = False,
        redirected_to: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.timed_out = timed_out
        # The service says the number, address or topic itself will not work (unsubscribed,
        # invalid, bouncing, forbidden): its owner should hear of it, not only the channel.
        self.bad_address = bad_address
        self.redirected_to = redirected_to


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read."""

    status: int
    text: str
    headers: Any  # case-insensitive

    @cached_property
    def body(self) -> Any:
        """The text parsed as JSON, or the text itself when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return self.text

    @property
    def body_object(self) -> dict[str, Any]:
        """The body when it is a JSON object; an empty one when it is anything else."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def retry_after(self) -> float | None:
        """The wait ``Retry-After`` asks for, in seconds (see ``retry_after_seconds``)."""
        return retry_after_seconds(self.headers.get("Retry-After"))


async def call_json(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    payload: dict[str, Any] | None,
    *,
    timeout: float,
    failure: type[VendorFailure],
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send ``payload`` as JSON (none for a GET) and read the answer, whatever its status,
    following redirects to the same place only; raise ``failure`` (retryable) when the
    connection fails or no answer comes within ``timeout`` seconds, (not retryable) when the
    vendor redirects elsewhere or too often."""
    target = URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        answer = await _call_once(http, method, target, payload, timeout, failure, headers)
        if answer.status not in REDIRECTS:
            return answer
        target = _redirect_target(target, answer, failure)
        if answer.status not in KEEP_METHOD and method != "HEAD":
            method, payload = "GET", None
    raise failure(f"{origin(URL(url))} redirected more than {MAX_REDIRECTS} times", retryable=False)


async def _call_once(
    http: aiohttp.ClientSession,
    method: str,
    url: URL,
    payload: dict[str, Any] | None,
    timeout: float,
    failure: type[VendorFailure],
    headers: dict[str, str] | None,
) -> Answer:
    try:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with http.request(
            method, url, json=payload, headers=headers, timeout=limit, allow_redirects=False
        ) as response:
            return Answer(response.status, await response.text(), response.headers)
    except TimeoutError:
        raise failure(
            f"no answer within {timeout:g} seconds", retryable=True, timed_out=True
        ) from None
    except aiohttp.ClientError as error:
        raise failure(f"connection failed ({type(error).__name__})", retryable=True) from None


async def answers(http: aiohttp.ClientSession, url: str, *, timeout: float) -> bool:
    """Whether the server at ``url`` answers a GET below 500 within ``timeout`` seconds:
    reachable and up, whatever it says of the request itself (no credentials are sent, so a
    401 or 404 is an answer too)."""
    try:
        answer = await _call_once(http, "GET", URL(url), None, timeout, VendorFailure, None)
    except VendorFailure:
        return False
    return answer.status < 500


def origin(url: URL) -> str:
    """``https://host:port``: where a call goes, without its path or query (a key's place)."""
    return f"{url.scheme}://{url.raw_host or ''}:{url.port}" if url.host else url.scheme + "://?"


def redirect_location(current: URL, headers: Any) -> URL | None:
    """The absolute address a redirect's ``Location`` names (relative to ``current``); None
    when it names none that can be read."""
    location = headers.get("Location", "")
    try:
        target = current.join(URL(location)) if location else None
    except ValueError:
        return None
    return target if target is not None and target.is_absolute() else None


def _redirect_target(current: URL, answer: Answer, failure: type[VendorFailure]) -> URL:
    """Where a redirect sends the call, when that is the same scheme, host and port."""
    target = redirect_location(current, answer.headers)
    if target is None:
        raise failure(
            f"{origin(current)} answered HTTP {answer.status} with no usable Location",
            retryable=False,
        )
    if origin(target).lower() != origin(current).lower():
        raise failure(
            f"{origin(current)} redirected to another address ({origin(target)}): warroom "
            "follows a vendor's redirects on the same scheme, host and port only; set the "
            "address it redirects to if that is where the service is",
            retryable=False,
            redirected_to=origin(target),
        )
    return target


def retry_after_seconds(raw: str | None) -> float | None:
    """Seconds from a Retry-After header; float() would take "inf", "nan" and "1e400", whose
    timedelta overflows, so only whole ASCII seconds count, and no more than a day."""
    seconds = parse_bounded_int(raw, 0, 10**12)
    return float(min(seconds, RETRY_AFTER_MAX_SECONDS)) if seconds is not None else None


def seconds_until(reset_at: float) -> float:
    """The wait until a rate limit's reset time (Unix seconds, as GitHub and Linear give it):
    at least a second, at most ``RETRY_AFTER_MAX_SECONDS``."""
    return float(min(max(reset_at - time.time(), 1.0), RETRY_AFTER_MAX_SECONDS))
