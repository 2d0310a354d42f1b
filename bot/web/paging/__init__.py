"""Paging's routes: acknowledgement links (``/ack/<token>``) and the phone providers' webhooks.

- ``links``: an acknowledgement link: GET shows a button, POST acknowledges.
- ``alert_console``: an alert's acknowledgement link as its phone console (state, who else
  is paged, Open in Slack, Acknowledge, Escalate, Snooze).
- ``phone_webhooks``: every registered phone provider's webhooks (SMS replies, a call's
  keypress, status reports), each signed as its provider says, through one handler.
- ``pushover_receipts``: ``POST /pushover/receipt``, Pushover's unsigned callback, read
  back from Pushover's Receipts API before anything changes (404 for a receipt never sent).

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``, ``postmortem``; never one after it.
"""
