"""On call from Slack, and what follows a schedule by itself.

- ``who``: ``/oncall``: who is on call now and next, in the asker's zone.
- ``overrides``: ``/oncall override`` and ``/oncall cancel``, from Slack and the web view.
- ``swaps``: ``/oncall swap``: a swap asked by DM, and its Accept or Decline.
- ``covers``: someone outside a schedule asks its owners to be put on call.
- ``common``: what they share: the schedule named, zones, times read forward, DMs.
- ``handoffs``: whom an escalation reaches, the user group at each handoff, shift notices
  and gap posts.
- ``ical_feeds``: the iCal layers' feeds (and holiday calendars) refreshed on a timer.
- ``leave``: ``/oncall leave`` and the web view's leave form: a person's leave.
- ``leave_feeds``: a person's leave calendar, an iCal feed refreshed on a timer.
- ``calendars``: the calendar feeds' secret links, and what a feed shows.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``;
never one after it.
"""
