"""Incoming Slack: the Bolt app (``bolt``), its listeners for events, shortcuts and replies,
the request adapter, and the app manifest. What warroom sends to Slack is ``bot.clients.slack``.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower) and ``commands``, which it registers.
"""
