"""The status page's record: public incidents and the updates published about them.

- ``publications``: what is public (the components people named, the texts they published).
- ``subscriptions``: customers subscribed to it: sign-ups, their limits, confirmations,
  unsubscribes, bouncing addresses, what each notice still has to send.
- ``bounces``: bounces reported later: each subscription's signed return address (VERP) and
  what a delivery status notification (RFC 3464) sent back to it says.
- ``status_notices``: a public update's or maintenance window's delivery to each status page
  subscriber, written with it (shared by ``alerting`` and ``status_page``).

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``; never one after it.
"""
