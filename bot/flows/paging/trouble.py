"""Provider trouble said to people: when a service says a person's number, address or topic
itself will not work (a phone provider's report of an unsubscribed, invalid or not
SMS-capable number; an
SMTP 5xx on the recipient; ntfy 403), the person and the owners of the schedules they are on
get a DM, once per contact and reason (not on every page: the outbox keeps one per key)."""

from __future__ import annotations

import hashlib

from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.record.oncall.rights import members
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope


def owners_of(services: Services, user: str) -> set[str]:
    """The owners of every schedule ``user`` is on."""
    schedules = services.settings.oncall.schedules.by_name.values()
    return {owner for s in schedules if user in members(s) for owner in s.owners}


async def tell_trouble(
    services: Services, *, user: str, contact: str, method: str, failure: VendorFailure
) -> None:
    """DM ``user`` and their schedules' owners, once, that ``contact`` does not work."""
    if not failure.bad_address:
        return
    reason = hashlib.sha256(failure.detail.encode()).hexdigest()[:12]
    kept = []
    async with session_scope(services.engine) as session:
        for recipient in sorted({user, *owners_of(services, user)}):
            text = services.renderer.render(
                "paging/contact_trouble.j2",
                person=user,
                contact=contact,
                method=method,
                detail=failure.detail,
                own=recipient == user,
            )
            written = await outbox.post_once(
                session,
                channel=recipient,
                text=text,
                now=services.clock(),
                after=f"contact_trouble:{user}:{contact}:{reason}:{recipient}",
            )
            if written is not None:
                kept.append(recipient)
        await session.commit()
    for recipient in kept:
        await deliver_now(services, recipient)
