"""Phone providers (SMS and calls): the seam paging goes through, and a folder per vendor.

- ``provider``: the ``PhoneProvider`` protocol (its name, whether it is set, an SMS, a call,
  its webhooks: signature checked, reports and replies read, answered in its own format).
- ``registry``: every provider, one line each; paging, own contacts, drills, the settings'
  checks and the route table ask it which providers there are.
- ``reports``: what a provider reports of an SMS or a call, in one shape.
- ``twilio/``, ``vonage/``: one vendor each: its sending, its replies' parsing, its
  signatures.

May import: ``bot.basics``, ``bot.config``, ``bot.record`` and ``bot/clients/*.py``
(vendor_http).
"""
