"""The floor of any pager: receive an alert, read it, push it to a phone. The paging baseline.

An aiohttp server that takes Alertmanager's webhook (``POST /alerts/alertmanager``, the bearer
token checked), reads its JSON, and for each firing alert whose ``alertname`` is a page
(``Page<N>`` or ``Alert<N>``) publishes one ntfy message (ntfy's "Publish as JSON") to the
topic given, then answers 202. No database, no routing, no policy: what receiving and pushing
cost on this machine at this moment, so that ``bench.paging`` reports warroom's figures beside
it, measured in the same run under the same load.

Run by ``bench.paging``: ``python -m bench.bare_pager --port N --ntfy URL --topic T --token K``.
"""

from __future__ import annotations

import argparse
import re

import aiohttp
from aiohttp import web

PROG = "python -m bench.bare_pager"
PAGE = re.compile(r"^(Page|Alert)[0-9]+$")


def build_app(ntfy: str, topic: str, token: str) -> web.Application:
    app = web.Application()
    sessions: list[aiohttp.ClientSession] = []

    async def start(_app: web.Application) -> None:
        sessions.append(aiohttp.ClientSession(trust_env=False))

    async def stop(_app: web.Application) -> None:
        for session in sessions:
            await session.close()

    async def alertmanager(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        for alert in body.get("alerts", []):
            name = str(alert.get("labels", {}).get("alertname", ""))
            if alert.get("status") == "firing" and PAGE.match(name):
                message = {"topic": topic, "title": name, "message": "triggered", "priority": 5}
                async with sessions[0].post(ntfy, json=message) as answer:
                    answer.raise_for_status()
        return web.json_response({"status": "accepted"}, status=202)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_post("/alerts/alertmanager", alertmanager)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ntfy", required=True, help="ntfy's root URL")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--token", required=True, help="the bearer token alerts carry")
    args = parser.parse_args()
    app = build_app(args.ntfy, args.topic, args.token)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
