"""Another tool's account translated into warroom's files: no HTTP, no Slack, no settings.

- ``drafts``: the one typed result every vendor's translator returns (``Translation``), and
  how a vendor plugs in.
- ``pagerduty``: a PagerDuty account (REST API v2 objects) translated, what is exact and what
  is not said in the report.

May import: what ``bot.record.oncall`` may, and ``bot.record.oncall``'s own modules.
"""
