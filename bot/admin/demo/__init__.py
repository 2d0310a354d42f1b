"""``warroom demo`` and ``warroom dev``: warroom served against the Slack emulator.

- ``demo``: ``warroom demo``: a whole incident, played against the Slack emulator.
- ``demo_script``: the incident the demo plays: its cast, settings and script.
- ``demo_model``: the demo's model: its scripted answers (the draft's sections, the meaning
  checks, the same-task questions), as a model reading the record would give them.
- ``demo_agent``: the demo's last act, an agent on /mcp proposing a finding.
- ``demo_alerts``: the demo's alerts: posted, paged, acknowledged, one declared the incident.
- ``demo_history``: the demo workspace's two earlier checkout incidents, related to its own.
- ``dev``: ``warroom dev``: your own settings served against the Slack emulator and fake
  phones, its previews a place to type commands and press buttons, until Ctrl-C.
- ``emulated``: what ``demo`` and ``dev`` share: settings pointed at the emulator and the
  fake phones, the app served beside them.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS); ``demo``, ``demo_model``, ``demo_alerts``, ``dev`` and
``emulated`` alone import the emulator (``emulator/``, in the repository, not in the wheel:
``bot.cli`` imports ``demo`` and ``dev`` only to run them).
"""
