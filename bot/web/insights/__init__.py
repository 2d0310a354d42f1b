"""The insights page: ``GET /insights``.

- ``page``: the headline numbers of a period against the previous one, the paging panel and
  the hours on call, with their charts.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``; never one after it.
"""
