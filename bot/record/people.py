"""People's names (and time zones) as the record keeps them: fetched from Slack once
(users.info), then read from here by drafts, pages and messages, so a draft rendered later
needs no Slack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_once
from bot.store.models import Person


async def known_names(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    """The names kept for ``user_ids``, by id (people never seen are left out)."""
    wanted = list(user_ids)
    if not wanted:
        return {}
    people = await session.exec(select(Person).where(col(Person.user_id).in_(wanted)))
    return {person.user_id: person.name for person in people.all()}


async def known_people(session: AsyncSession, most: int) -> list[tuple[str, str]]:
    """Up to ``most`` people warroom knows by name, (user id, name) by name: whom a phone's
    Escalate to a person offers (a guest among them is refused when chosen)."""
    statement = select(Person.user_id, Person.name).order_by(col(Person.name)).limit(most)
    return [(user, name) for user, name in (await session.exec(statement)).all()]


async def every_name(session: AsyncSession) -> set[str]:
    """The name of everyone warroom knows: what a sentence naming someone is checked for."""
    return set((await session.exec(select(Person.name))).all())


async def remember_names(session: AsyncSession, names: Mapping[str, str], at: datetime) -> None:
    """Keep people's names (the caller commits). Two writers may learn one person at once (a
    draft and the names learned on first sight, or two replicas): the first row stands, and
    the other's transaction goes on."""
    for user_id, name in names.items():
        person = await session.get(Person, user_id)
        if person is None:
            if await insert_once(session, Person(user_id=user_id, name=name, updated_at=at)):
                continue
            person = await session.get(Person, user_id, populate_existing=True)
        if person is not None and person.name != name:
            person.name, person.updated_at = name, at
            session.add(person)


async def known_zones(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    """The time zones kept for ``user_ids`` (IANA names, as Slack gave them), by id; people
    whose zone was never seen are left out."""
    wanted = list(user_ids)
    if not wanted:
        return {}
    people = await session.exec(
        select(Person).where(col(Person.user_id).in_(wanted), col(Person.timezone).is_not(None))
    )
    return {person.user_id: person.timezone for person in people.all() if person.timezone}


async def remember_zone(session: AsyncSession, user_id: str, zone: str, at: datetime) -> None:
    """Keep a person's time zone, once their name is kept (the caller commits)."""
    person = await session.get(Person, user_id)
    if person is not None and person.timezone != zone:
        person.timezone, person.updated_at = zone, at
        session.add(person)
