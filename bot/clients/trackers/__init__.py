"""Trackers: the issue trackers follow-ups are filed in.

- ``github``, ``jira``, ``linear``: the trackers follow-ups are filed in.
- ``common``: what the tracker clients share (``TrackerFailure``).

May import: ``bot.basics``, ``bot.store``, ``bot.record``, ``bot.config``,
``bot.metrics``, and the clients' own modules (``bot/clients/*.py``).
"""
