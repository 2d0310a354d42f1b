"""Alert sources: a folder each, behind one registry. A source is what sends alerts (a
monitoring system, a vendor's alert API): its kind, paths, key, parser and answers.

- ``source``: ``AlertSource``, the protocol every source fits; ``Delivery``, ``Reply``,
  ``Refusal`` (what the dispatcher and a source say to each other); ``WebhookSource``, warroom's
  own way of answering, with the shared token as a bearer token.
- ``registry``: ``SOURCES``, the one registry, a line per source.
- ``checks``: the checks of a body's fields every parser shares, in the same words.
- ``alertmanager_shape``: Alertmanager's webhook shape, which Grafana's extends.
- ``alertmanager/``, ``grafana/``, ``generic/``, ``pagerduty/``, ``opsgenie/``: one folder
  per source, its receiver.
- ``cloudwatch/``: CloudWatch alarms through Amazon SNS (its receiver, and ``sns``: SNS's
  messages read and their signatures checked).
- ``email/``: e-mail integrations' messages read (its receiver), from the SMTP listener.
- ``datadog/``: Datadog's Webhooks integration; ``sentry/``: Sentry's signed alert webhooks.

May import: what ``bot.record.alerting`` may and its modules (the one alert shape,
``payloads``). A source's folder imports this folder's modules, never another source's.
"""
