"""Sources: what sends warroom alerts (a monitoring system, a vendor's alert API) or change
events (a deploy tool, GitHub), behind one registry. A source is its registry line (its kind,
paths, how its key is carried, what the importers call it) and its code (its parser, and the
capabilities it needs).

- ``source``: ``SourceEntry``, a registry line; ``Source``, what every source does (parse),
  and the capabilities one may have (``ReadsKey``, ``ChecksSignature``, ``KeepsRequest``,
  ``AnswersAccepted``, ``AnswersRefused``), each asked of it and warroom's own way where it
  has none (``Receiver``); ``Delivery``, ``Reply``, ``Refusal`` (what the dispatcher and a
  source say to each other).
- ``registry``: ``SOURCES``, the one registry, a line per source of alerts or of changes.
- ``webhook``: ``WebhookSource``, a JSON body read by a function, with warroom's answers.
- ``checks``: the checks of a body's fields every parser shares, in the same words.
- ``alertmanager/``, ``grafana/``, ``generic/``, ``pagerduty/``, ``opsgenie/``: one folder
  per source, its receiver (Alertmanager's, its webhook shape too, which Grafana's extends).
- ``cloudwatch/``: CloudWatch alarms through Amazon SNS (its receiver, and ``sns``: SNS's
  messages read and their signatures checked).
- ``email/``: e-mail integrations' messages read (its receiver), from the SMTP listener.
- ``datadog/``: Datadog's Webhooks integration; ``sentry/``: Sentry's signed alert webhooks.

The sources of change events are ``bot.record.changes.sources``, each a line here.

May import: what ``bot.record.alerting`` may and its modules (the one alert shape,
``payloads``). A source's folder imports this folder's modules, never another source's (but
Grafana's, Alertmanager's ``shape``). ``source`` and ``registry`` import nothing heavier than
the standard library: ``warroom integrations --help`` reads the lines.
"""
