"""Grafana's webhook contact point: ``POST /alerts/grafana``, Alertmanager's shape with
Grafana's own fields, the shared token as a bearer token.

- ``receiver``: ``GRAFANA``, the source: its reader (older releases' missing ``groupKey``
  made from the receiver and the group labels).

May import: what ``bot.record.alerting.sources`` may and its modules (``source``,
``checks``, ``webhook``), and Alertmanager's ``shape``, which Grafana's extends; no other
source's folder.
"""
