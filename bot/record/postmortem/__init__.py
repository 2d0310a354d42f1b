"""Postmortems, bottom to top: the draft written from the record (``draft``), the sections
people rewrite (``edits``), and the flow that fetches what the draft needs from Slack and
posts it (``posting``). The ``warroom postmortem`` verb is ``bot.admin.postmortems``.

``draft`` and ``edits`` are record-level (they may import ``bot.basics``, ``bot.store``,
``bot.record``); ``posting`` is a flow (it may also import ``bot.clients``, ``bot.services``
and ``bot.flows``).
"""
