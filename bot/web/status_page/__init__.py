"""warroom's public status page and its Atom feed.

- ``pages``: ``GET /status``, ``GET /status/feed.atom`` and ``GET /status/logo``, with no
  sign-in.
- ``subscriptions``: ``/status/subscribe``, ``/status/confirm/…``, ``/status/unsubscribe/…``.

May import: what ``bot.web`` may, and the web view's own modules (``bot/web/*.py``). No other
domain of the web view: this one is first in the order.
"""
