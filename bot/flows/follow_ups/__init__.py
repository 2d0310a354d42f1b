"""Follow-ups: noted with an owner and a due date, reminded, done; filed in trackers.

- ``filing``: follow-ups filed as tracker issues, retried, closed and reopened.
- ``owners``: follow-ups noted with owner and due date, reminded by DM, marked done.
- ``merging``: two follow-ups that are one task merged in one click (Slack, web).
- ``model``: the team's model asked whether a new follow-up repeats an earlier one.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``; never one after it.
"""
