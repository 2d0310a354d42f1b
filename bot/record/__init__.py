"""The record: what happened in an incident and who did it, kept in the database.

Domain functions take plain values and a session; nothing here knows Slack, HTTP or the
settings object.

May import: ``bot.basics``, ``bot.store``, and the record-level modules of ``bot.alerting``
and ``bot.postmortem`` (``alerts``, ``payloads``, ``routes``; ``draft``, ``edits``).
"""
