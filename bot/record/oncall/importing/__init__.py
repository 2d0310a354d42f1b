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
- ``opsgenie_extras``: its heartbeats, teams as services, integrations.
- ``pagerduty``: a PagerDuty account (REST API v2 objects) translated, what is exact and what
  is not said in the report.
- ``pagerduty_extras``: its services, their integrations, users' notification rules.
- ``grafana_oncall``: a Grafana OnCall account translated: its people, and the rest by part.
- ``grafana_oncall_shifts``: its schedules' shifts (by level, rolling users, overrides) as
  layers and overrides.
- ``grafana_oncall_chains``: its escalation chains as policies.
- ``grafana_oncall_fields``: its objects' fields read as documented (ids, text, times).
- ``grafana_oncall_extras``: its users' personal notification rules and its integrations.

May import: what ``bot.record.oncall`` may, and ``bot.record.oncall``'s own modules.
"""
