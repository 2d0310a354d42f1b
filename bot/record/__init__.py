"""The record: what happened in an incident and who did it, kept in the database.

Domain functions take plain values and a session; nothing here knows Slack, HTTP or the
settings object. Two folders of the record hold a domain each: ``alerting/`` (alerts, their
payloads and routes) and ``postmortem/`` (the draft written from the record).

May import: ``bot.basics``, ``bot.store``. A module of ``alerting/`` or ``postmortem/`` may
also import the record's own modules (``bot/record/*.py``), but not the other folder.
"""
