"""Phone providers (SMS and calls), a folder per vendor.

- ``reports``: what a provider reports of an SMS or a call, in one shape.
- ``twilio/``, ``vonage/``: one vendor each: its sending, its replies' parsing, its
  signatures.

May import: ``bot.basics``, ``bot.config``, ``bot.record`` and ``bot/clients/*.py``
(vendor_http).
"""
