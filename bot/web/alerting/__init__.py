"""Alerting over HTTP: the webhooks alerts arrive on, and the maintenance windows' pages.

- ``webhooks``: the one dispatcher of every alert source's paths (``POST
  /alerts/{alertmanager,grafana,generic}``) and ``POST /heartbeats/<name>``.
- ``opsgenie``: Opsgenie's Alert API read back (``GET /v2/alerts/requests/{requestId}``,
  ``GET /v2/alerts/{identifier}``), with the dispatcher's key check.
- ``sns``: Amazon SNS's messages checked before they are parsed (the dispatcher's gate for
  CloudWatch): signatures, topics, subscriptions confirmed.
- ``maintenance``: ``/maintenance``, every window, adding one and cancelling it.
- ``pages``: ``/alerts``, the alerts' worklist, and ``/alerts/<id>``, one alert's history.
- ``acts``: ``POST /alerts``: the alerts selected on the worklist acknowledged or
  resolved together.
- ``api``: ``GET /api/alerts`` and ``GET /api/alerts/{alert}``, read only.
- ``services``: ``/services`` and ``/services/<name>``, and ``GET /api/services[/{name}]``,
  read only (the agents' ``list_services`` answers with the same reader).
- ``integrations``: ``/integrations``, every integration (and a service's, on its page): its
  URL, alerts and state, never its key; read only.
- ``shadow``: ``/shadow``, the last ``warroom shadow compare``'s report.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``, ``postmortem``, ``paging``, ``incident``; never one after it.
"""
