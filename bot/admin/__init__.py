"""Command-line verbs beside ``bot.cli``: ``demo``, ``alerts``, ``postmortem``, ``manifest``.

May import: anything below, the application factory (``bot.app``) and ``bot.server``
included; nothing imports them but ``bot.cli``.
"""
