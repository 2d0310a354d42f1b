"""``/incident escalate`` and ``/incident ack``.

- ``escalate``: bring people in now: a person, a group, a policy or a schedule's on-call.
- ``ack``: ``/incident ack`` and the Acknowledge button.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``, ``follow_ups``, ``postmortem``; never one after
it. Nothing imports it but ``commands`` (its table and ``register``).
"""
