"""Agents' tokens and integrations made and revoked on the web by an admin (the workspace's
admins and owners, ``WARROOM_ADMINS``: ``bot.flows.rights.require_admin``, asked first), each
change kept in the admin record with who, when and why in its own transaction
(``bot.record.audit``); and which tokens a person sees (an admin: every one; a member: those
they made). A token's or a key's value is returned once, to be shown once, and kept nowhere:
never logged, never recorded (the web keeps it sealed for its page, ``bot.web.notices``,
and ``forget_shown``, a job, drops it once its time is up).

May import: what ``bot.flows`` may (``bot.services`` and everything below it).
"""

from __future__ import annotations

import logging

from bot.flows.rights import is_admin, require_admin
from bot.record import audit, shown_once
from bot.record.agents import tokens
from bot.record.alerting import integrations
from bot.record.audit import Change
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AdminChange, AgentToken, Integration, Job

log = logging.getLogger(__name__)


async def make_token(
    services: Services,
    *,
    by: str,
    name: str,
    scope: str,
    private: bool,
    expires_days: int | None,
    reason: str,
) -> tuple[AgentToken, str]:
    """Make a token for an agent: the row and its value (shown once). NotTheirs, NotAdmin,
    ReasonRefused or TokenRefused, saying why not."""
    await require_admin(services, by)
    said = audit.clean_reason(reason, required=True)
    now = services.clock()
    async with session_scope(services.engine) as session:
        row, value = await tokens.create(
            session, name=name, scope=scope, private=private, expires_days=expires_days, now=now
        )
        row.created_by = by
        session.add(row)
        detail = f"{scope}{', private incidents too' if private else ''}" + (
            f", expires in {expires_days} days" if expires_days else ""
        )
        audit.record(
            session, at=now, by=by, what=Change.TOKEN_MADE, subject=name, reason=said,
            detail=detail,
        )  # fmt: skip
        await session.commit()
    log.info("agent token %s made by %s", name, by)
    return row, value


async def revoke_token(services: Services, *, by: str, name: str, reason: str) -> AgentToken:
    """Revoke a token now. NotTheirs, NotAdmin, ReasonRefused or TokenRefused."""
    await require_admin(services, by)
    said = audit.clean_reason(reason, required=True)
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await tokens.revoke(session, name, now=now)
        audit.record(session, at=now, by=by, what=Change.TOKEN_REVOKED, subject=name, reason=said)
        await session.commit()
    log.info("agent token %s revoked by %s", name, by)
    return row


async def tokens_seen_by(services: Services, user: str) -> tuple[bool, list[AgentToken]]:
    """Whether ``user`` administers warroom, and the tokens they see: every one for an
    admin, those they made for a member (NotTheirs for a guest)."""
    admin = await is_admin(services, user)
    async with session_scope(services.engine) as session:
        rows = await tokens.every_token(session)
    return admin, rows if admin else [row for row in rows if row.created_by == user]


def service_problem(services: Services, service: str) -> str | None:
    """Why ``service`` cannot be an integration's: the services file has none of that name
    (without a services file any name is taken, as routes' ``service`` labels are)."""
    catalog = services.settings.alerting.catalog
    if not catalog.by_name or catalog.get(service) is not None:
        return None
    known = ", ".join(each.name for each in catalog.by_name.values())
    return f"no service {service!r} in the services file (it has: {known})"


async def make_integration(
    services: Services,
    *,
    by: str,
    kind: str,
    service: str,
    name: str | None,
    topic: str | None,
    secret: str | None,
    reason: str,
) -> tuple[Integration, str]:
    """Make an integration: the row and its key (shown once). NotTheirs, NotAdmin,
    ReasonRefused or IntegrationRefused."""
    await require_admin(services, by)
    said = audit.clean_reason(reason, required=True)
    if problem := service_problem(services, service):
        raise integrations.IntegrationRefused(problem)
    now = services.clock()
    async with session_scope(services.engine) as session:
        row, key = await integrations.create(
            session, kind=kind, service=service, name=name, now=now, topic=topic, secret=secret
        )
        row.created_by = by
        session.add(row)
        audit.record(
            session, at=now, by=by, what=Change.INTEGRATION_MADE, subject=row.name,
            reason=said, detail=f"{kind} for {service}",
        )  # fmt: skip
        await session.commit()
    log.info("integration %s made by %s", row.name, by)
    return row, key


async def revoke_integration(services: Services, *, by: str, name: str, reason: str) -> Integration:
    """Revoke an integration now. NotTheirs, NotAdmin, ReasonRefused or IntegrationRefused."""
    await require_admin(services, by)
    said = audit.clean_reason(reason, required=True)
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await integrations.revoke(session, name, now=now)
        audit.record(
            session, at=now, by=by, what=Change.INTEGRATION_REVOKED, subject=name, reason=said
        )
        await session.commit()
    log.info("integration %s revoked by %s", name, by)
    return row


async def admin_record(services: Services, *, by: str) -> list[AdminChange]:
    """The latest changes, newest first, for an admin (NotTheirs, NotAdmin otherwise)."""
    await require_admin(services, by)
    async with session_scope(services.engine) as session:
        return await audit.latest(session)


async def forget_shown(services: Services, job: Job) -> None:  # noqa: ARG001
    """The job handler, due when a value shown once stops waiting for its page: each value
    nobody read in time dropped, and the rows older than a day deleted."""
    async with session_scope(services.engine) as session:
        await shown_once.forget_expired(session, now=services.clock())
        await session.commit()
