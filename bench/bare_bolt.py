"""The framework's ceiling: a bare slack-bolt AsyncApp on aiohttp that verifies and acks.

Configured like warroom's Bolt app (same signing secret and bot token from the environment,
``process_before_response=True``, self events not ignored) with listeners for ``message``
and ``reaction_added`` that do nothing but acknowledge. It serves ``POST /slack/events``
through slack-bolt's own aiohttp adapter (``slack_bolt.adapter.aiohttp``), so what is left is
aiohttp, signature verification, Bolt's middleware and dispatch: what any Bolt app pays.

Run by ``bench.ingestion``: ``python -m bench.bare_bolt --port N`` with ``SLACK_BOT_TOKEN``,
``SLACK_SIGNING_SECRET`` and ``SLACK_API_URL`` (Bolt calls ``auth.test`` once) set.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

PROG = "python -m bench.bare_bolt"


def build_app() -> web.Application:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    bolt = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        ignoring_self_events_enabled=False,
        logger=logging.getLogger("bare_bolt"),
    )

    async def only_ack(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    bolt.event("message")(only_ack)
    bolt.event("reaction_added")(only_ack)

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(build_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
