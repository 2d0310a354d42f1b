"""Several alerts acknowledged or resolved together: the alerts selected on
the web view's ``/alerts``, ``/alerts ack <id> <id>…`` and ``/alerts resolve …``, ``/alerts
ack --mine`` (every open alert paged to the person) and an alert message's "Acknowledge all
mine" (those of its service, or its route when it has none, paged to the person).

Each alert goes through the flow a single press does (``acknowledge_checked``,
``resolve_checked`` in bot/flows/paging/alert_pages.py): its escalation stops, who and when
go in its row (its history), its message is updated through a job written in the same
transaction. One transaction per alert, each under its own row lock, as the single act
has it: the lock is what makes two acknowledgements at once one change, a batch holds no
lock on one alert while it waits for another's (so two batches never deadlock), and an
alert that fails rolls back alone, the others kept. The person's right is checked once,
before any of them; an alert changed already (acknowledged, snoozed, resolved, attached)
is counted as such and left as it is, never changed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.flows.paging.alert_pages import AlertUnchanged, acknowledge_checked, resolve_checked
from bot.flows.rights import require
from bot.record.alerting import alerts
from bot.record.paging.pages import open_alerts_of
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup

log = logging.getLogger(__name__)
ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"
ACTS = {ACKNOWLEDGE: Act.ACKNOWLEDGE, RESOLVE: Act.RESOLVE}
# The most alerts one request acts on: the worklist shows at most as many open ones.
MANY_MAX = 200
# The states of the alerts a person is paged for and may still act on (attached ones are
# their incident's).
LISTED_STATES = (alerts.TRIGGERED, alerts.ACKNOWLEDGED, alerts.SNOOZED)


@dataclass(frozen=True)
class Together:
    """What acting on several alerts did: the alerts it changed, those it left as they were
    (changed already: their state says how), the ids of none, and those that failed."""

    act: str  # acknowledge | resolve
    done: list[AlertGroup] = field(default_factory=list)
    already: list[AlertGroup] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def already_by_state(self) -> dict[str, int]:
        """How many were left as they were, by their state (in the states' order)."""
        counts: dict[str, int] = {}
        for group in self.already:
            state = str(group.state)
            counts[state] = counts.get(state, 0) + 1
        return counts


async def act_on_many(
    services: Services, ids: Iterable[int], *, act: str, user: str, via: str
) -> Together:
    """Acknowledge or resolve (``act``) the alerts ``ids`` (each once, at most ``MANY_MAX``),
    as ``user`` (``via``: ``slack`` or ``web``). NotTheirs, before any, when they may not."""
    await require(services, user, ACTS[act])
    return await _each(services, ids, act=act, user=user, via=via)


async def _each(
    services: Services, ids: Iterable[int], *, act: str, user: str, via: str
) -> Together:
    together = Together(act)
    for group_id in list(dict.fromkeys(ids))[:MANY_MAX]:
        try:
            if act == ACKNOWLEDGE:
                group = await acknowledge_checked(services, group_id, user=user, via=via)
            else:
                group = await resolve_checked(services, group_id, user=user)
        except AlertUnchanged as unchanged:
            together.already.append(unchanged.context["alert"])
        except LookupError:
            together.missing.append(group_id)
        except Exception:  # this alert rolled back alone: the others go on
            log.exception("could not %s alert %s of several", act, group_id)
            together.failed.append(group_id)
        else:
            together.done.append(group)
    return together


async def paged_to(
    services: Services, user: str, *, like: int | None = None
) -> tuple[list[AlertGroup], AlertGroup | None]:
    """The open alerts whose current firing paged ``user`` (the latest first); ``like``: only
    those of that alert's service (its route's when it has none), and that alert."""
    async with session_scope(services.engine) as session:
        found = await open_alerts_of(session, user, LISTED_STATES)
        model = await session.get(AlertGroup, like) if like is not None else None
    if like is None:
        return found, None
    if model is None:
        return [], None
    if model.service:
        return [group for group in found if group.service == model.service], model
    return [group for group in found if group.route == model.route], model


async def act_on_mine(
    services: Services, *, act: str, user: str, via: str, like: int | None = None
) -> tuple[Together, AlertGroup | None]:
    """Acknowledge or resolve every open alert paged to ``user`` that the act changes (for
    acknowledging, the triggered ones), or those of ``like``'s service or route; and
    ``like``'s alert. NotTheirs, before any, when they may not."""
    await require(services, user, ACTS[act])
    found, model = await paged_to(services, user, like=like)
    wanted = (alerts.TRIGGERED,) if act == ACKNOWLEDGE else LISTED_STATES
    ids = [group.id for group in found if group.state in wanted and group.id is not None]
    return await _each(services, ids, act=act, user=user, via=via), model
