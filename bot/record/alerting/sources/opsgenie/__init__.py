"""Opsgenie's Alert API: ``POST /v2/alerts`` and ``/v2/alerts/{identifier}/close`` or
``/acknowledge``, the integration's key as ``Authorization: GenieKey <key>``, answered as
Opsgenie answers.

- ``receiver``: ``OPSGENIE``, the source.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``); no other
source's folder.
"""
