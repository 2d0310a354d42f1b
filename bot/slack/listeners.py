"""Listeners for the Events API subscriptions in the manifest: parse, then hand to the recorder.

Every event goes to the process's one ``IngestWriter`` (``context["ingest"]``), which stores
many events per transaction; the listener returns, and Bolt answers, only once its event has
committed. Slack retries any delivery that gets a non-2xx answer and disables apps that fail
too often, so every subscribed event has a listener, and a malformed event is logged and
answered 200 (retrying it would not make it well-formed). A database failure, by contrast,
raises: Slack gets a 5xx and retries, so nothing that was said is lost. Events about the app
itself (uninstalled, its tokens revoked) stop sending to Slack (``bot/flows/installation.py``),
and ``app_rate_limited``, which has no inner event, is counted and answered 200.
No listener calls Slack before Slack has its answer: what needs Slack is a job, or background
work started after.

Events are routed by ``EventRoutes``, one Bolt middleware with a table from event type to
listener, placed after Bolt's own (the signature check, the workspace's authorization, URL
verification) and before everything else: an event is the bulk of what Slack sends, and
Bolt's listener registry would otherwise match each one against every command, action and
view listener first, building each matcher's arguments by introspection (a large share of
the server's CPU per event under ``bench/ingestion.py``; bench/RESULTS.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.basics.slack_text import mentioned_users
from bot.basics.timestamps import is_slack_ts, ts_to_datetime
from bot.clients.slack.messages import change_message, said_message
from bot.flows import installation
from bot.flows.changes import heard
from bot.flows.in_order import CONTEXT_KEY, CommandLine, claim_alone
from bot.flows.incident import channel_life, recorder
from bot.flows.ingestion import IngestWriter
from bot.flows.people import saw
from bot.record.incident.reactions import base_name
from bot.services import Services

log = logging.getLogger(__name__)
# Hidden bookkeeping subtypes that say nothing new (a thread's reply count changed, etc.).
_IGNORED_SUBTYPES = frozenset({"message_replied"})
# What a thread parent deleted while it has replies becomes (a message_changed, not a deletion).
TOMBSTONE = "tombstone"


def _object(value: object) -> dict[str, Any]:
    """A nested event field that should be an object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _moment(services: Services, ts: object) -> datetime:
    """When an event happened: its Slack ``ts`` when it has a valid one, else now."""
    return ts_to_datetime(ts) if isinstance(ts, str) and is_slack_ts(ts) else services.clock()


def _event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    # Socket Mode and HTTP both carry event_id; derive a stable one if a sender omits it.
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    return f"{event.get('type')}:{event.get('channel')}:{event.get('event_ts') or event.get('ts')}"


async def on_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """A message was posted, edited or deleted in a channel the bot is in."""
    writer: IngestWriter = context["ingest"]
    subtype = _text(event.get("subtype"))
    channel = event.get("channel")
    if not isinstance(channel, str) or subtype in _IGNORED_SUBTYPES:
        return
    event_id = _event_id(body, event)
    changed = _object(event.get("message"))
    if subtype == "message_changed" and changed.get("subtype") == TOMBSTONE:
        # A thread parent deleted while it has replies stays as a tombstone: a deletion.
        await _on_deletion(writer, event_id, channel, event, changed.get("ts"))
    elif subtype == "message_changed":
        await _on_edit(writer, event_id, channel, event)
    elif subtype == "message_deleted":
        deleted_ts = event.get("deleted_ts") or _object(event.get("previous_message")).get("ts")
        await _on_deletion(writer, event_id, channel, event, deleted_ts)
    elif _says_nothing(event):
        # Bookkeeping (hidden, or message_replied without its subtype): nobody said anything.
        log.debug("ignoring a message event that says nothing (%s)", event_id)
    elif is_slack_ts(event.get("ts")) and _announces_change(writer, channel, event, context):
        await heard.keep_heard_change(writer.services, change_message(channel, event))
    elif is_slack_ts(event.get("ts")):
        await recorder.record_said(writer, event_id, said_message(channel, event))
    else:
        log.warning("ignoring a message event without a valid ts (%s)", event_id)


