"""The incident ``warroom demo`` plays: its cast, the settings it runs with (policies, alert
routes, contacts, incident types, workflows) and its script, step by step. ``bot.admin.demo.demo``
plays it against the Slack emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The people of the scripted incident.
CAST = {
    "U0ALICE": ("alice", "Alice Moreau"),
    "U0BOB": ("bob", "Bob Okafor"),
    "U0CAROL": ("carol", "Carol Tanaka"),
    "U0DAVE": ("dave", "Dave Kowalski"),
    "U0ERIN": ("erin", "Erin Achebe"),
}
ALICE, BOB, CAROL, DAVE, ERIN = CAST
DBA_TEAM = "S0DBATEAM"
# The checkout team's on-call schedule: a weekly rotation of Bob and Carol in Paris, Bob's
# week now (the demo's start is worked out when it runs: demo_schedules).
CHECKOUT_SCHEDULE = "checkout-primary"
# Checkout's alerts page whoever is on call for checkout (and a PagerDuty service), then the
# DBAs; so do SEV2 incidents (the incident declared from the alert pages nobody it paged).
DEMO_POLICIES = {
    "policies": {
        "checkout-oncall": {
            "levels": [
                {
                    "timeout": "5m",
                    "targets": [
                        {"schedule": CHECKOUT_SCHEDULE},
                        {"pagerduty": {"service": "Checkout", "routing_key_env": "DEMO_PD_KEY"}},
                    ],
                },
                {"targets": [{"usergroup": "dba-team"}]},
            ]
        },
        # The checkout queue's alerts page whoever is on call, and nobody else (demo_routes).
        "checkout-queue": {"levels": [{"targets": [{"schedule": CHECKOUT_SCHEDULE}]}]},
    },
    "severities": {"SEV2": "checkout-oncall"},
}
DEMO_ROUTING_KEY = "demo0000000000000000000000000000"
DEMO_ALERT_TOKEN = "demo-alert-token"
# Follow-ups are filed in a fake GitHub repository.
DEMO_GITHUB_TOKEN = "ghp_demo000000000000000000000000000000"
DEMO_REPOSITORY = "acme/checkout"
# The checkout team's alerts channel, where its alerts are posted (they open no incident).
ALERTS_CHANNEL = "checkout-alerts"
QUEUE_ALERT = "CheckoutQueueLag"
ERROR_ALERT = "CheckoutErrorRate"
# The type the incident is declared with (picked in the declare form): its workflows follow.
DECLARED_TYPE = "customer-facing"


def demo_routes(alerts_channel: str) -> dict[str, Any]:
    """The team's alert routes, each an ``action: page`` route with its message in
    ``alerts_channel`` and no incident opened: the checkout queue lagging pages the on-call
    person at low urgency (push and Slack only); other alerts about checkout page the checkout
    on-call policy at high urgency (the phone at once, then SMS and a call), and someone
    declares the incident from the alert's message when it matters."""
    return {
        "routes": [
            {
                "name": "checkout-queue",
                "match": {"alertname": QUEUE_ALERT},
                "action": "page",
                "policy": "checkout-queue",
                "channel": alerts_channel,
                "severity": "SEV3",
                "urgency": "low",
                "title": "{{ annotations.summary }}",
            },
            {
                "name": "checkout",
                "match": {"service": "checkout"},
                "action": "page",
                "policy": "checkout-oncall",
                "channel": alerts_channel,
                "severity": "SEV2",
                "urgency": "high",
                "title": "{{ annotations.summary }}",
            },
        ]
    }


