"""Paging people: their contact methods and notification rules, the pages an escalation starts
for each person it reaches, and each notification those pages send. Record-level: no Slack, no
HTTP, no settings object.

- ``contacts``: the contacts file (``WARROOM_CONTACTS``): each person's methods and rules.
- ``pages``: a page per person an escalation reaches, and its notifications, as rows.
- ``own``: contact methods and rules people set from Slack, verified with a code; the codes'
  limits, and who holds a number or address.
- ``numbers``: numbers people add, classified (libphonenumber): premium-rate and the like
  refused, countries allowed.
- ``tokens``: acknowledgement links' secrets (hashed, single use).
- ``reported``: each provider's own words for a notification's delivery state.
- ``service``: paging measured as a service from the record (the insights' Paging panel), and
  the drill's checks.
- ``slo``: the paging SLO: high-urgency alerts confirmed to reach a person within 60 s, per
  day and provider, and the one table of the states that confirm a delivery.
- ``drills``: a provider's failed drill as a generic alert, and its resolution.
- ``drill_schedule``: ``WARROOM_PAGING_DRILL``'s weekly time, and the next one.
- ``shadow``: a shadow week compared: a vendor's alerts beside whom warroom notified or would
  have, each disagreement's cause asked of its policies, schedules and overrides.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``, ``alerting``, ``oncall``; never one after it.
"""
