"""Agents on the command line.

- ``agents``: ``warroom tokens create``, ``list`` and ``revoke`` (agents' tokens for /mcp)
  and ``warroom mcp`` (the Model Context Protocol on stdio, as the operator).

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