def _announces_change(
    writer: IngestWriter, channel: str, event: dict[str, Any], context: Any
) -> bool:
    """Another app's (or bot's) new post in a change channel (WARROOM_CHANGE_CHANNELS): a
    ``bot_message`` or a message with a ``bot_id``, not warroom's own, not a thread's reply."""
    if not heard.is_change_channel(writer.services, channel):
        return False
    by_app = event.get("subtype") == "bot_message" or (
        event.get("subtype") is None and bool(_text(event.get("bot_id")))
    )
    ours = bool(event.get("bot_id")) and event.get("bot_id") == context.get("bot_id")
    reply = event.get("thread_ts") not in (None, event.get("ts"))
    return by_app and not ours and not reply


def _says_nothing(event: dict[str, Any]) -> bool:
    """No author and no words: nothing a person or app said (Slack's bookkeeping events)."""
    if event.get("hidden") is True:
        return True
    has_author = bool(_text(event.get("user")) or _text(event.get("bot_id")))
    return not has_author and not _text(event.get("text")) and not event.get("files")


async def _on_deletion(
    writer: IngestWriter, event_id: str, channel: str, event: dict[str, Any], deleted_ts: object
) -> None:
    if is_slack_ts(deleted_ts):
        moment = _moment(writer.services, event.get("event_ts") or event.get("ts"))
        await recorder.record_deletion(
            writer, event_id, channel=channel, ts=deleted_ts, deleted_at=moment
        )


async def _on_edit(
    writer: IngestWriter, event_id: str, channel: str, event: dict[str, Any]
) -> None:
    message = _object(event.get("message"))
    ts = message.get("ts")
    if not is_slack_ts(ts):
        return
    edited = _object(message.get("edited"))
    moment = edited.get("ts") or event.get("event_ts")
    await recorder.record_edit(
        writer,
        event_id,
        channel=channel,
        ts=ts,
        text=str(message.get("text") or ""),
        edited_by=_text(edited.get("user")) or _text(message.get("user")),
        edited_at=_moment(writer.services, moment),
    )


def _reacted_message(event: dict[str, Any], context: Any) -> tuple[str, str, str, str] | None:
    """(channel, ts, reaction, user) of a person's reaction on a message; None otherwise."""
    item = _object(event.get("item"))
    user, name = event.get("user"), event.get("reaction")
    if item.get("type") != "message" or user == context.get("bot_user_id"):
        return None  # files, file comments, and the bot's own receipts are not the record
    channel, ts = item.get("channel"), item.get("ts")
    if not (isinstance(channel, str) and is_slack_ts(ts) and isinstance(user, str)):
        return None
    if not isinstance(name, str) or not name:
        return None
    return channel, ts, base_name(name), user


