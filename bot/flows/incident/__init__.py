"""Incident: an incident's life in its war room, from declaring to the wrap-up form.

- ``declare``: declaring an incident: the record, its channel, its people, its policy.
- ``changes``: changing an incident mid-fight: lead, roles, severity, status, updates.
- ``fields``: changing an incident's type and custom fields from Slack.
- ``findings``: recording what people state for the postmortem, and times set after the fact.
- ``resolve``: resolving an incident; the draft is written once it is.
- ``reminders``: nudges for a missing stakeholder update or an unheld required role.
- ``channel_life``: an incident channel renamed, archived, unarchived.
- ``wrap_up``: the form offered on resolving: impact end, numbers, trigger, services, tasks.
- ``recorder``: what happens in incident channels applied to the record, each event once.
- ``triggers``: where the flows start workflows, in the transaction of the change.
- ``proposed_notes``: a timeline note an agent proposes: checked, shown, accepted by a person.
- ``causes``: the possible causes the team's model proposes while the incident is open, each
  proved from the record or not shown; their one message, 👍/👎 and the working theory.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``, ``paging``, ``escalation``; never one after it.
"""
