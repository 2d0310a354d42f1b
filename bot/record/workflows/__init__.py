"""Workflows: the operators' YAML definitions and the runs they start.

- ``definitions``: the workflow file (``WARROOM_WORKFLOWS``): its loading and checks, the
  triggers, ``Workflow`` and ``Workflows`` (the index evaluation reads).
- ``conditions``: the conditions (``when:``), the facts they read and their predicates.
- ``actions``: the actions (``do:``): each verb's arguments, templates and checks.
- ``runs``: workflows started: their actions as job rows, in the change's own transaction.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``, ``alerting``, ``oncall``, ``paging``,
``changes``; never one after it.
"""