# How Carol is reached when paged: her phone gets a push at once, an SMS a minute later, a
# call a minute after that (a fake ntfy and a fake Twilio on 127.0.0.1 stand for the services).
CAROL_PHONE = "+15555550123"
CAROL_TOPIC = "carol-7f3a9c"
DEMO_CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "push": {"ntfy": CAROL_TOPIC},
                "sms": {"sms": CAROL_PHONE},
                "call": {"voice": CAROL_PHONE},
            },
            "rules": [
                {"after": "0s", "notify": ["slack", "push"]},
                {"after": "1m", "notify": ["sms"]},
                {"after": "2m", "notify": ["call"]},
            ],
            # Carol opted in to the weekly paging drill, which the demo runs at its end.
            "drill": True,
        }
    }
}
# Where Twilio and the ntfy app would reach warroom (the fakes are pointed at the demo's port).
DEMO_PUBLIC_URL = "https://warroom.example.com"
# The team's incident types: a customer-facing incident asks what customers saw before it is
# resolved.
DEMO_TYPES = {
    "fields": {
        "customer_impact": {
            "type": "select",
            "label": "Customer impact",
            "options": ["none", "degraded", "outage"],
            "required_at": "resolve",
        }
    },
    "types": {
        "customer-facing": {
            "description": "Customers can see it",
            "fields": ["customer_impact"],
        }
    },
}
# The team's workflows: a customer-facing incident gets its comms checklist, and one whose
# customers see an outage gets a follow-up to write to them.
DEMO_WORKFLOWS = {
    "workflows": {
        "customer-comms": {
            "on": "incident.declared",
            "when": {"type": "customer-facing"},
            "do": [
                {
                    "post": {
                        "text": "Customers can see {{ incident.reference }}: name a comms "
                        "lead, and post to the status page once the impact is known."
                    }
                }
            ],
        },
        "tell-customers": {
            "on": "incident.field_changed",
            "when": {"field": "customer_impact", "in": ["degraded", "outage"]},
            "do": [{"follow_up": "Write to the customers who saw {{ incident.reference }}"}],
        },
    }
}


@dataclass(frozen=True)
class Say:
    """Someone says something in the incident channel; a reaction may mark it (Alice's,
    unless ``by`` says whose)."""

    minutes: int
    user: str
    text: str
    reaction: str | None = None
    by: str = ALICE


@dataclass(frozen=True)
class RulesOut:
    """Someone answers the question under a message marked :x: (the one said at ``said``):
    it rules out an earlier idea, the one said at ``idea``."""

    minutes: int
    user: str
    said: int
    idea: int


@dataclass(frozen=True)
class Run:
    """Someone runs ``/incident <text>`` in the incident channel."""

    minutes: int
    user: str
    text: str


@dataclass(frozen=True)
class AlertNotification:
    """Alertmanager posts the checkout error rate's alert group: firing (high urgency: it
    pages, opens no incident), or resolved."""

    minutes: int
    status: str


@dataclass(frozen=True)
class QueueAlert:
    """Alertmanager posts the checkout queue's lag alert (low urgency: it pages, opens no
    incident)."""

    minutes: int


@dataclass(frozen=True)
class PhoneAcknowledge:
    """Someone taps the push on their phone: its link opens the alert's console, where they
    press Acknowledge."""

    minutes: int
    user: str


@dataclass(frozen=True)
class DeclareFromAlert:
    """Someone presses Declare incident on the error rate alert's message: the declare form
    opens filled from the alert; they pick the incident's type and press Declare."""

    minutes: int
    user: str


@dataclass(frozen=True)
class OnCall:
    """Someone runs ``/oncall <text>`` in #general."""

    minutes: int
    user: str
    text: str


@dataclass(frozen=True)
class Acknowledge:
    """Someone presses the Acknowledge button on the latest escalation message."""

    minutes: int
    user: str


@dataclass(frozen=True)
class PressKey:
    """Someone answers the page's call on their phone and presses a key."""

    minutes: int
    user: str
    key: str


@dataclass(frozen=True)
class FixTime:
    """Someone sets a milestone after the fact (``/incident time``) to a minute of the script."""

    minutes: int
    user: str
    milestone: str
    at_minute: int


