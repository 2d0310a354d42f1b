"""Alerting: alerts into incidents, heartbeats missed, maintenance windows.

- ``intake``: alerts into incidents: a webhook accepted fast, applied as a job.
- ``in_slack``: an applied alert shown in Slack: its war room, its changes, its route's post.
- ``mail_alerts``: e-mail integrations: mail to an integration's address on the inbound SMTP
  listener (``bot.flows.status_page.bounces``) taken as an alert of its service.
- ``own_alerts``: alerts of their own (a route with ``action: page``): paged without an
  incident, acknowledged and resolved from their one message.
- ``alert_actions``: an alert snoozed (paged again when the snooze ends, if still firing),
  escalated by hand to its policy's next level or to a person, and a page of it answered
  from a phone (escalate, snooze for an hour, resolve).
- ``declared``: an alert declared as an incident (its Declare incident button) or attached
  to one (``/incident alert attach``): its paging and history taken over.
- ``many``: several alerts acknowledged or resolved together (the web view's selection,
  ``/alerts ack``, the message's "Acknowledge all mine" and "Resolve all mine"), each in its
  own transaction.
- ``heartbeats``: check-ins kept, and a missed one raised as an alert.
- ``drill_alerts``: the paging drill (``bot.flows.paging.drills``) with a failed provider
  raised as an alert; the scheduled drill's job handler.
- ``maintenance``: maintenance windows made and cancelled, and the alerts they silence.
- ``call_routing``: live call routing: a call to a service's number rings whoever is on call
  for its policy, level after level, and ends in a voicemail raised as an alert.
- ``maintenance_rights``: who may make and cancel a window: what its alerts reach, and whose.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``, ``paging``, ``escalation``, ``incident``; never one
after it.
"""