async def on_reaction_added(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """Someone reacted to a message: maybe a key moment for the timeline."""
    reacted = _reacted_message(event, context)
    if reacted is None:
        return
    writer: IngestWriter = context["ingest"]
    channel, ts, name, user = reacted
    moment = event.get("event_ts")
    await recorder.record_reaction(
        writer,
        _event_id(body, event),
        channel=channel,
        ts=ts,
        name=name,
        user=user,
        reacted_at=_moment(writer.services, moment),
    )


async def on_reaction_removed(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """Someone took a reaction back."""
    reacted = _reacted_message(event, context)
    if reacted is None:
        return
    channel, ts, name, user = reacted
    await recorder.record_unreaction(
        context["ingest"], _event_id(body, event), channel=channel, ts=ts, name=name, user=user
    )


async def on_membership(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """Joins: subscribed for the record to come; they also arrive as messages."""


async def on_rename(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """A channel was renamed: ``channel`` is an object with the new ``name``
    (https://docs.slack.dev/reference/events/channel_rename/; ``group_rename`` alike)."""
    channel = _object(event.get("channel"))
    channel_id, name = _text(channel.get("id")), _text(channel.get("name"))
    if channel_id and name:
        await channel_life.record_rename(
            context["ingest"], _event_id(body, event), channel=channel_id, name=name
        )


async def on_archive(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """A channel was archived or unarchived: ``channel`` is its id, ``user`` who did it when
    Slack says (https://docs.slack.dev/reference/events/channel_archive/; ``group_archive``
    has the id alone)."""
    channel = _text(event.get("channel"))
    if channel is None:
        return
    writer: IngestWriter = context["ingest"]
    await channel_life.record_archive(
        writer,
        _event_id(body, event),
        channel=channel,
        archived=str(event.get("type")).endswith("_archive"),
        by=_text(event.get("user")),
        at=_moment(writer.services, event.get("event_ts")),
    )


async def on_app_uninstalled(body: dict[str, Any], _event: dict[str, Any], context: Any) -> None:
    """The app was uninstalled: its tokens are revoked, so stop sending to Slack now."""
    await _stop_sending(body, context, "app_uninstalled")


async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """Tokens were revoked: the app's one bot user is listed under ``bot`` when the bot
    token is among them (https://docs.slack.dev/reference/events/tokens_revoked/); user
    tokens alone (``oauth``) leave the bot as it was."""
    revoked = _object(event.get("tokens")).get("bot")
    if isinstance(revoked, list) and revoked:
        await _stop_sending(body, context, "tokens_revoked")


async def _stop_sending(body: dict[str, Any], context: Any, reason: str) -> None:
    await installation.stop(context["services"], reason=reason, team_id=_text(body.get("team_id")))


def on_app_rate_limited(services: Services, body: dict[str, Any]) -> BoltResponse:
    """Slack held back this app's events for a minute: count it, log it, answer 200.

    ``app_rate_limited`` is POSTed to the Request URL with no inner event
    (https://docs.slack.dev/reference/events/app_rate_limited/), so no event listener can
    match it and Bolt would answer 404: a failed delivery, the kind that gets an app's
    subscriptions disabled.
    """
    services.metrics.events_held_back()
    log.warning(
        "Slack held back events of this app (app_rate_limited, minute %s): more than 30,000 "
        "deliveries in an hour from workspace %s",
        body.get("minute_rate_limited"),
        body.get("team_id"),
    )
    return BoltResponse(status=200, body="")


EventListener = Callable[[dict[str, Any], dict[str, Any], Any], Awaitable[None]]
# Every event type the manifest subscribes to (bot/slack/manifest.py), and its listener; the
# App Home's app_home_opened goes by Bolt's registry (bot/slack/home.py), once per opening.
EVENT_LISTENERS: dict[str, EventListener] = {
    "app_uninstalled": on_app_uninstalled,
    "tokens_revoked": on_tokens_revoked,
    "message": on_message,
    "reaction_added": on_reaction_added,
    "reaction_removed": on_reaction_removed,
    "member_joined_channel": on_membership,
    "channel_rename": on_rename,
    "group_rename": on_rename,
    "channel_archive": on_archive,
    "group_archive": on_archive,
    "channel_unarchive": on_archive,
    "group_unarchive": on_archive,
}


class EventRoutes(AsyncMiddleware):
    """Every request's context gets the services, the event writer and the command line its
    listener uses; then Events API deliveries go to their listener in ``EVENT_LISTENERS``,
    answered 200 once it returns (a listener that raises is answered 500 by Bolt's error
    handler, and Slack retries), and anything else goes on down Bolt's chain. See the
    module's docstring."""

    def __init__(self, services: Services, ingest: IngestWriter, line: CommandLine) -> None:
        self.services = services
        self.ingest = ingest
        self.line = line

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,  # noqa: ARG002 (Bolt passes it by name; events start afresh)
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        # Inject only: Bolt runs a listener after the middleware, so no session opens here.
        context = req.context
        context["services"] = self.services
        context["ingest"] = self.ingest
        context[CONTEXT_KEY] = self.line
        body = req.body
        # Bolt's authorization, before this, said who the bot is: its own posts name nobody.
        bot = context.bot_user_id
        saw(self.services, [person for person in people_in(body) if person != bot])
        if body.get("type") == "app_rate_limited":
            return on_app_rate_limited(self.services, body)
        routed = _routed(body)
        if routed is None:
            return await next()
        listener, event = routed
        await listener(body, event, context)
        return BoltResponse(status=200, body="")


def _routed(body: dict[str, Any]) -> tuple[EventListener, dict[str, Any]] | None:
    """The listener of an Events API delivery in ``EVENT_LISTENERS``, and its event."""
    event = body.get("event") if body.get("type") == "event_callback" else None
    if not isinstance(event, dict):
        return None
    event_type = event.get("type")
    listener = EVENT_LISTENERS.get(event_type) if isinstance(event_type, str) else None
    return None if listener is None else (listener, event)


def answered_here(body: dict[str, Any]) -> bool:
    """Whether ``EventRoutes`` answers this delivery itself: an event of ``EVENT_LISTENERS``
    or ``app_rate_limited``, whose listeners call no Slack method through Bolt's client
    (what needs Slack is a job, or work started after the answer)."""
    return body.get("type") == "app_rate_limited" or _routed(body) is not None


# What Slack sends with a trigger_id, besides a slash command: these interaction payloads
# ("a slash command, button press, or interaction with a select menu",
# https://docs.slack.dev/tools/bolt-python/concepts/opening-modals; "A temporary ID generated
# for the interaction", https://api.slack.com/reference/interaction-payloads/shortcuts).
CLAIMED_INTERACTIONS = frozenset({"block_actions", "view_submission", "shortcut", "message_action"})


class ClaimedOnce(AsyncMiddleware):
    """A slash command or an interaction acts once: claimed by its ``trigger_id`` (unique to
    the person's gesture; bot/store/processed_events.py), so the same signed request sent
    again within Slack's five minutes (a capture replayed) gets an empty 200 and does
    nothing. What goes in a channel's line (``in_line``) is claimed there, in the
    transaction that keeps it (bot/flows/in_order.py); the rest here, before it runs."""

    def __init__(self, services: Services, in_line: Callable[[dict[str, Any]], bool]) -> None:
        self.services = services
        self.in_line = in_line

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,  # noqa: ARG002 (Bolt passes it by name)
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        kind = "command" if "command" in body else body.get("type")
        trigger_id = body.get("trigger_id")
        if (
            (kind != "command" and kind not in CLAIMED_INTERACTIONS)
            or not isinstance(trigger_id, str)
            or not trigger_id
            or self.in_line(body)
        ):
            return await next()
        if await claim_alone(self.services, trigger_id) is False:
            log.info("a %s sent again (its trigger_id is claimed): answered, not applied", kind)
            return BoltResponse(status=200, body="")
        return await next()


def people_in(body: dict[str, Any]) -> list[str | None]:
    """Who a delivery from Slack shows: who acted (an event's ``user``, a reaction's author,
    an inviter, a command's ``user_id``, an action's ``user.id``) and who a message or a
    command's text mentions.
    Shapes: https://docs.slack.dev/reference/events/message,
    https://docs.slack.dev/interactivity/implementing-slash-commands."""
    event = _object(body.get("event"))
    message = _object(event.get("message"))
    # A bot's post (warroom's own come back too) names no person.
    people = [None if event.get("bot_id") else _text(event.get("user"))]
    people += [_text(event.get(key)) for key in ("item_user", "inviter")]
    people += [_text(message.get("user")), _text(body.get("user_id"))]
    people.append(_text(_object(body.get("user")).get("id")))
    for text in (_text(event.get("text")), _text(message.get("text")), _text(body.get("text"))):
        if text and "<@" in text:
            people += mentioned_users(text)
    return people


def register(
    app: AsyncApp,
    services: Services,
    ingest: IngestWriter,
    line: CommandLine,
    in_line: Callable[[dict[str, Any]], bool],
) -> None:
    """Give every listener its services (and the line commands wait in) and route the Events
    API deliveries to theirs (before any other middleware); then claim each command and
    interaction once (``ClaimedOnce``: ``in_line`` says which the line claims)."""
    app.middleware(EventRoutes(services, ingest, line))
    app.middleware(ClaimedOnce(services, in_line))
