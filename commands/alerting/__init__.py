"""Alerting's subcommands and buttons: an alert's buttons (Acknowledge, Escalate, Snooze,
Resolve, Declare incident) and ``/incident maintenance``.

- ``alert``: the buttons of an alert's own message (a ``page`` route, no incident): Acknowledge,
  Escalate (a menu: the next level, or "A person…", whose form pages the person chosen), Snooze (a
  menu of lengths), Resolve and Declare incident (the declare form, filled from the alert:
  bot/flows/alerting/declared.py). Thin: read the press, act (bot/flows/paging/alert_pages.py,
  bot/flows/alerting/alert_actions.py), and the message updates itself; a press that changes
  nothing, or a guest's, is answered privately. The same acts are beside each open alert on its
  people's App Home (the same action ids, so these same listeners): their Home published afresh, a
  refusal said at its top.
- ``maintenance``: ``/incident maintenance <label>=<value>[,…] <start> to <end> [--component
  <name>[, …]] [--public <words>]``: silence matching alerts for a while (with ``--public``, also
  shown to customers on the status page as scheduled, then in progress, with those words, on the
  components named); ``/incident maintenance`` lists the windows, ``… cancel <id>`` ends one. Guests
  of the workspace get none of it; making and cancelling are a right
  (``bot/flows/alerting/maintenance_rights.py``).

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``, ``follow_ups``, ``postmortem``, ``escalation``,
``incident``; never one after it. Nothing imports it but ``commands`` (its table and
``register``).
"""
