"""Pushover's callback (``POST /pushover/receipt``, form fields receipt, acknowledged,
acknowledged_at, acknowledged_by...: https://pushover.net/api/receipts, "Callback URLs"),
sent when an emergency push is acknowledged. It is not signed, so nothing in it is believed:
the receipt is read again from Pushover (bot/flows/escalation/receipts.py). A receipt warroom
never sent is answered 404 and nothing is kept; one Pushover does not say was acknowledged,
200 and nothing changes.
"""

from __future__ import annotations

from aiohttp import web

from bot.flows.escalation.receipts import Heard, hear_receipt
from bot.web.context import web_context


async def receive_receipt(request: web.Request) -> web.Response:
    form = await request.post()
    receipt = form.get("receipt")
    if not isinstance(receipt, str) or not receipt:
        return web.Response(status=400, text="receipt: expected Pushover's receipt")
    heard = await hear_receipt(web_context(request).services, receipt)
    if heard is Heard.UNKNOWN:
        return web.Response(status=404, text="no such receipt")
    if heard is Heard.UNREAD:
        return web.Response(status=502, text="Pushover did not say what became of the receipt")
    return web.Response(status=200, text=str(heard))
