"""The record: what happened in an incident and who did it, kept in the database. Functions take
plain values and a session; nothing here knows Slack, HTTP or the settings object. The
modules here are what the domain folders share.

- ``incidents``: open, find, attach to a channel, resolve.
- ``incident_queries``: filtered, paginated lists, and one incident by reference.
- ``incident_search``: search by words (the database's full-text index) and where they were found.
- ``incident_types``: incident types and custom fields as operators write them.
- ``fields``: an incident's type and field values, set with their history.
- ``timeline``: the curated timeline.
- ``messages``: the raw history of an incident channel, edits and deletions included.
- ``message_links``: links to the messages a record came from, learned once per channel.
- ``reactions``: reactions that promote messages into the timeline, and take them out.
- ``event_batch``: a batch of plain Slack events kept in a few statements.
- ``roles``: who leads an incident and who holds its other roles.
- ``findings``: impact, causes and follow-up tasks people state for the postmortem.
- ``follow_ups``: follow-ups: possible duplicates, open and overdue ones, done; and as tracker
  issues: filed where, waiting, refused, closed.
- ``follow_up_merges``: follow-ups possibly the same, merged into one, given an owner.
- ``related``: earlier incidents sharing a service, components, alert names or labels, and why
  (the agents' tool, the incident page, the channel's offer, and a draft's repeats).
- ``lessons``: the day-after question to the participants: who, asked once, their answers.
- ``wrap_up``: what the form offered on resolving records, and the impact end it proposes.
- ``milestones``: milestone times set or corrected after the fact (and ``METRICS``).
- ``moments``: times people type in Slack and zones they name.
- ``incident_times``: a time typed about a past incident, read on its days in its zone.
- ``people``: people's names and zones, fetched from Slack once.
- ``rights``: who may act: the one table of acts and the kinds of people who may do each.
- ``audit``: the admin record: tokens, integrations and contact methods changed, by whom,
  when and why.
- ``involvement``: who is in which incident (the App Home's "your incidents").
- ``insights``: what recent incidents say, counted for the web view.
- ``gauges``: what ``GET /metrics`` reads from the database at scrape time, and the queues'
  lag ``GET /readyz`` judges.
- ``status_notices``: a public update's or maintenance window's delivery to each status page
  subscriber, written with it (shared by ``alerting`` and ``status_page``).

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``alerting/``: alerts, their payloads and routes.
- ``changes/``: change events kept per service (deploys, flags, configuration...), their
  senders read (PagerDuty, GitHub, warroom's JSON), and what changed before a moment.
- ``escalation/``: escalations and escalation policies.
- ``oncall/``: on-call schedules, the engine, overrides, swaps, calendars.
- ``paging/``: people's contact methods and rules, pages and their notifications.
- ``status_page/``: public incidents, the updates published about them, their subscribers.
- ``workflows/``: the operators' workflows and the runs they start.
- ``postmortem/``: the postmortem draft, written from the record.
- ``agents/``: the tokens agents read the record and propose findings with.

May import: ``bot.basics``, ``bot.store`` and its domain folders. A domain imports the
modules here (``bot/record/*.py``) and the domains before it, never one after it.
"""
