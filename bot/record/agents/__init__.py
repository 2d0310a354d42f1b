"""Agents: the tokens they read the record and propose findings with (``warroom tokens``).

- ``tokens``: made, listed, revoked; kept as SHA-256; who holds a token, looked up per call.
- ``notes``: the timeline notes agents propose, waiting for a person to accept them.

May import: ``bot.basics``, ``bot.store``, the modules of ``bot.record`` and the domains
before it in ``DOMAINS`` (tests/test_layers.py; ``notes`` names entries as the draft does).
"""
