"""Slack: the Web API verbs warroom uses, and what they share.

- ``web_api``: the Slack Web API verbs warroom uses; nothing above it sees slack_sdk.
- ``web_client``: the SDK's client those verbs call through: its retries, backoff, pacing
  and rate-limit gate.
- ``errors``: Slack's failures as five of warroom's own errors, never codes.
- ``limits``: Slack's size limits on a message, and fitting a message inside them.
- ``messages``: a Slack message object as plain values.
- ``pacing``: calls paced under Slack's published limits, before any 429.
- ``ratelimit``: the 429 gates, honoured by every call the process makes.
- ``telemetry``: the Slack Web API traffic counted.
- ``apps``: Slack's App Manifest API (validate, create).

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``,
``bot.metrics``, and the clients' own modules (``bot/clients/*.py``).
"""
