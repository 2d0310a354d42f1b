"""Follow-ups: the tasks an incident leaves, their owners and due dates, their tracker
issues, and the possible repeats merged into one.

- ``follow_ups``: follow-ups: possible duplicates, open and overdue ones, done; and as tracker
  issues: filed where, waiting, refused, closed.
- ``follow_up_merges``: follow-ups possibly the same, merged into one, given an owner.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``; never
one after it.
"""
