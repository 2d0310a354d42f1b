"""aiohttp <-> Bolt request/response conversion, with a fix for a slack-bolt 1.30 parsing bug
and a guard against bodies Bolt cannot read (it would answer them 500)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

__all__ = ["to_aiohttp_response", "to_bolt_request"]


async def to_bolt_request(request: web.Request) -> AsyncBoltRequest:
    """Build Bolt's request from aiohttp's.

    slack-bolt 1.30.0 parses any form body containing the substring "payload" as an
    interactivity payload and, finding no ``payload=`` field, yields ``{}``: a slash command
    such as ``/incident start payment payload rejected`` would get a 404. We re-parse such
    bodies as the plain forms they are.

    A body that is not UTF-8 is a 400; one Bolt cannot read (not JSON, not an object, envelope
    fields of the wrong type) reaches Bolt empty, so it answers 401 or 404, never 500.
    """
    raw_body = await _utf8_body(request)
    headers: Any = request.headers
    try:
        bolt_request = AsyncBoltRequest(body=raw_body, query=request.query_string, headers=headers)
    except _UNREADABLE:
        return _unreadable(raw_body, request.query_string, headers)
    if not _bolt_can_read(bolt_request.body):
        return _unreadable(raw_body, request.query_string, headers)
    if bolt_request.body == {} and _is_form_without_payload_field(raw_body):
        fields = dict(parse_qsl(raw_body, keep_blank_values=True))
        bolt_request.body = fields
        bolt_request.context = build_async_context(AsyncBoltContext({}), fields)
    return bolt_request


# What Bolt's body parsing and context extraction raise on bodies it cannot use.
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


def _unreadable(raw_body: str, query: str, headers: Any) -> AsyncBoltRequest:
    """A body Bolt cannot read (not JSON, not an object, envelope fields of the wrong type):
    Bolt would answer 500. Hand it an empty body instead; it still checks the signature over
    the raw body (401 when wrong), and a signed body matches no listener (Bolt's 404)."""
    bolt_request = AsyncBoltRequest(body="", query=query, headers=headers)
    bolt_request.raw_body = raw_body
    return bolt_request


def _bolt_can_read(body: object) -> bool:
    """Whether the envelope fields Bolt reads without checking their type have Slack's types.

    Bolt's context extraction and event matching take ``event`` for an object, ``user``,
    ``channel``, ``team`` and ``enterprise`` for an id or an object, and ``authorizations`` and
    ``response_urls`` for lists of objects, in the body and in the event's nested messages.
    """
    if not isinstance(body, dict):
        return False
    event = body.get("event", {})
    if not isinstance(event, dict):
        return False
    parts = (body, event, event.get("message"), event.get("previous_message"), event.get("item"))
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key in _ID_FIELDS:
            value = part.get(key)
            if value is not None and not isinstance(value, _ID_TYPES):
                return False
        for key in _LIST_FIELDS:
            items = part.get(key)
            if items is not None and not (
                isinstance(items, list) and all(isinstance(item, dict) for item in items)
            ):
                return False
    return True


# What ``_bolt_can_read`` checks (a tuple of types: every Slack request is checked, and
# ``isinstance`` takes a tuple faster than a union).
_ID_FIELDS = ("user", "channel", "team", "enterprise")
_ID_TYPES = (str, dict)
_LIST_FIELDS = ("authorizations", "response_urls")


async def _utf8_body(request: web.Request) -> str:
    """The body as text; Slack sends UTF-8, so anything else is a 400, not a 500."""
    try:
        return (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "the body is not UTF-8 text"}),
            content_type="application/json",
        ) from None


def _is_form_without_payload_field(raw_body: str) -> bool:
    if not raw_body or raw_body.lstrip().startswith("{") or "payload" not in raw_body:
        return False
    return all(name != "payload" for name, _ in parse_qsl(raw_body, keep_blank_values=True))
