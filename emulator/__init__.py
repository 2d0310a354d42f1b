"""Slack emulator: a fake Slack Web API plus signed requests to the bot, all on 127.0.0.1; and fake
PagerDuty (Events API: ``pagerduty``; REST API: ``pagerduty_rest``, the account it serves in
``pagerduty_account``, its schedules worked out by ``pagerduty_schedules``, its services and
people's rules in ``pagerduty_paging``), GitHub, Jira, Linear, Statuspage, Opsgenie and Grafana
OnCall servers (Opsgenie's: ``opsgenie``, who it says is on call in ``opsgenie_oncall``, its
account in ``opsgenie_samples``; Grafana OnCall's: ``grafana_oncall``, its final shifts in
``grafana_oncall_shifts``), and healthchecks.io's pinging API (``healthchecks``, the watchdog's
target); the fake Twilio (``twilio``) follows the TwiML of calls to its numbers in
``twilio_calls``. ``preview`` lays out a channel's messages as the Slack client shows them
(``GET /preview/<channel>`` on the emulator, said to be its preview), for people and the
manual's pictures; ``preview_actions`` makes the previews places to act (``ActingEmulator``, for
``warroom dev``: a person types a command or a message and presses buttons there).

Used by `warroom demo` and `warroom dev` (no workspace needed) and by the test suite. It
sits beside ``bot/`` in the repository and is not in the product's wheel: ``pip install -e .``
from a clone makes it importable. The app it plays is a parameter
(``SlackEmulator(app_name=..., team_id=...)``); the defaults are warroom's demo workspace.

May import: nothing of warroom's (``bot``, ``commands``); only ``bot.admin.demo``'s
``demo``, ``demo_model``, ``demo_alerts``, ``dev`` and ``emulated``, and the tests, import it.
"""

from emulator.client import SlackEmulator, UndeclaredCommand
from emulator.models import (
    ApiCall,
    BotResponse,
    Channel,
    EphemeralMessage,
    Message,
    User,
    slack_signature_headers,
)
from emulator.ntfy import FakeNtfy
from emulator.pagerduty import FakePagerDuty
from emulator.paging_webhook import FakeWebhookReceiver
from emulator.pushover import FakePushover
from emulator.teams import FakeTeamsWorkflow
from emulator.twilio import FakeTwilio
from emulator.vonage import FakeVonage

__all__ = [
    "ApiCall",
    "BotResponse",
    "Channel",
    "EphemeralMessage",
    "FakeNtfy",
    "FakePagerDuty",
    "FakePushover",
    "FakeTeamsWorkflow",
    "FakeTwilio",
    "FakeVonage",
    "FakeWebhookReceiver",
    "Message",
    "SlackEmulator",
    "UndeclaredCommand",
    "User",
    "slack_signature_headers",
]
