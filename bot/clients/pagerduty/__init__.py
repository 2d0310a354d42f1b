"""PagerDuty: its Events API (pages) and its REST API (read by ``warroom import``).

- ``events``: PagerDuty's Events API v2.
- ``rest``: PagerDuty's REST API v2, read by ``warroom import pagerduty``.

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``,
``bot.metrics``, and the clients' own modules (``bot/clients/*.py``).
"""
