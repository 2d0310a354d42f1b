"""The ``/oncall`` command's subcommands, one module each (``calendar``: the calendar feeds),
each exporting ``SUBCOMMAND`` in the shape of ``commands.base.Subcommand``.

May import: what ``commands`` may (everything below the incoming layer) and ``commands``
itself (``commands.base``); nothing of ``bot.slack`` or ``bot.web``.
"""
