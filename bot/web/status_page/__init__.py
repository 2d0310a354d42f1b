"""warroom's public status page and its Atom feed.

- ``pages``: ``GET /status`` and ``GET /status/feed.atom``, with no sign-in.
- ``subscriptions``: ``/status/subscribe``, ``/status/confirm/…``, ``/status/unsubscribe/…``.

May import: what ``bot.web`` may, and the web view's own modules (``bot/web/*.py``). No other
domain of the web view: this one is first in the order.
"""
