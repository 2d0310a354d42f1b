"""What the clients of PagerDuty, the trackers and Statuspage share: one JSON call, its answer
read, and the failure that says whether trying again may help.

A connection that fails or an answer that never comes is always worth trying again; what an
answer's status means is each vendor's to say. Secrets go in headers or the body only: never
in a failure's text, which is shown in Slack and kept on rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aiohttp

from bot.basics.numbers import parse_bounded_int

# A longer Retry-After is read as a day: the call is retried, not parked for years.
RETRY_AFTER_MAX_SECONDS = 86_400


class VendorFailure(Exception):
    """The vendor did not take the call; ``retryable`` says whether trying again may help,
    ``status`` is the HTTP status answered (None when none came), ``retry_after`` the wait
    asked for, in seconds; ``timed_out``: no answer came within the time given;
    ``bad_address``: the address itself is refused for good."""

    def __init__(
        self,
        detail: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        timed_out: bool = False,
        bad_address: bool = False,
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
    """Send ``payload`` as JSON (none for a GET) and read the answer, whatever its status;
    raise ``failure`` (retryable) when the connection fails or no answer comes within
    ``timeout`` seconds."""
    try:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with http.request(
            method, url, json=payload, headers=headers, timeout=limit
        ) as response:
            return Answer(response.status, await response.text(), response.headers)
    except TimeoutError:
        raise failure(
            f"no answer within {timeout:g} seconds", retryable=True, timed_out=True
        ) from None
    except aiohttp.ClientError as error:
        raise failure(f"connection failed ({type(error).__name__})", retryable=True) from None


def retry_after_seconds(raw: str | None) -> float | None:
    """Seconds from a Retry-After header; float() would take "inf", "nan" and "1e400", whose
    timedelta overflows, so only whole ASCII seconds count, and no more than a day."""
    seconds = parse_bounded_int(raw, 0, 10**12)
    return float(min(seconds, RETRY_AFTER_MAX_SECONDS)) if seconds is not None else None


def seconds_until(reset_at: float) -> float:
    """The wait until a rate limit's reset time (Unix seconds, as GitHub and Linear give it):
    at least a second, at most ``RETRY_AFTER_MAX_SECONDS``."""
    return float(min(max(reset_at - time.time(), 1.0), RETRY_AFTER_MAX_SECONDS))
