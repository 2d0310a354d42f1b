"""Paging on the command line.

- ``paging``: ``warroom paging check`` (a contacts file checked as serve checks it),
  ``drill`` and ``report``.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
