"""Alerting over HTTP: the webhooks alerts arrive on, and the maintenance windows' pages.

- ``webhooks``: ``POST /alerts/{alertmanager,grafana,generic}`` and ``POST /heartbeats/<name>``.
- ``maintenance``: ``/maintenance``, every window, adding one and cancelling it.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the
domains before it (all but ``api``).
"""
