"""Workflows: the operators' YAML definitions and the runs they start.

- ``definitions``: the workflow file (``WARROOM_WORKFLOWS``): triggers, conditions, actions.
- ``runs``: workflows started: their actions as job rows, in the change's own transaction.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it (``alerting`` to ``status_page``); never ``postmortem``, which comes
after it.
"""
