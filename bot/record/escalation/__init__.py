"""Escalations and escalation policies: who was brought in, level by level, and who answered.

- ``policies``: the policy file (``WARROOM_ESCALATION_POLICIES``): levels, targets, timeouts.
- ``escalations``: escalations, their acknowledgements and the pages they send.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``; never one after it.
"""
