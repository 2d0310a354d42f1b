"""Outgoing clients: everything warroom sends out of the process. The Slack Web API
(``slack``, with its failures, limits, rate-limit gates and telemetry, and ``slack_apps``, the
App Manifest API), PagerDuty's Events API (``pagerduty``), Statuspage (``statuspage``), and the
trackers follow-ups are filed in (``github``, ``jira``, ``linear`` and what they share,
``trackers``), over ``vendor_http``. Which tracker files a follow-up is ``bot.flows.filing``'s
choice.

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``, ``bot.metrics``.
"""
