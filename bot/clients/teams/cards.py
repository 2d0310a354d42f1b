"""The page as an Adaptive Card (https://adaptivecards.io/explorer/, schema 1.4, the version
Teams renders from Workflows): the incident as a bold TextBlock, a FactSet (severity, status,
who is paged, who paged), and Action.OpenUrl buttons (Open in Slack, Acknowledge, the
incident's page). Acknowledge opens warroom's acknowledgement page, whose button acts: an
Action.Submit would go to the flow's bot, which does not answer it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class Card:
    """What the card says; links None are left out."""

    title: str
    facts: tuple[tuple[str, str], ...]
    slack_url: str | None
    acknowledge_url: str | None
    incident_url: str | None
    urgent: bool
    # A line under the title (a workflow's own words), None: none.
    text: str | None = None
    # What the button to ``incident_url`` says (an alert's page: "Open alert").
    open_title: str = "Open incident"


def page_card(card: Card) -> dict[str, Any]:
    """The Workflows message carrying ``card``."""
    actions = [
        {"type": "Action.OpenUrl", "title": title, "url": url}
        for title, url in (
            ("Acknowledge", card.acknowledge_url),
            ("Open in Slack", card.slack_url),
            (card.open_title, card.incident_url),
        )
        if url
    ]
    content = {
        "$schema": SCHEMA,
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": card.title,
                "weight": "Bolder",
                "size": "Large",
                "wrap": True,
                "color": "Attention" if card.urgent else "Warning",
            },
            *([{"type": "TextBlock", "text": card.text, "wrap": True}] if card.text else []),
            *(
                [
                    {
                        "type": "FactSet",
                        "facts": [{"title": t, "value": v} for t, v in card.facts],
                    }
                ]
                if card.facts
                else []  # a test card says it all in its text
            ),
        ],
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": content}],
    }
