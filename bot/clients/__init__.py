"""Outgoing clients: the Slack Web API (``slack``, with its limits, rate-limit gates and
telemetry) and PagerDuty's Events API (``pagerduty``). Everything warroom sends out of the
process goes through here.

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``, ``bot.metrics``.
"""
