"""Paging webhooks: a page POSTed as signed JSON to a URL the team runs (its own SMS gateway,
a Signal or Matrix bridge), the ``webhook`` method.

Headers: ``X-Warroom-Timestamp`` (Unix seconds at sending), ``X-Warroom-Signature``
(``v1=`` and the hex HMAC-SHA256, with the destination's secret, of the timestamp, a dot and
the raw body: the timestamp is signed, so a receiver that refuses timestamps older than its
replay window, 5 minutes in the README's example, refuses a captured request sent again), and
``X-Warroom-Delivery`` (the notification's id: the same on a retry, for receivers that drop
duplicates). Redirects are never followed; any answer but 2xx is a failure that says why.

- ``sending``: the request and what its answer means.

May import: ``bot.basics``, ``bot.config`` and ``bot/clients/*.py`` (vendor_http).
"""

from bot.clients.webhook.sending import (
    ANSWER_MAX,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    post_page,
    sign,
)

__all__ = ["ANSWER_MAX", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "post_page", "sign"]
