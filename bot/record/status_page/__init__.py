"""The status page's record: public incidents and the updates published about them.

May import: ``bot.basics``, ``bot.store``. A module of ``alerting/`` or ``postmortem/`` may also
import the record's own modules (``bot/record/*.py``), but not the other folder.
"""
