"""The status pages: making an incident public and publishing its updates (warroom's page,
Statuspage).

- ``publishing``: public incidents and their updates, kept in step with Statuspage by a job.
- ``subscriptions``: customers subscribed by e-mail or webhook; their confirmation and notices.
- ``challenges``: a webhook's challenge, which it echoes before it is sent any notice.
- ``bounces``: the bounce listener: an SMTP server that reads the delivery reports sent back
  to subscribers' return addresses and marks an address that failed for good bouncing.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``, ``paging``, ``escalation``, ``incident``,
``alerting``, ``changes``; never one after it.
"""
