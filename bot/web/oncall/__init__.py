"""The on-call part of the web view: pages, charts, calendar feeds and the API.

- ``pages``: ``/oncall`` and one schedule's page, where overrides are added and cancelled.
- ``people``: one person's page: shifts, schedules, how pages reach them (masked), a warning
  when no method of theirs rings a phone.
- ``contacts``: a person's own contact methods on their own page: added, verified, tested,
  removed, through ``/oncall contact``'s flows.
- ``leave``: a person's leave on their page: listed for everyone, added and removed (and a
  leave calendar named) by the person, through ``/oncall leave``'s flows.
- ``policies``: one escalation policy's page: its levels, targets, timeouts, whom each reaches now.
- ``api``: ``/api/oncall``: who is on call now, and one schedule's shifts in a window.
- ``feeds``: the calendar feeds (``GET /oncall/<schedule>.ics``, a person's).
- ``reading``: what the pages, the insights and the API read.
- ``charts``: a schedule's next days and the hours on call, as inline SVG.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``; never one after it.
"""
