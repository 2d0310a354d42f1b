"""Microsoft Teams through a Workflows (Power Automate) webhook: the flow template "Send
webhook alerts to a channel" takes a POST of ``{"type": "message", "attachments":
[{"contentType": "application/vnd.microsoft.card.adaptive", "content": <card>}]}`` and posts
the Adaptive Card in its channel (answering 202 Accepted).

The webhook's URL carries its own signature (``sig=``): it is a secret, never in a failure's
text nor the logs.

- ``cards``: the page's Adaptive Card (schema 1.4: TextBlock, FactSet, Action.OpenUrl).
- ``posting``: the POST and what its answer means.

May import: ``bot.basics``, ``bot.config`` and ``bot/clients/*.py`` (vendor_http).
"""

from bot.clients.teams.cards import Card, page_card
from bot.clients.teams.posting import TeamsFailure, post_card

__all__ = ["Card", "TeamsFailure", "page_card", "post_card"]
