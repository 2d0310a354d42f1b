"""Outgoing clients: everything warroom sends out of the process. Which tracker files a
follow-up is ``bot.flows.filing``'s choice.

- ``slack``: the Slack Web API verbs warroom uses; nothing above it sees slack_sdk.
- ``slack_errors``: Slack's failures as five of warroom's own errors, never codes.
- ``slack_limits``: Slack's size limits on a message, and fitting a message inside them.
- ``slack_messages``: a Slack message object as plain values.
- ``slack_pacing``: calls paced under Slack's published limits, before any 429.
- ``slack_ratelimit``: the 429 gates, honoured by every call the process makes.
- ``slack_telemetry``: the Slack Web API traffic counted.
- ``slack_apps``: Slack's App Manifest API (validate, create).
- ``pagerduty``: PagerDuty's Events API v2.
- ``ntfy``: push notifications published to an ntfy server.
- ``twilio``: Twilio's SMS and calls, TwiML, and the signature on its webhooks.
- ``mail``: email by SMTP (STARTTLS or implicit TLS).
- ``webhook/``: a page as signed JSON POSTed to a URL the team runs.
- ``teams/``: a page as an Adaptive Card through a Teams Workflows webhook.
- ``statuspage``: Atlassian Statuspage's REST API.
- ``language_model``: the team's own model (OpenAI's Chat Completions API), asked for the
  postmortem draft's written sections.
- ``follow_up_model``: the same model asked whether a new follow-up repeats an earlier one.
- ``github``, ``jira``, ``linear``: the trackers follow-ups are filed in.
- ``trackers``: what the tracker clients share (``TrackerFailure``).
- ``vendor_http``: the JSON call, answer and failure the vendors' clients share.
- ``ical_feeds``: an iCal layer's external feed fetched, or why not.
- ``importing``: what ``warroom import`` asks of a vendor's client (``Vendor``), and the
  HTTP they share (pages, 429s, one-line failures).
- ``opsgenie``: Opsgenie's REST API as ``warroom import opsgenie`` reads it.
- ``pagerduty_rest``: PagerDuty's REST API v2, read by ``warroom import pagerduty``.
- ``grafana_oncall``: Grafana OnCall's HTTP API v1 read for ``warroom import grafana-oncall``
  (users, schedules, shifts, escalation chains; final shifts for ``--compare``).

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``, ``bot.metrics``.
"""
