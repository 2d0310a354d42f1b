"""Workflows: the operators' YAML definitions and the runs they start.

May import: ``bot.basics``, ``bot.store``. A module of ``alerting/`` or ``postmortem/`` may also
import the record's own modules (``bot/record/*.py``), but not the other folder.
"""
