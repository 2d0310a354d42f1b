"""Agents: the tokens they read the record and propose findings with (``warroom tokens``).

- ``tokens``: made, listed, revoked; kept as SHA-256; who holds a token, looked up per call.
- ``notes``: the timeline notes agents propose, waiting for a person to accept them.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
every other domain: it is the last in ``DOMAINS`` (tests/test_layers.py).
"""
