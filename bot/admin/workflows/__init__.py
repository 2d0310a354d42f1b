"""Workflows on the command line, without a database.

- ``workflows``: ``warroom workflows check`` and ``test``.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
