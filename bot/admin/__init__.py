"""Command-line verbs beside ``bot.cli``: ``demo``, ``alerts``, ``postmortem``, ``manifest``.

May import: anything below, the application factory (``bot.app``) and ``bot.server``
included; ``demo`` alone imports the emulator (``emulator/``, in the repository, not in the
wheel: ``bot.cli`` imports ``demo`` only to run it). Nothing imports them but ``bot.cli``.
"""

# The exit status of a command line that cannot be used as given (argparse's own, too).
USAGE_ERROR = 2
