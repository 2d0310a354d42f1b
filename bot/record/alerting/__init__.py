"""The alert domain: what monitoring systems send, where it goes, and the alerts in the record.
The flow that opens incidents from them is ``bot.flows.alerting.intake``; the webhooks they
arrive on are ``bot.web.alerting.webhooks``; ``warroom alerts`` is ``bot.admin.alerting.alerts``.

- ``payloads``: the one shape every source's body is parsed into (a notification of alerts).
- ``sources/``: the sources of alerts (Alertmanager, Grafana, the generic shape, vendors'
  APIs), a folder each, behind the one registry of sources (``sources.registry``: a line
  each, the change sources' too).
- ``services``: the services file (WARROOM_SERVICES): owners, policy, urgency, support
  hours, runbook, channel, dependencies of each service.
- ``backstage``: services from Backstage's ``catalog-info.yaml`` files (kind Component).
- ``routes``: the routes file: which alerts open incidents, how they look, where the rest go.
- ``support_hours``: a route's support hours (zone, days, times): when low urgency pages.
- ``arrivals``: bodies kept as they arrive, and taken in their group's order.
- ``alerts``: notifications applied to alert groups and their incidents.
- ``alert_entries``: what the timeline's alert entries state (the alerts named, their links,
  why their times look wrong).
- ``alert_labels``: alerts told apart by their labels, and their links.
- ``alert_changes``: the alert changes a channel has not shown yet, taken and put back.
- ``grouping``: an alert of its own's states; alerts joining an open one, flapping.
- ``escalated``: an alert's escalations by hand, a row each (who, when, to whom).
- ``notes``: the notes a sender adds to its alerts (Opsgenie's "Add Note to Alert"), a row
  each, said on the incident the alert is in.
- ``attaching``: an alert of its own made an incident's: its alerts, its history as entries.
- ``integrations``: integrations, one key each (kept hashed), each for one service: which
  key is whose, and an integration's notifications kept to its service.
- ``heartbeats``: the heartbeats file, and each heartbeat's last check-in and open miss.
- ``maintenance``: maintenance windows, and which alerts they silenced.
- ``worklist``: alerts as the web view, the API and the agents read them: the list (open
  first), one alert with its pages and their notifications.
- ``load``: on-call load for Insights: alerts per route and per service per week,
  after-hours pages per person, time to acknowledge, noise.
- ``service_record``: a service's open alerts and its open and latest incidents.
- ``routed_calls``: calls to a service's number (live call routing): whom each rings in
  turn, each leg, the voicemail, and the alert it raises (its generic body).

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``; never one after it.
"""
