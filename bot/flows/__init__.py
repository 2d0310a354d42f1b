"""Flows: everything that decides and calls out, across the record, Slack, pagers and trackers.
Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
Work that is due later (escalation timers, pages, reminders) is a job row; ``handlers`` says
which flow runs each kind. The modules here are what the domain folders share (plumbing): none
imports a domain, ``handlers`` excepted (the job table names every domain's handlers).

- ``channel``: what every flow shows in Slack: the header, messages, announcements.
- ``replies``: replying privately after the ack.
- ``in_order``: slash commands and button presses applied in the order they arrived.
- ``ingestion``: the Slack event writer: many events per transaction.
- ``group_commit``: one writer per process, many requests per transaction.
- ``outbox``: sending the outbox, each channel's writes in order.
- ``scheduler``: the job runner.
- ``handlers``: which flow runs each kind of job.
- ``polling``: a background task: a round of work, then a wait.
- ``installation``: the app uninstalled or installed again: sending stops and resumes.
- ``people``: what flows ask Slack about a person.
- ``rights``: who may act, asked by each flow that publishes, pages, silences, spends or
  changes on call (the one table: ``bot.record.rights``); who administers warroom.
- ``administering``: agents' tokens and integrations made and revoked by an admin on the web,
  each kept in the admin record; which tokens a person sees.
- ``named_channels``: the channels the operator's files name, and whether warroom can post.

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``home/``: what a person's App Home shows.
- ``oncall/``: ``/oncall`` and what follows a schedule by itself.
- ``follow_ups/``: follow-ups noted, reminded, done, and filed in trackers.
- ``postmortem/``: the draft posted, its links, its questions, the model's sections, lessons.
- ``paging/``: pages sent to PagerDuty and to people, as jobs.
- ``escalation/``: bringing people in, level by level, and their acknowledgements.
- ``incident/``: declaring, changing, resolving an incident; its channel; the wrap-up.
- ``alerting/``: alerts into incidents, heartbeats, maintenance windows.
- ``changes/``: changes heard in the change channels, and what changed said beside every
  paged alert and declared incident.
- ``status_page/``: making an incident public and publishing its updates.
- ``workflows/``: running workflows' actions (the incident's changes start them).

May import: ``bot.services`` (beside this folder, in the same layer) and everything below it
(``bot.clients``, ``bot.config``, ``bot.metrics``, ``bot.record``, ``bot.store``,
``bot.basics``), and its domain folders. A domain imports the modules here
(``bot/flows/*.py``) and the domains before it, never one after it.
"""
