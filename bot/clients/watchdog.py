"""The watchdog's ping: an empty POST to the address the operator gave
(``WARROOM_WATCHDOG_URL``), which every target takes:

- healthchecks.io: ``HEAD``, ``GET`` or ``POST https://hc-ping.com/<uuid>``, answered
  ``200 OK`` (https://healthchecks.io/docs/http_api/, "Pinging API"); a missing ping is what
  its check notices;
- Opsgenie: ``GET``, ``POST``, ``PUT`` or ``PATCH
  https://api.opsgenie.com/v2/heartbeats/<name>/ping`` with ``Authorization: GenieKey <key>``,
  answered 202 with ``"PONG - Heartbeat received"``
  (https://docs.opsgenie.com/docs/heartbeat-api, "Ping Heartbeat Request");
- another warroom: ``POST /heartbeats/<name>`` with ``Authorization: Bearer <its alert
  token>``, answered 200 (docs/heartbeats.md).

The address's path and the header are secrets (a check's UUID, a key): a failure names the
address's scheme, host and port only (``vendor_http.origin``), never its path.
"""

from __future__ import annotations

import aiohttp
from yarl import URL

from bot.clients.vendor_http import VendorFailure, call_json, origin

# Seconds a ping may take: a minute's interval leaves room, and a slow answer is a failed one.
TIMEOUT = 10.0


class PingFailure(VendorFailure):
    """The watched service did not answer the ping 2xx."""


async def ping(
    http: aiohttp.ClientSession, url: str, authorization: str, *, timeout: float = TIMEOUT
) -> int:
    """POST nothing to ``url``; the status answered (2xx), else PingFailure says why."""
    headers = {"Authorization": authorization} if authorization else None
    answer = await call_json(
        http, "POST", url, None, timeout=timeout, failure=PingFailure, headers=headers
    )
    if 200 <= answer.status < 300:
        return answer.status
    raise PingFailure(
        f"{origin(URL(url))} answered HTTP {answer.status}",
        retryable=True,
        status=answer.status,
    )
