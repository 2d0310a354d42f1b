"""Insights: what recent incidents say, counted for the web view (and the medians the
on-call load shares).

- ``counts``: what recent incidents say, counted for the web view.
- ``proposals``: the causes the team's model and agents proposed, counted per month.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``; never one after it.
"""
