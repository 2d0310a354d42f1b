"""Agents: the tokens they read the record and propose findings with (``warroom tokens``).

- ``tokens``: made, listed, revoked; kept as SHA-256; who holds a token, looked up per call.
- ``related``: earlier incidents sharing a service, components, alert names or labels, and why.

May import: ``bot.basics``, ``bot.store`` and the modules of ``bot.record`` (not its other
domains: what it reads of alerts and follow-ups it reads from the tables).
"""
