"""How the emulator reaches the bot: signed HTTP POSTs to events_url, or Socket Mode envelopes."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from emulator.models import BotResponse, Channel, Message, slack_signature_headers
from emulator.state import EmulatorState

log = logging.getLogger(__name__)

SOCKET_ACK_TIMEOUT = 10.0


@dataclass
class Outbound:
    """One request for the bot, in both shapes: the raw HTTP body and the parsed payload."""

    kind: str  # Socket Mode envelope type: "slash_commands" | "events_api" | "interactive"
    body: str
    content_type: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # extra HTTP headers (retries)
    retry: tuple[int, str] | None = None


class Courier(EmulatorState):
    """Delivery to the bot. One aiohttp ClientSession, owned here, is used for all of it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events_url: str | None = None
        self.transport: str = "http"  # "socket": use a connected Socket Mode client instead
        self._session: aiohttp.ClientSession | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def _open_session(self) -> None:
        # trust_env=False: never route loopback traffic through an HTTP(S)_PROXY from the env.
        timeout = aiohttp.ClientTimeout(total=30)
        self._session = aiohttp.ClientSession(trust_env=False, timeout=timeout)

    async def _close_transport(self) -> None:
        await self.drain()
        for ws in list(self._sockets):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"emulator stopped")
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- sending ---------------------------------------------------------------------------
    def can_deliver(self) -> bool:
        return bool(self.events_url) or self._use_socket()

    def _use_socket(self) -> bool:
        return self.transport == "socket" and bool(self._sockets)

    async def send_to_bot(
        self, out: Outbound, *, signing_secret: str | None = None, timestamp: int | None = None
    ) -> BotResponse:
        if self._use_socket():
            return await self._send_envelope(out)
        return await self._post_signed(out, signing_secret or self.signing_secret, timestamp)

    async def _post_signed(
        self, out: Outbound, signing_secret: str, timestamp: int | None
    ) -> BotResponse:
        if not self.events_url:
            raise RuntimeError(
                "set emulator.events_url (the bot's /slack/events) before sending, or connect "
                "a Socket Mode client and set emulator.transport = 'socket'"
            )
        if self._session is None:
            raise RuntimeError("the emulator is not started; await emulator.start() first")
        headers = {
            "Content-Type": out.content_type,
            **out.headers,
            **slack_signature_headers(signing_secret, out.body, timestamp),
        }
        started = time.monotonic()
        # data=bytes: the bot must see exactly the bytes that were signed.
        async with self._session.post(
            self.events_url, data=out.body.encode(), headers=headers
        ) as resp:
            text = await resp.text()
            return BotResponse(resp.status, text, dict(resp.headers), time.monotonic() - started)

    async def _send_envelope(self, out: Outbound) -> BotResponse:
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": out.kind,
            "payload": out.payload,
            "accepts_response_payload": out.kind != "events_api",
        }
        if out.retry is not None:
            # Only when retrying: Bolt turns any retry_attempt (even 0) into x-slack-retry-num.
            envelope["retry_attempt"], envelope["retry_reason"] = out.retry
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        started = time.monotonic()
        try:
            await self._sockets[0].send_json(envelope)
            ack = await asyncio.wait_for(future, SOCKET_ACK_TIMEOUT)
        except TimeoutError as exc:
            raise TimeoutError(f"no Socket Mode ack for {out.kind} envelope {envelope_id}") from exc
        finally:
            self._acks.pop(envelope_id, None)
        text = json.dumps(ack["payload"]) if ack.get("payload") else ""
        headers = {"Content-Type": "application/json"} if text else {}
        return BotResponse(200, text, headers, time.monotonic() - started)

    # -- Socket Mode server side -----------------------------------------------------------
    async def handle_link(self, request: web.Request) -> web.WebSocketResponse:
        """GET /link: the Socket Mode WebSocket. Sends hello, then matches acks to envelopes."""
        ws = web.WebSocketResponse()  # autoping answers the SDK's ping/pong health checks
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._on_ack(msg.data)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._fail_pending_acks()
        return ws

    def _fail_pending_acks(self) -> None:
        # Nobody is left to ack: fail now rather than after SOCKET_ACK_TIMEOUT.
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("Socket Mode client disconnected"))

    def _on_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except json.JSONDecodeError:
            log.warning("emulator: non-JSON Socket Mode message %r", data)
            return
        future = self._acks.get(ack.get("envelope_id", ""))
        if future is not None and not future.done():
            future.set_result(ack)

    def socket_connected(self) -> bool:
        return bool(self._sockets)

    # -- events ----------------------------------------------------------------------------
    def event_envelope(
        self, event: dict[str, Any], event_id: str | None = None, event_time: int | None = None
    ) -> dict[str, Any]:
        """The event_callback envelope Slack wraps every Events API event in."""
        return {
            "token": "emulator-verification-token",
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }

    async def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> BotResponse:
        """Deliver one Events API event, signed; recorded in `deliveries`."""
        event = {**event}
        event.setdefault("event_ts", event.get("ts") or f"{time.time():.6f}")
        envelope = self.event_envelope(event, event_id, event_time)
        out = Outbound("events_api", json.dumps(envelope), "application/json", envelope)
        if retry_num is not None:
            out.headers["X-Slack-Retry-Num"] = str(retry_num)
            out.retry = (retry_num, retry_reason or "")
        if retry_reason is not None:
            out.headers["X-Slack-Retry-Reason"] = retry_reason
        response = await self.send_to_bot(out)
        self.deliveries.append((event, response))
        return response

    async def send_app_rate_limited(self, minute: int | None = None) -> BotResponse:
        """Tell the bot its events are held back: "This Events API-only event type has no
        inner event", its whole payload is {token, type: "app_rate_limited", team_id,
        minute_rate_limited (epoch seconds rounded to the minute), api_app_id}; sent "when
        your app would receive more than 30,000 events in an hour from a single workspace"
        (https://docs.slack.dev/reference/events/app_rate_limited/)."""
        now = int(time.time()) if minute is None else minute
        body = {
            "token": "emulator-verification-token",
            "type": "app_rate_limited",
            "team_id": self.team_id,
            "minute_rate_limited": now - now % 60,
            "api_app_id": self.app_id,
        }
        out = Outbound("events_api", json.dumps(body), "application/json", body)
        response = await self.send_to_bot(out)
        self.deliveries.append((body, response))
        return response

    def deliver_later(self, event: dict[str, Any]) -> None:
        """Send an event from a background task so the API call that caused it never waits."""
        if self.can_deliver():
            self._spawn(self._deliver_quietly(event))

    async def _deliver_quietly(self, event: dict[str, Any]) -> None:
        try:
            await self.send_event(event)
        except (aiohttp.ClientError, ConnectionError, TimeoutError, RuntimeError) as exc:
            # Record the failure as status 0 instead of crashing a task nobody awaits.
            log.warning("emulator: delivering %s failed: %s", event.get("type"), exc)
            self.deliveries.append((event, BotResponse(0, str(exc), {}, 0.0)))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # keep a reference: the loop only holds weak ones
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every pending background delivery has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def message_event(self, channel: Channel, message: Message) -> dict[str, Any]:
        """The `message` event Slack sends for a new message in a channel the bot is in."""
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel.id,
            "text": message.text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": channel_type(channel),
            "team": self.team_id,
        }
        if message.user:
            event["user"] = message.user
        if message.bot_id:
            event.update(bot_id=message.bot_id, app_id=self.app_id)
            event.update(message.app_fields())
        else:
            event["client_msg_id"] = str(uuid.uuid4())
        for key in ("subtype", "blocks", "files", "attachments"):
            if getattr(message, key):
                event[key] = getattr(message, key)
        if message.is_reply:
            parent = channel.find(message.thread_ts or "")
            event["thread_ts"] = message.thread_ts
            if parent is not None and parent.user:
                event["parent_user_id"] = parent.user
        return event

    def on_bot_post(self, channel: Channel, message: Message) -> None:
        if self.bot_user_id in channel.members:
            self.deliver_later(self.message_event(channel, message))

    def on_channel_event(self, channel: Channel, event: dict[str, Any]) -> None:
        # "This event requires membership in the conversation in order to receive events"
        # (https://docs.slack.dev/reference/events/member_joined_channel/); message events
        # likewise reach only apps in the channel (message.channels / message.groups).
        if self.bot_user_id in channel.members:
            self.deliver_later(event)


def channel_type(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "group" if channel.is_private else "channel"
