"""Moving from another paging tool: ``warroom import`` and ``warroom shadow compare``.

- ``importing``: ``warroom import <vendor> --out DIR``: schedules, policies and overrides
  carried over from Opsgenie, PagerDuty or Grafana OnCall.
- ``import_report``: the import's people by name, and its ``--json`` document.
- ``import_compare``: ``warroom import ... --compare DAYS``: the vendor and warroom asked who
  is on call, each disagreement said.
- ``shadow``: ``warroom shadow compare``: after a shadow week, whom the vendor notified
  beside whom warroom would have, each disagreement's cause said (its users matched to Slack
  as ``importing`` matches them).

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS): ``alerting`` (an imported integration's URL).
"""
