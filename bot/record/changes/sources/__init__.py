"""The senders of change events, each read as its vendor documents it, each a line of the one
sources' registry (``bot.record.alerting.sources.registry``: its kind, path, how its key is
carried): ``pagerduty`` (the Events API v2's change events), ``github`` (its webhooks:
deployment statuses, releases, pushes to the default branch; signed), ``argocd`` (Argo CD's
notifications' webhook service), ``api`` (warroom's own JSON, ``POST /api/changes``); and
``slack_channels`` (apps' messages in the change channels, read with their senders' shapes;
not an HTTP source: ``bot.flows.changes.heard``). ``checks``: the checks of a body's fields
the readers share. The one dispatcher is ``bot.web.changes.receivers``: it lets each delivery
in as the alert sources' dispatcher does (``bot.web.alerting.webhooks.admit``).

May import: what ``bot.record.changes`` may, and its ``events``.
"""
