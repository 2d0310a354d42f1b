"""Escalating: bringing in people, user groups, schedules and policy levels, and their
acknowledgements.

- ``targets``: escalate to a target (``/incident escalate``, a workflow, a phone's answer): a
  person, a group, a schedule's on-call or a policy's next level.
- ``levels``: a policy's levels: escalating to one once a round, starting level 1 in the
  transaction that decided it, what follows a timeout (the next level, a repeat, running out).
- ``bringing_in``: the people invited and the escalation posted with its Acknowledge button;
  a DM to each person a schedule named.
- ``acknowledging``: acknowledge (timers stopped, pages acknowledged, the message shown);
  stand down when the incident is resolved.
- ``reach``: whom a level's targets reach (asking Slack, or inside a transaction from what
  the process holds), and when what started a policy arrived.
- ``answers``: answers from a phone (a push's button, an email's link, an SMS reply, a
  keypress): acknowledge, or escalate to the next level.
- ``receipts``: a Pushover receipt read back from Pushover (its callback only a hint): an
  acknowledgement on the phone acknowledges the page; expired pushes kept as such.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``, ``paging``; never one after it.
"""
