"""warroom's public status page and its Atom feed.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``, ``bot.clients``
and lower) and ``bot.keys``; nothing of its sibling folders ``bot.slack`` and ``commands``.
"""
