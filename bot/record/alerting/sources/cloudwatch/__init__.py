"""Amazon CloudWatch alarms through Amazon SNS: an HTTPS subscription of the integration's
topic posts to ``/alerts/cloudwatch/{key}``; every message is signed by SNS.

- ``sns``: SNS's message envelope read, its signature's string, the hosts certificates and
  confirmations are fetched from, the signature checked against a certificate.
- ``receiver``: ``CLOUDWATCH``, the source: an alarm's message in the one shape.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``); no other
source's folder.
"""
