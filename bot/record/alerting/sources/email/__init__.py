"""E-mail integrations: each an address on warroom's inbound SMTP listener (the bounce
listener's domain, ``bot/flows/alerting/mail_alerts.py``); a message sent there is an alert.

- ``receiver``: ``EMAIL``, the source: a message read into the one shape, and which mail is
  not an alert (automatic replies, bounces).

May import: what ``bot.record.alerting.sources`` may and its modules (``source``); no other
source's folder.
"""
