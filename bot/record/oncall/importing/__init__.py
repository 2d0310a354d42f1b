"""Another tool's account translated into warroom's files: no HTTP, no Slack, no settings.

- ``drafts``: the one typed result every vendor's translator returns (``Translation``), and
  how a vendor plugs in.
- ``grafana_oncall``: a Grafana OnCall account (shifts by level, rolling users, overrides,
  escalation chains) translated.

May import: what ``bot.record.oncall`` may, and ``bot.record.oncall``'s own modules.
"""