# Bob is on call this week but at the dentist this morning: he hands the pager to Carol. The
# checkout queue lags: a low-urgency alert pages Carol's phone (a push, no call), and she
# acknowledges it on the push's console, no incident opened. Then the error rate alert fires, at
# high urgency: level 1 of the policy reaches the schedule, so Carol: her phone gets the push,
# then the SMS, then the call, in which she presses 1. Still no incident: Alice reads the alert
# and declares it one from its message, taking the lead, and later brings in the DBAs, whom
# Dave answers for.
# What a person does in Slack (or on the phone); the script's other steps are Alertmanager's.
Played = Say | Run | OnCall | Acknowledge | FixTime | RulesOut | PressKey
Step = Played | AlertNotification | QueueAlert | PhoneAcknowledge | DeclareFromAlert
SCRIPT: list[Step] = [
    OnCall(0, ALICE, ""),
    OnCall(0, BOB, f"override @carol {CHECKOUT_SCHEDULE} now for 4h"),
    QueueAlert(0),
    PhoneAcknowledge(1, CAROL),
    AlertNotification(1, "firing"),
    PressKey(3, CAROL, "1"),
    DeclareFromAlert(4, ALICE),
    Say(4, CAROL, "Seeing a spike in 500s on /checkout, roughly 20% of requests.", "pushpin"),
    Run(4, ALICE, "role comms @carol"),
    Run(6, ALICE, "escalate @dba-team checkout queries look slow"),
    Acknowledge(7, DAVE),
    Say(9, DAVE, "Slow queries on the orders database? Checking the DB logs.", "mag"),
    Run(12, ALICE, "escalate @erin owns the payment gateway; card errors in its logs"),
    Run(14, ERIN, "ack"),
    Run(15, CAROL, "update Card payments fail for about 20% of checkouts. Next update in 30 min."),
    # Customers see it too: on warroom's status page, in words meant for them.
    Run(15, CAROL, "public Checkout, Card payments"),
    Run(15, CAROL, "update --public Some card payments fail at checkout. Next update in 30 min."),
    Run(16, CAROL, "impact About 20% of checkouts fail with a card error; no other page is hit"),
    Run(16, CAROL, "set customer_impact degraded"),
    # Dave marks his own refutation a dead end, and answers its question: it rules out the
    # idea he had at minute 9 (a 12-minute path in the draft).
    Say(21, DAVE, "Database is healthy, that was a dead end.", "x", by=DAVE),
    RulesOut(22, DAVE, said=21, idea=9),
    Say(38, CAROL, "Payment gateway release at {release} changed card type validation.", "bulb"),
    Run(40, ALICE, "status identified"),
    Say(52, ALICE, "Rolling back the payment gateway release.", "white_check_mark"),
    Run(53, ALICE, "status monitoring"),
    # The impact ends here: the draft proposes the alert's resolution as its end.
    AlertNotification(70, "resolved"),
    Say(71, CAROL, "Error rate is back to baseline, checkout works again.", None),
    Say(80, CAROL, "Follow-up: add an integration test for every supported card type.", "memo"),
    Run(82, ALICE, "cause The {release} gateway release rejected card types it did not list"),
    Run(83, ALICE, "action @erin Alert on card errors per gateway release"),
    Run(83, ERIN, "action --file Test every supported card type before a gateway release"),
    # The error rate had been climbing before the alert fired: Erin finds it in the graphs.
    FixTime(84, ERIN, "started", -3),
    # Before resolving, Alice reads the curated timeline (shown to her alone).
    Run(85, ALICE, "timeline"),
]
# The payment gateway release that caused it went out this many minutes after the alert's
# start (before it: the impact began 3 minutes before the alert, FixTime above).
RELEASE_MINUTE = -9


@dataclass(frozen=True)
class Story:
    """The script's clock: minute 0 is the alert's start (two hours before the demo runs),
    and a time the story states is said in the incident's zone, as people there say it."""

    start: datetime
    zone: str

    def at(self, minute: int) -> datetime:
        """The moment of a minute of the script."""
        return self.start + timedelta(minutes=minute)

    def clock(self, minute: int) -> str:
        """A minute of the script as a wall clock in the incident's zone (``11:55``)."""
        return f"{self.at(minute).astimezone(ZoneInfo(self.zone)):%H:%M}"

    def tell(self, text: str) -> str:
        """A line of the script with the times it states (``{release}``) filled in."""
        return text.replace("{release}", self.clock(RELEASE_MINUTE))

    def typed_time(self, minute: int, typed_at: datetime) -> str:
        """A minute of the script as a person types it in ``/incident time`` at ``typed_at``:
        its clock in the incident's zone, "yesterday" when that was the day before."""
        zone = ZoneInfo(self.zone)
        day = (typed_at.astimezone(zone).date() - self.at(minute).astimezone(zone).date()).days
        return ("yesterday " if day == 1 else "") + self.clock(minute)


# The team's own model (WARROOM_AI_*), here a fake OpenAI-compatible server on 127.0.0.1.
DEMO_MODEL = "llama3.1:8b"
RESOLVED_AFTER_MINUTES = 95
RESOLVED_PUBLICLY = Run(
    RESOLVED_AFTER_MINUTES,
    CAROL,
    "update --public Card payments work again: the incident is resolved. We are sorry for the"
    " failed checkouts.",
)
