"""``warroom ai eval``: the team's model measured, its controls and its causes replayed.

- ``ai_eval``: ``warroom ai eval``: the team's model measured over the shipped replays.
- ``eval_set``: those replays, and their sentences labelled by category and truth.
- ``adversaries``: verifiers that do not read the record (agreeing with everything, reading
  only the old control shape, refusing unusual citations or near twins), which the controls
  must void: measured by ``warroom ai eval`` and played by the tests.
- ``ai_replay``: ``warroom ai eval --replay``: the seeds replayed at cut-offs, causes asked,
  proved or not, and graded by the seeds' labels (never by a model).
- ``ai_replay_incidents``: the same over the team's own closed incidents, read from the
  database as they stood at each cut-off (a private one by its reference alone).
- ``ai_replay_command``: ``--replay``'s options (``--only``, ``--since``, ``--limit``,
  ``--team``, ``--model``), a table per model and set, and its exit codes.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
