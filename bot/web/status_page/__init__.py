"""warroom's public status page and its Atom feed.

- ``pages``: ``GET /status``, ``GET /status/feed.atom`` and ``GET /status/logo``, with no
  sign-in.
- ``subscriptions``: ``/status/subscribe``, ``/status/confirm/…``, ``/status/unsubscribe/…``.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``, ``postmortem``, ``paging``, ``incident``, ``alerting``, ``changes``; never one
after it.
"""
