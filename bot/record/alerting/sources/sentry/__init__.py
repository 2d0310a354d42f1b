"""Sentry's integration platform webhooks: ``POST /alerts/sentry``, issue alerts
(``event_alert``) and metric alerts (``metric_alert``), each body signed with the Sentry
integration's client secret (``Sentry-Hook-Signature``), answered as warroom answers.

- ``receiver``: ``SENTRY``, the source.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``,
``checks``); no other source's folder.
"""
