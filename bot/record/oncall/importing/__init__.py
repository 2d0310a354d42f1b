"""Another tool's account translated into warroom's files: no HTTP, no Slack, no settings.

- ``drafts``: the one typed result every vendor's translator returns (``Translation``), and
  how a vendor plugs in.
- ``naming``: the slugs schedules and policies are named by, a vendor id where two collide.
- ``carrying``: a translation with its people matched: the two files, the overrides, the
  report's items; unmatched people never guessed.
- ``extras``: services, heartbeats, people's notification rules and the integrations to
  repoint, carried (``services.yaml``, ``heartbeats.yaml``, ``contacts.yaml``, the report's
  commands).
- ``people``: ``--users-map``, a CSV of email,slack_user_id lines.
- ``opsgenie``: an Opsgenie account's objects translated (what maps exactly, what is said).
- ``opsgenie_services``: its teams as services, their heartbeats and integrations.
- ``opsgenie_notification_rules``: its users' notification rules as contacts and rules.
- ``opsgenie_forwarding_rules``: its forwarding rules as leave; its instants read.
- ``pagerduty``: a PagerDuty account (REST API v2 objects) translated, what is exact and what
  is not said in the report.
- ``pagerduty_services``: its services and their integrations.
- ``pagerduty_notification_rules``: its users' notification rules as contacts and rules.
- ``grafana_oncall``: a Grafana OnCall account translated: its people, and the rest by part.
- ``grafana_oncall_shifts``: its schedules' shifts (by level, rolling users, overrides) as
  layers and overrides.
- ``grafana_oncall_chains``: its escalation chains as policies.
- ``grafana_oncall_fields``: its objects' fields read as documented (ids, text, times).
- ``grafana_oncall_notification_rules``: its users' personal notification rules.
- ``grafana_oncall_integrations``: its integrations, to repoint.

May import: what ``bot.record.oncall`` may, and ``bot.record.oncall``'s own modules.
"""
