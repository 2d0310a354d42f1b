"""On call from Slack: who is on call (``who``), overrides made and cancelled (``overrides``),
swaps asked and answered (``swaps``), requests to be on call from outside a schedule and its
owners' answers (``covers``), and what they share (``common``: the schedule named, guests
refused, people's zones, times read forward, direct messages through the outbox); and what
follows a schedule by itself (``handoffs``: whom an escalation reaches and through whose
override, the user group at each handoff, shift notices and gap posts).

May import: what ``bot.flows`` may (``bot.services`` and everything below it) and the rest of
``bot.flows``.
"""
