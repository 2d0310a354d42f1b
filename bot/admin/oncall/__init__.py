"""On-call schedules on the command line.

- ``oncall``: ``warroom oncall who``, ``check`` and ``feeds``.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
