"""aiohttp <-> Bolt request/response conversion, with a fix for a slack-bolt 1.30 parsing bug."""

from __future__ import annotations

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
    """
    raw_body = await request.text()
    bolt_request = AsyncBoltRequest(
        body=raw_body,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    if bolt_request.body == {} and _is_form_without_payload_field(raw_body):
        fields = dict(parse_qsl(raw_body, keep_blank_values=True))
        bolt_request.body = fields
        bolt_request.context = build_async_context(AsyncBoltContext({}), fields)
    return bolt_request


def _is_form_without_payload_field(raw_body: str) -> bool:
    if not raw_body or raw_body.lstrip().startswith("{") or "payload" not in raw_body:
        return False
    return all(name != "payload" for name, _ in parse_qsl(raw_body, keep_blank_values=True))
