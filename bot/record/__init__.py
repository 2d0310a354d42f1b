"""The record: what happened in an incident and who did it, kept in the database. Functions take
plain values and a session; nothing here knows Slack, HTTP or the settings object. The
modules here are what the domain folders share.

- ``moments``: times people type in Slack and zones they name.
- ``people``: people's names and zones, fetched from Slack once.
- ``rights``: who may act: the one table of acts and the kinds of people who may do each.
- ``audit``: the admin record: tokens, integrations and contact methods changed, by whom,
  when and why.
- ``shown_once``: values shown once on the web (a new token, a new key), kept sealed for
  their page for two minutes, dropped as they are read.
- ``gauges``: what ``GET /metrics`` reads from the database at scrape time, and the queues'
  lag ``GET /readyz`` judges.

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``incident/``: the incident, its timeline, its channel's history, roles, fields,
  findings, milestones, related incidents, the wrap-up.
- ``insights/``: what recent incidents say, counted.
- ``follow_ups/``: follow-ups, their tracker issues, repeats merged.
- ``escalation/``: escalations and escalation policies.
- ``status_page/``: public incidents, the updates published about them, their subscribers.
- ``alerting/``: alerts, their payloads and routes.
- ``oncall/``: on-call schedules, the engine, overrides, swaps, calendars.
- ``paging/``: people's contact methods and rules, pages and their notifications.
- ``changes/``: change events kept per service (deploys, flags, configuration...), their
  senders read (PagerDuty, GitHub, warroom's JSON), and what changed before a moment.
- ``workflows/``: the operators' workflows and the runs they start.
- ``postmortem/``: the postmortem draft, written from the record.
- ``agents/``: the tokens agents read the record and propose findings with.

May import: ``bot.basics``, ``bot.store`` and its domain folders. A domain imports the
modules here (``bot/record/*.py``) and the domains before it, never one after it.
"""
