"""Settings, read once from the environment and passed in everywhere: one small frozen
dataclass per feature, each field declared once (its variable, default, parser and meaning).

- ``reading``: how a setting is declared (``setting``) and read (``read``), the parsers,
  ``ConfigError``, ``Secret``, and the README's configuration tables made from the declarations.
- ``settings``: ``Settings``, one of each feature's settings, and the checks across features;
  ``LogSettings``, read first and apart.
- ``slack``: the app's tokens, the Web API's address, Slack's rate-limit window.
- ``runtime``: the database, the port, request sizes, replicas and jobs.
- ``incidents``: time zone, severity, channels, reactions, roles, types, postmortem style.
- ``escalation``: escalation policies, PagerDuty routing keys and Events API.
- ``oncall``: on-call schedules and their iCal feeds.
- ``workflows``: the workflows file, its webhooks' secrets and timeout.
- ``alerting``: alert intake's token, routes and body size.
- ``web``: the web view's sign-in, sessions, public address and API token.
- ``agents``: how many calls an agent's token may make a minute on /mcp.
- ``trackers``: GitHub, Jira Cloud and Linear, where follow-ups are filed.
- ``status_page``: Atlassian Statuspage and how public updates wait.
- ``subscriptions``: status page subscribers: sign-up limits, private webhooks.
- ``bounces``: their bounces reported later: the bounce domain, its secret, the listener.
- ``prompts``: follow-up reminders and the day-after lessons question.
- ``ai``: the team's own model, for the postmortem draft's written sections.
- ``heartbeats``: the heartbeats file (``WARROOM_HEARTBEATS``).
- ``watchdog``: the dead man's switch: the address pinged while warroom's own check passes.
- ``maintenance``: who may make maintenance windows, and how long one lasts at most.
- ``paging``: the contacts file, ntfy, Twilio and SMTP; the paging webhooks file
  (destinations and their signing secrets).
- ``vonage``: Vonage, the second SMS and voice provider: its application, key and secrets.
- ``importing``: ``warroom import``'s API keys of Opsgenie, PagerDuty and Grafana OnCall.

May import: ``bot.basics``, ``bot.store``, ``bot.record``.
"""

from bot.config.reading import ConfigError, Secret
from bot.config.settings import (
    LogSettings,
    Settings,
    configuration_markdown,
    ical_allowed_hosts_from_env,
    incident_types_from_env,
    variables,
)

__all__ = [
    "ConfigError",
    "LogSettings",
    "Secret",
    "Settings",
    "configuration_markdown",
    "ical_allowed_hosts_from_env",
    "incident_types_from_env",
    "variables",
]
