"""The POST to a Workflows webhook: 2xx (Workflows answers 202) is taken; 429 and 5xx and no
answer may pass; other 4xx will not. Failures name the status,
never the URL (its ``sig=`` is the secret)."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.clients.vendor_http import VendorFailure, call_json
from bot.config import Secret

TIMEOUT = 10.0


class TeamsFailure(VendorFailure):
    """Teams' Workflows did not take the card."""


async def post_card(
    http: aiohttp.ClientSession, url: Secret, message: dict[str, Any], *, timeout: float = TIMEOUT
) -> None:
    answer = await call_json(http, "POST", str(url), message, timeout=timeout, failure=TeamsFailure)
    if 200 <= answer.status < 300:
        return
    retryable = answer.status == 429 or answer.status >= 500
    raise TeamsFailure(
        f"Teams Workflows answered HTTP {answer.status}",
        retryable=retryable,
        status=answer.status,
        retry_after=answer.retry_after,
    )
