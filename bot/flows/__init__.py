"""Flows: the steps of incident work across the record, Slack and pagers.

Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
Work that is due later (escalation timers, pages, reminders) is a job row;
``bot.flows.handlers`` says which flow runs each kind.

May import: ``bot.services`` and everything below it (``bot.clients``, ``bot.config``,
``bot.metrics``, ``bot.record``, ``bot.store``, ``bot.basics``), and the flow-level modules of
``bot.alerting`` (``intake``) and ``bot.postmortem`` (``posting``).
"""
