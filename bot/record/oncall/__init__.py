"""On call: schedules of who answers when, and the overrides people make on top of them.
Record-level: no Slack, no HTTP, no settings object.

- ``schedules``: the schedule file (``WARROOM_ONCALL_SCHEDULES``).
- ``zones``: a zone's clock as pieces of constant UTC offset.
- ``engine``: who is on call when: a schedule's rules turned into shifts in UTC.
- ``advice``: what ``warroom oncall check`` says of a good file: layers that overlap.
- ``overrides``: overrides in the database, never deleted, and who made or cancelled them.
- ``swaps``: swaps asked of someone, and how they were answered.
- ``covers``: requests to be on call from outside a schedule, and the owner's answer.
- ``rights``: who may change a schedule: its own people.
- ``work``: the job rows schedules cause (handoffs, notices, gaps), their kinds and keys.
- ``hours``: hours on call per person, and how many fell at night and at weekends.
- ``calendar``: what the .ics feeds hold: whole shifts, 30 days back to 90 ahead.
- ``calendar_tokens``: the feeds' secret links: given out, checked, rotated.
- ``ical_layers``: an iCal layer's feed read: its events and whom each names.
- ``recurrence``: recurring calendar events expanded, as RFC 5545 defines them.
- ``feed_addresses``: which addresses an iCal layer's feed may be fetched from.
- ``feed_copies``: the last good copy of each feed, and how its refreshes go.
- ``holidays``: who is away when: a schedule's holidays, read from the file, as intervals.
- ``leave``: a person's leave in the database, and who each schedule's rotations pass over.
- ``importing/``: another tool's account (Opsgenie, PagerDuty, Grafana OnCall) translated
  into schedules, policies, overrides and a report.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``, ``alerting``; never one after it.
"""
