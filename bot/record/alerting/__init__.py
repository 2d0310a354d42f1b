"""The alert domain: what monitoring systems send (``payloads``: Alertmanager, Grafana, the
generic shape), where it goes (``routes``: the routes file), and the alerts and their groups in
the record (``alerts``). The flow that opens incidents from them is ``bot.flows.alert_intake``;
the webhooks they arrive on are ``bot.web.alert_webhooks``; ``warroom alerts`` is
``bot.admin.alerts``.

May import: ``bot.basics``, ``bot.store`` and the record's own modules (``bot/record/*.py``);
not ``bot/record/postmortem/``.
"""
