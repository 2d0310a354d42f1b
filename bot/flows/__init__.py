"""Flows: everything that decides and calls out, across the record, Slack, pagers and
trackers: declaring, changing and resolving incidents, escalation and paging, alert intake
(``alert_intake``), postmortem posting (``postmortem_posting``), filing follow-ups with the
tracker dispatch (``filing``), replying after an ack (``replies``), the job runner and the
outbox sender.

Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
Work that is due later (escalation timers, pages, reminders) is a job row;
``bot.flows.handlers`` says which flow runs each kind.

May import: ``bot.services`` (beside this folder, in the same layer) and everything below it
(``bot.clients``, ``bot.config``, ``bot.metrics``, ``bot.record``, ``bot.store``,
``bot.basics``).
"""
