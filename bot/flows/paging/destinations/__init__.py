"""Destinations: every way warroom reaches a person, a module per method (GoAlert's
notification/nfydest/), each a ``Destination`` whose ``send`` takes any message of a closed set
and returns the provider's id for it, with its callbacks and receipts beside it; one registry
that incident pages, alert pages, contact verification, test pages and the drill read.

- ``destination``: what a destination is (its name, its ``send``, what else it may state).
- ``messages``: the closed set of what is sent (an incident's page, an alert's page, a
  verification code, the drill, a test), each carrying what its words need.
- ``words``: the words of a message by a method, templates keyed by (kind, method).
- ``links``: where a page's words point (acknowledgement links, the incident's page, an
  alert's console and messages).
- ``registry``: every destination, one ``register`` line each, and ``send``.
- ``slack``: a DM through the outbox. ``ntfy``: a push to a topic. ``pushover``: a push to a
  user key, its emergency receipts read and cancelled. ``sms`` and ``voice``: SMS and calls
  through the phone providers (bot/flows/paging/phones.py). ``email``: a mail through SMTP.
  ``webhook``: a signed JSON document to an operator's receiver. ``teams``: an Adaptive Card
  in a Teams channel.

A new method is one module here and one line in ``registry``; a new subject one class in
``messages`` and its templates (``templates/paging/<kind>/``). The manual's "Adding a
destination" (docs/adding-a-feature.md) is kept true by tests/paging/test_destinations.py.

May import: what ``bot/flows/paging/`` may and, of paging's own modules, ``phones`` (SMS and
calls through the phone providers) and ``alert_pages`` (an alert's snooze, its message's link);
never ``pages``, ``notifying``, ``delivery`` or ``handed``, which read this registry.
"""
