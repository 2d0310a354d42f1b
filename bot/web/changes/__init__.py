"""Change events over HTTP: where they arrive and where they are read.

- ``receivers``: the one dispatcher of the change sources (``bot.record.changes.sources``):
  ``POST /v2/change/enqueue`` (PagerDuty's change events), ``POST /changes/github/<name>``
  (GitHub's webhooks) and ``POST /api/changes`` (warroom's JSON), each let in by the alert
  sources' own checks (``bot.web.alerting.webhooks.admit``), then kept once.
- ``pages``: ``/changes``, and ``GET /api/changes`` (``CHANGE_OPERATIONS``); the agents'
  ``list_changes`` answers with the same reader, ``change_list``.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``, ``postmortem``, ``paging``, ``incident``, ``alerting``; never one after it.
"""
