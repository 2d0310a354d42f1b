"""Flows: everything that decides and calls out, across the record, Slack, pagers and trackers.
Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
Work that is due later (escalation timers, pages, reminders) is a job row; ``handlers`` says
which flow runs each kind. The modules here are what the domain folders share.

- ``declare``: declaring an incident: the record, its channel, its people, its policy.
- ``changes``: changing an incident mid-fight: lead, roles, severity, status, updates.
- ``fields``: changing an incident's type and custom fields from Slack.
- ``findings``: recording what people state for the postmortem, and times set after the fact.
- ``resolve``: resolving an incident; the draft is written once it is.
- ``reminders``: nudges for a missing stakeholder update or an unheld required role.
- ``channel``: what every flow shows in Slack: the header, messages, announcements.
- ``channel_life``: an incident channel renamed, archived, unarchived.
- ``alert_intake``: alerts into incidents: a webhook accepted fast, applied as a job.
- ``postmortem_posting``: the draft posted in the channel, as a canvas or a file.
- ``draft_links``: the links a draft gives to the messages its lines came from.
- ``suggestions``: the draft's written sections asked of the team's model, checked; a person
  accepting or editing them.
- ``verification``: the suggested sentences' meaning asked of the model (a second request).
- ``draft_prompts``: the draft's questions in a marked message's thread, and their answers.
- ``filing``: follow-ups filed as tracker issues, retried, closed and reopened.
- ``follow_ups``: follow-ups noted with owner and due date, reminded by DM, marked done.
- ``follow_up_merging``: two follow-ups that are one task merged in one click (Slack, web).
- ``follow_up_model``: the team's model asked whether a new follow-up repeats an earlier one.
- ``lessons``: the day-after lessons DM to each participant, and their answers.
- ``wrap_up``: the form offered on resolving: impact end, numbers, trigger, services, tasks.
- ``replies``: replying privately after the ack.
- ``in_order``: slash commands and button presses applied in the order they arrived.
- ``recorder``: what happens in incident channels applied to the record, each event once.
- ``ingestion``: the Slack event writer: many events per transaction.
- ``group_commit``: one writer per process, many requests per transaction.
- ``outbox``: sending the outbox, each channel's writes in order.
- ``scheduler``: the job runner.
- ``handlers``: which flow runs each kind of job.
- ``heartbeats``: check-ins kept, and a missed one raised as an alert.
- ``maintenance``: maintenance windows made and cancelled, and the alerts they silence.
- ``maintenance_rights``: who may make and cancel a window: what its alerts reach, and whose.
- ``polling``: a background task: a round of work, then a wait.
- ``installation``: the app uninstalled or installed again: sending stops and resumes.
- ``home``: what a person's App Home shows.
- ``people``: what flows ask Slack about a person.
- ``named_channels``: the channels the operator's files name, and whether warroom can post.

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``oncall/``: ``/oncall`` and what follows a schedule by itself.
- ``paging/``: pages sent to PagerDuty, as jobs.
- ``status_page/``: making an incident public and publishing its updates.
- ``escalation/``: bringing people in, level by level, and their acknowledgements.
- ``workflows/``: where flows start workflows, and running their actions.

May import: ``bot.services`` (beside this folder, in the same layer) and everything below it
(``bot.clients``, ``bot.config``, ``bot.metrics``, ``bot.record``, ``bot.store``,
``bot.basics``), and its domain folders. A domain imports the modules here
(``bot/flows/*.py``) and the domains before it, never one after it.
"""
