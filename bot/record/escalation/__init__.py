"""Escalations and escalation policies: who was brought in, level by level, and who answered.

May import: ``bot.basics``, ``bot.store``. A module of ``alerting/`` or ``postmortem/`` may also
import the record's own modules (``bot/record/*.py``), but not the other folder.
"""
