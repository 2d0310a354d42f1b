"""Command-line verbs beside ``bot.cli``: a folder per domain, as the other layers have them,
and the plumbing the commands share loose beside them.

Domains, in order (a folder imports only the folders before it, tests/test_layers.py DOMAINS):

- ``oncall/``: ``warroom oncall who``, ``check`` and ``feeds``.
- ``postmortem/``: ``warroom postmortem INC-7``: a draft on the command line.
- ``paging/``: ``warroom paging check``, ``drill`` and ``report``.
- ``alerting/``: ``warroom alerts``, ``integrations``, ``maintenance`` and ``services``.
- ``changes/``: ``warroom changes list``: what changed on the services, newest first.
- ``workflows/``: ``warroom workflows check`` and ``test``, without a database.
- ``agents/``: ``warroom tokens`` (agents' tokens for /mcp) and ``warroom mcp``.
- ``importing/``: ``warroom import`` (with its ``--compare`` and ``--json``) and
  ``warroom shadow compare``: moving from another paging tool.
- ``ai/``: ``warroom ai eval``: the team's model measured, its controls and its causes
  replayed.
- ``demo/``: ``warroom demo`` and ``warroom dev``: warroom served against the Slack emulator.

Loose, what the commands share:

- ``manifest``: ``warroom manifest --validate / --create``.
- ``config_check``: ``warroom config check``: the environment read as serve reads it.
- ``arguments``: the options of the heavy commands (oncall, workflows, import, ai,
  integrations), apart from their work: every ``--help`` imports no feature.
- ``listing``: how a command that lists prints: an aligned table, or ``--json``.
- ``progress``: long work's progress on stderr (a line in place at a terminal).

May import: anything below, the application factory (``bot.app``) and ``bot.server``
included; the loose modules import none of the folders. Only ``demo/`` imports the emulator
(``emulator/``, in the repository, not in the wheel: ``bot.cli`` imports ``demo`` and ``dev``
only to run them). Outside ``bot.admin``, only ``bot.cli`` (and the tests) imports them.
"""

# The exit status of a command line that cannot be used as given (argparse's own, too).
USAGE_ERROR = 2
