"""``/incident escalate`` and ``/incident ack``.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``, ``bot.clients``
and lower); nothing of ``bot.slack`` or ``bot.web``. Nothing imports it but ``bot.slack.bolt``.
"""
