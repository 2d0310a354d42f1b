"""Changes: what changed before something broke, heard in the team's change channels and
put beside every paged alert and declared incident.

- ``heard``: an app's message in a change channel (WARROOM_CHANGE_CHANNELS) kept as a
  change event, read with its sender's shape, or kept as its raw text for no service.
- ``beside``: the job (``changes_beside``) that says, once, beside a paged alert (in its
  message's thread) or a declared incident (in its channel) what changed before it on its
  services and what they depend on, the earlier incidents related to it with their causes,
  and the runbook. It is written in the transaction that decides the page or opens the war
  room, so it never holds up the page's first notification.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``, ``paging``, ``escalation``, ``incident``,
``alerting``; never one after it.
"""
