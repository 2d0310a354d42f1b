"""Datadog's Webhooks integration: ``POST /alerts/datadog``, its default payload (or one
naming the alert variables), the integration's key as the custom header
``Authorization: Bearer <key>``, answered as warroom answers.

- ``receiver``: ``DATADOG``, the source.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``,
``checks``, ``webhook``); no other source's folder.
"""
