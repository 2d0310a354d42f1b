"""Command-line verbs beside ``bot.cli``.

- ``demo``: ``warroom demo``: a whole incident, played against the Slack emulator.
- ``demo_script``: the incident the demo plays: its cast, settings and script.
- ``demo_agent``: the demo's last act, an agent on /mcp proposing a finding.
- ``demo_alerts``: the demo's alerts: posted, paged, acknowledged, one declared the incident.
- ``demo_history``: the demo workspace's two earlier checkout incidents, related to its own.
- ``dev``: ``warroom dev``: your own settings served against the Slack emulator and fake
  phones, its previews a place to type commands and press buttons, until Ctrl-C.
- ``emulated``: what ``demo`` and ``dev`` share: settings pointed at the emulator and the
  fake phones, the app served beside them.
- ``alerts``: ``warroom alerts list`` and ``replay``: the stored payloads.
- ``postmortems``: ``warroom postmortem INC-7``: a draft on the command line.
- ``manifest``: ``warroom manifest --validate / --create``.
- ``oncall``: ``warroom oncall who``, ``check`` and ``feeds``.
- ``paging``: ``warroom paging check``: a contacts file checked as serve checks it.
- ``workflows``: ``warroom workflows check`` and ``test``, without a database.
- ``importing``: ``warroom import <vendor> --out DIR``: schedules, policies and overrides
  carried over from Opsgenie, PagerDuty or Grafana OnCall.
- ``import_report``: the import's people by name, and its ``--json`` document.
- ``import_compare``: ``warroom import ... --compare DAYS``: the vendor and warroom asked who
  is on call, each disagreement said.
- ``shadow``: ``warroom shadow compare``: after a shadow week, whom the vendor notified
  beside whom warroom would have, each disagreement's cause said.
- ``maintenance``: ``warroom maintenance add``, ``list`` and ``cancel``: maintenance windows.
- ``services``: ``warroom services list`` and ``import-backstage``: the services file, and
  one written from Backstage's catalog files.
- ``integrations``: ``warroom integrations create``, ``list`` and ``revoke``: the ways
  alerts reach warroom, one key each.
- ``changes``: ``warroom changes list``: what changed on the services, newest first.
- ``agents``: ``warroom tokens create``, ``list`` and ``revoke`` (agents' tokens for /mcp)
  and ``warroom mcp`` (the Model Context Protocol on stdio, as the operator).
- ``ai_eval``: ``warroom ai eval``: the team's model measured over the shipped replays.
- ``adversaries``: verifiers that do not read the record (agreeing with everything, reading
  only the old control shape, refusing unusual citations or near twins), which the controls
  must void: measured by ``warroom ai eval`` and played by the tests.
- ``eval_set``: those replays, and their sentences labelled by category and truth.
- ``ai_replay``: ``warroom ai eval --replay``: the seeds replayed at cut-offs, causes asked,
  proved or not, and graded by the seeds' labels (never by a model).
- ``ai_replay_incidents``: the same over the team's own closed incidents, read from the
  database as they stood at each cut-off (a private one by its reference alone).
- ``ai_replay_command``: ``--replay``'s options (``--only``, ``--since``, ``--limit``,
  ``--team``, ``--model``), a table per model and set, and its exit codes.
- ``config_check``: ``warroom config check``: the environment read as serve reads it.
- ``arguments``: the options of the heavy commands (oncall, workflows, import, ai,
  integrations), apart from their work: every ``--help`` imports no feature.
- ``listing``: how a command that lists prints: an aligned table, or ``--json``.
- ``progress``: long work's progress on stderr (a line in place at a terminal).

May import: anything below, the application factory (``bot.app``) and ``bot.server``
included; ``demo``, ``dev`` and ``emulated`` alone import the emulator (``emulator/``, in
the repository, not in the wheel: ``bot.cli`` imports ``demo`` and ``dev`` only to run
them). Nothing imports them but ``bot.cli`` (and ``demo`` its script, ``demo_script``).
"""

# The exit status of a command line that cannot be used as given (argparse's own, too).
USAGE_ERROR = 2
