"""The App Home: ``app_home_opened`` publishes the person's Home tab afresh (``views.publish``).

Slack sends ``app_home_opened`` each time someone enters the App Home, for its Home tab and
its Messages tab alike (``tab``: ``home`` or ``messages``;
https://docs.slack.dev/reference/events/app_home_opened): only the Home tab has a view to
publish. The event is answered at once; the Home is read, rendered and published after (a
listener never waits on Slack), so a slow Slack or database never makes Slack retry. What it
shows is bot/flows/home/publishing.py's (which publishes it); how, templates/views/home.json.j2.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.flows.home.publishing import publish_home
from bot.services import Services

HOME_TAB = "home"


async def on_app_home_opened(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """Someone opened the App Home: publish their Home tab, once Slack has its answer."""
    user, seen = event.get("user"), event.get("view")
    if event.get("tab") != HOME_TAB or not isinstance(user, str) or not user:
        return  # the Messages tab, or an event without a person: nothing to publish
    seen_hash = seen.get("hash") if isinstance(seen, dict) else None
    services: Services = context["services"]
    team_id = body.get("team_id")
    services.background.spawn(
        publish_home(
            services,
            team_id=team_id if isinstance(team_id, str) and team_id else None,
            user_id=user,
            event_id=_opening_id(body, event, user),
            seen_hash=seen_hash if isinstance(seen_hash, str) and seen_hash else None,
        ),
        name=f"publish the Home tab of {user}",
    )


def _opening_id(body: dict[str, Any], event: dict[str, Any], user: str) -> str:
    """The delivery's event id (Slack's, the same on every retry); one made of the event's
    own fields if a sender left it out."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    return f"app_home_opened:{user}:{event.get('event_ts')}"


def register(app: AsyncApp) -> None:
    """Attach the App Home listener to the Bolt app."""
    app.event("app_home_opened")(on_app_home_opened)
