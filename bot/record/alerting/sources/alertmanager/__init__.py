"""Prometheus Alertmanager's webhook receiver: ``POST /alerts/alertmanager``, its ``version:
"4"`` body, the shared token as a bearer token (``http_config.authorization``).

- ``receiver``: ``ALERTMANAGER``, the source.
- ``shape``: Alertmanager's webhook shape, which Grafana's extends.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``,
``checks``, ``webhook``); no other source's folder.
"""
