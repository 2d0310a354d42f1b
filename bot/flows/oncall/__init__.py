"""On call from Slack: who is on call (``who``), overrides made and cancelled (``overrides``),
swaps asked and answered (``swaps``), and what they share (``common``: the schedule named,
people's zones, times read forward, direct messages through the outbox).

May import: what ``bot.flows`` may (``bot.services`` and everything below it) and the rest of
``bot.flows``.
"""
