"""Paging's routes: acknowledgement links (``/ack/<token>``) and Twilio's webhooks.

- ``links``: an acknowledgement link: GET shows a button, POST acknowledges.
- ``alert_console``: an alert's acknowledgement link as its phone console (state, who else
  is paged, Open in Slack, Acknowledge, Escalate, Snooze).
- ``twilio_webhooks``: SMS replies, a call's keypress, status callbacks; signed by Twilio.
- ``vonage_webhooks``: an SMS's status, a call's events and keypress; signed by Vonage (JWT).

May import: ``bot.flows``, ``bot.services``, everything below them, the web layer's own
modules (``bot/web/*.py``) and the domains before it (``status_page``, ``oncall``).
"""
