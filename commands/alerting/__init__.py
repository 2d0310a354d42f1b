"""Alerting's commands and buttons: an alert's buttons (Acknowledge, Escalate, Snooze,
Resolve, Declare incident, and the menu of Acknowledge all mine and Resolve all mine),
``/alerts`` and ``/incident maintenance``.

- ``alert``: the buttons of an alert's own message (a ``page`` route, no incident) and of its
  people's App Home: Acknowledge, Escalate, Snooze, Resolve, Declare incident.
- ``alerts``: the ``/alerts`` command: the open alerts paged to you; ``ack`` and ``resolve``
  several at once (their ids, or ``--mine``).
- ``maintenance``: ``/incident maintenance``: silence matching alerts for a while (with
  ``--public``, shown on the status page too, on the ``--component`` names); list the windows,
  cancel one.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``, ``follow_ups``, ``postmortem``, ``escalation``,
``incident``; never one after it. Nothing imports it but ``commands`` (its table and
``register``).
"""
