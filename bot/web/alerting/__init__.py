"""Alerting over HTTP: the webhooks alerts arrive on, and the maintenance windows' pages.

- ``webhooks``: the one dispatcher of every alert source's paths (``POST
  /alerts/{alertmanager,grafana,generic}``) and ``POST /heartbeats/<name>``.
- ``maintenance``: ``/maintenance``, every window, adding one and cancelling it.
- ``pages``: ``/alerts``, the alerts' worklist, and ``/alerts/<id>``, one alert's history.
- ``api``: ``GET /api/alerts`` and ``GET /api/alerts/{alert}``, read only.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the
domains before it (all but ``api``).
"""
