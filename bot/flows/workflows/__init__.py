"""Workflows: where flows start them, and running their actions.

- ``actions``: running workflows' actions, one job per action.
- ``webhooks``: the ``webhook`` and ``teams`` actions, jobs of their own lane, retried with
  backoff.
- ``teams``: the ``teams`` action's Adaptive Card, posted to a Teams Workflows webhook.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and every other domain: it is the last in ``DOMAINS``
(tests/test_layers.py).
"""
