"""Outgoing clients: everything warroom sends out of the process. Which tracker files a
follow-up is ``bot.flows.follow_ups.filing``'s choice.

- ``ntfy``: push notifications published to an ntfy server.
- ``pushover``: Pushover's Messages API (emergency pushes repeated until acknowledged) and
  its Receipts API (a receipt read, cancelled).
- ``phone/``: SMS and calls: the ``PhoneProvider`` protocol, its registry (one line per
  provider), reports in one shape, and a folder per vendor (``twilio/``, ``vonage/``).
- ``mail``: email by SMTP (STARTTLS or implicit TLS).
- ``webhook/``: a page as signed JSON POSTed to a URL the team runs.
- ``teams/``: a page as an Adaptive Card through a Teams Workflows webhook.
- ``statuspage``: Atlassian Statuspage's REST API.
- ``ai``: the team's own model (OpenAI's Chat Completions API), asked for the
  postmortem draft's written sections.
- ``follow_up_model``: the same model asked whether a new follow-up repeats an earlier one.
- ``vendor_http``: the JSON call, answer and failure the vendors' clients share, and
  whether a vendor's server answers at all (``answers``).
- ``watchdog``: the watchdog's ping to a healthchecks.io check, an Opsgenie heartbeat or
  another warroom's heartbeat.
- ``ical_feeds``: an iCal layer's external feed fetched, or why not.
- ``sns``: Amazon SNS's signing certificates (kept) and subscriptions' confirmations,
  fetched from SNS's own hosts alone.
- ``public_hosts``: connecting to public addresses only (feeds, subscribers' webhooks).
- ``importing``: what ``warroom import`` asks of a vendor's client (``Vendor``), and the
  HTTP they share (pages, 429s, one-line failures).
- ``saved_answers``: ``warroom import --save DIR`` / ``--from DIR``: the vendor's answers kept
  in files, read back with no key and no network.
- ``opsgenie``: Opsgenie's REST API as ``warroom import opsgenie`` reads it.
- ``grafana_oncall``: Grafana OnCall's HTTP API v1 read for ``warroom import grafana-oncall``
  (users, schedules, shifts, escalation chains; final shifts for ``--compare``).
- ``slack/``: Slack's Web API: web_api, errors, limits, messages, pacing,
  ratelimit, telemetry, apps.
- ``pagerduty/``: PagerDuty: events (Events API v2), rest (REST API v2).
- ``trackers/``: the trackers follow-ups are filed in: github, jira,
  linear, and what they share (common).

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``, ``bot.metrics``.
"""
