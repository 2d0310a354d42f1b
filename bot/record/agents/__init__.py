"""Agents: the tokens they read the record and propose findings with (``warroom tokens``).

- ``tokens``: made, listed, revoked; kept as SHA-256; who holds a token, looked up per call.

May import: ``bot.basics``, ``bot.store`` and the modules of ``bot.record`` (not its other
domains: a token knows nothing of incidents).
"""
