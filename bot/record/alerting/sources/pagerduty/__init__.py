"""PagerDuty's Events API v2: ``POST /v2/enqueue``, the integration's key as ``routing_key``
in the body, answered as PagerDuty answers.

- ``receiver``: ``PAGERDUTY``, the source.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``); no other
source's folder.
"""
