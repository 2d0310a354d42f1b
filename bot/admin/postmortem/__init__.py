"""The postmortem on the command line.

- ``postmortems``: ``warroom postmortem INC-7``: a draft on the command line.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
