"""On call from Slack: who is on call (``who``), overrides made and cancelled (``overrides``),
swaps asked and answered (``swaps``), and what they share (``common``: the schedule named,
people's zones, times read forward, direct messages through the outbox); and what follows a
schedule by itself (``handoffs``: whom an escalation reaches, the user group at each handoff,
shift notices and gap posts).

May import: what ``bot.flows`` may (``bot.services`` and everything below it) and the rest of
``bot.flows``.
"""
