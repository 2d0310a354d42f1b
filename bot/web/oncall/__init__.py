"""The on-call part of the web view: pages, charts, calendar feeds and the API.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``, ``bot.clients``
and lower) and ``bot.keys``; nothing of its sibling folders ``bot.slack`` and ``commands``.
"""
