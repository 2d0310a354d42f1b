"""Escalating: bringing in people, user groups, schedules and policy levels, and their
acknowledgements.

- ``escalate``: bring in a person, a group, a schedule's on-call or a policy's next level;
  acknowledge; time out.
- ``reach``: whom a level's targets reach (asking Slack, or inside a transaction from what
  the process holds), and when what started a policy arrived.
- ``answers``: answers from a phone (a push's button, an email's link, an SMS reply, a
  keypress): acknowledge, or escalate to the next level.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it (``oncall``, ``paging``, ``status_page``);
never ``workflows``, which comes after it.
"""
