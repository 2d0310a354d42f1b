"""What people set for themselves from Slack (``/oncall contact``, ``/oncall rules``): contact
methods, verified with a code sent to them before they page anyone, and their own rules.
Above the contacts file: a verified method of the same name replaces the file's, and rules
set here replace the file's rules (or the default ones)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from sqlalchemy import literal, text
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.paging.contacts import Contacts, Method, Person, Rule, masked, quiet_rules
from bot.store.db import Turns
from bot.store.models import (
    ContactCode,
    ContactMethod,
    DrillChoice,
    Notification,
    NotificationRules,
    PageTest,
)

# A code is good this long after it was sent, for one method.
CODE_LIFETIME = timedelta(minutes=15)
# Wrong codes typed before the code is void (a new one is asked for by adding it again):
# one in a million each, five tries in all.
MAX_TRIES = 5
PHONE_KINDS = ("sms", "voice")
# How a phone provider's name is read by people: the phone registry's (a layer above) is
# handed in by the caller; this one reads the name as it is.
Titles = Callable[[str], str]
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
Verified = Literal["verified", "wrong", "void", "expired"]
# PostgreSQL advisory locks (``Turns.PAGING_LIMITS``) that make a limit's check and its
# count one step across replicas: codes (per person and per destination), test pages.
_LOCKS = {"codes": 1, "tests": 2}


async def one_at_a_time(session: AsyncSession, what: Literal["codes", "tests"]) -> None:
    """Hold ``what``'s lock until the transaction ends, so two replicas (or two requests)
    never both pass a limit that only one may: on PostgreSQL an advisory lock; SQLite's
    transactions write one at a time already (BEGIN IMMEDIATE)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text(f"SELECT pg_advisory_xact_lock({Turns.PAGING_LIMITS:d}, {_LOCKS[what]})")
        )


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


async def methods_of(session: AsyncSession, user: str) -> Sequence[ContactMethod]:
    statement = (
        select(ContactMethod)
        .where(col(ContactMethod.user_id) == user)
        .order_by(col(ContactMethod.name))
    )
    return (await session.exec(statement)).all()


async def method_named(session: AsyncSession, user: str, name: str) -> ContactMethod | None:
    statement = select(ContactMethod).where(
        col(ContactMethod.user_id) == user, col(ContactMethod.name) == name
    )
    return (await session.exec(statement)).first()


async def add_method(
    session: AsyncSession,
    *,
    user: str,
    name: str,
    kind: str,
    address: str,
    at: datetime,
    provider: str | None = None,
) -> tuple[ContactMethod, str]:
    """Add (or replace) a method, unverified, with a new code (the caller commits); the row and
    the code to send. The code counts against the limits (``code_limit``). ``provider``: who
    carries an SMS or a call (None: the default provider)."""
    code = new_code()
    row = await method_named(session, user, name) or ContactMethod(
        user_id=user, name=name, kind=kind, address=address, created_at=at
    )
    row.kind, row.address, row.verified_at = kind, address, None
    row.provider = provider
    row.code_hash, row.code_sent_at, row.code_tries = code_hash(code), at, 0
    session.add(row)
    session.add(ContactCode(user_id=user, destination=destination(kind, address), sent_at=at))
    # What no limit counts any more is forgotten.
    await session.exec(delete(ContactCode).where(col(ContactCode.sent_at) < at - DAY))
    await session.flush()
    return row, code


def verify(row: ContactMethod, code: str, at: datetime) -> Verified:
    """Check a code against the method's (the caller commits, whatever the answer: a wrong
    try counts): ``verified`` when right and in time; ``wrong``; ``void`` after ``MAX_TRIES``
    wrong ones (and from then on); ``expired`` when none is waiting or it is too old."""
    if row.code_hash is None:
        return "void" if row.code_tries >= MAX_TRIES else "expired"
    if row.code_sent_at is None or at - row.code_sent_at > CODE_LIFETIME:
        return "expired"
    if not hmac.compare_digest(row.code_hash, code_hash(code.strip())):
        row.code_tries += 1
        if row.code_tries >= MAX_TRIES:
            row.code_hash = None
            return "void"
        return "wrong"
    row.verified_at, row.code_hash, row.code_tries = at, None, 0
    return "verified"


def same_address(kind: str, address: str) -> str:
    """What two addresses of one place have in common: a number whichever method (SMS or
    voice) uses it, an e-mail address in lower case, a topic as it is."""
    if kind in PHONE_KINDS:
        return f"phone:{address}"
    if kind == "email":
        return f"email:{address.lower()}"
    return f"{kind}:{address}"


def destination(kind: str, address: str) -> str:
    """The digest a code's destination is counted by (the address itself is not kept twice)."""
    return hashlib.sha256(same_address(kind, address).encode()).hexdigest()


@dataclass(frozen=True)
class CodeLimit:
    """A limit on codes that is reached: whose (``person``: the asker's own; else the
    destination's, whoever asked), over which span, and when the next code may be asked."""

    person: bool
    span: Literal["hour", "day"]
    most: int
    next_at: datetime


async def code_limit(
    session: AsyncSession,
    *,
    user: str,
    kind: str,
    address: str,
    at: datetime,
    per_hour: int,
    per_day: int,
) -> CodeLimit | None:
    """The limit a new code for ``user`` to ``address`` would pass, if any: at most
    ``per_hour`` codes in an hour and ``per_day`` in a day, per person and per destination."""
    await one_at_a_time(session, "codes")
    target = destination(kind, address)
    for person, where in (
        (True, col(ContactCode.user_id) == user),
        (False, col(ContactCode.destination) == target),
    ):
        statement = (
            select(ContactCode.sent_at)
            .where(where, col(ContactCode.sent_at) > at - DAY)
            .order_by(col(ContactCode.sent_at).desc())
        )
        sent = list((await session.exec(statement)).all())
        in_hour = [each for each in sent if each > at - HOUR]
        if len(in_hour) >= per_hour:
            return CodeLimit(person, "hour", per_hour, in_hour[per_hour - 1] + HOUR)
        if len(sent) >= per_day:
            return CodeLimit(person, "day", per_day, sent[per_day - 1] + DAY)
    return None


async def holder(
    session: AsyncSession, contacts: Contacts, *, user: str, kind: str, address: str
) -> Literal["file", "other"] | None:
    """Who else holds ``address`` already: the contacts file (for another person: the file
    wins), another person's verified method, or nobody (None)."""
    wanted = same_address(kind, address)
    for person in contacts.people.values():
        if person.user != user and any(
            same_address(m.kind, m.address) == wanted for m in person.contacts.values()
        ):
            return "file"
    for row in await _verified_elsewhere(session, user, kind):
        if same_address(row.kind, row.address) == wanted:
            return "other"
    return None


async def _verified_elsewhere(
    session: AsyncSession, user: str, kind: str
) -> Sequence[ContactMethod]:
    kinds = list(PHONE_KINDS) if kind in PHONE_KINDS else [kind]
    statement = select(ContactMethod).where(
        col(ContactMethod.user_id) != user,
        col(ContactMethod.kind).in_(kinds),
        col(ContactMethod.verified_at).is_not(None),
    )
    return (await session.exec(statement)).all()


async def own_rules(session: AsyncSession, user: str) -> tuple[Rule, ...] | None:
    return _rules_in(await session.get(NotificationRules, user))


def _rules_in(row: NotificationRules | None) -> tuple[Rule, ...] | None:
    if row is None:
        return None
    return tuple(
        Rule(after=timedelta(seconds=each["after_seconds"]), notify=tuple(each["notify"]))
        for each in row.rules
    )


async def _own_of(
    session: AsyncSession, user: str
) -> tuple[list[ContactMethod], NotificationRules | None]:
    """The person's own methods (by name) and rules, in one statement: a page's transaction
    reads both before its first notification, and each statement is a round trip."""
    me = select(literal(user).label("user_id")).subquery("me")
    statement = (
        select(NotificationRules, ContactMethod)
        .select_from(me)
        .outerjoin(NotificationRules, col(NotificationRules.user_id) == me.c.user_id)
        .outerjoin(ContactMethod, col(ContactMethod.user_id) == me.c.user_id)
        .order_by(col(ContactMethod.name))
    )
    rows = (await session.exec(statement)).all()
    rules = rows[0][0] if rows else None
    return [method for _, method in rows if method is not None], rules


async def set_rules(session: AsyncSession, user: str, rules: Sequence[Rule], at: datetime) -> None:
    """Keep a person's own rules (the caller commits)."""
    stored: list[dict[str, Any]] = [
        {"after_seconds": int(rule.after.total_seconds()), "notify": list(rule.notify)}
        for rule in rules
    ]
    row = await session.get(NotificationRules, user)
    if row is None:
        row = NotificationRules(user_id=user, rules=stored, updated_at=at)
    row.rules, row.updated_at = stored, at
    session.add(row)


async def effective(
    session: AsyncSession, contacts: Contacts, user: str, *, urgency: str = "high"
) -> tuple[Person, tuple[Rule, ...]]:
    """The person as paging reaches them: the file's contacts with their verified own ones
    above, and their own rules, else the file's, else the default ones (for a low
    ``urgency``: their low-urgency rules, else those keeping only push and Slack). A rule
    naming a contact that is not there (removed, unverified) stays: its notification fails."""
    person = contacts.person(user)
    rows, own_row = await _own_of(session, user)
    methods = _reached(contacts, user, rows)
    rules = _rules_in(own_row) or contacts.rules_of(user)
    if urgency == "low":
        rules = person.low_urgency_rules or quiet_rules(rules, methods)
    return Person(user=user, contacts=MappingProxyType(methods), rules=rules), rules


async def reached_by(session: AsyncSession, contacts: Contacts, user: str) -> dict[str, Method]:
    """The person's methods by name as paging reaches them (``effective``'s, without reading
    their rules): the file's, with their verified own ones above."""
    return _reached(contacts, user, await methods_of(session, user))


def _reached(contacts: Contacts, user: str, rows: Sequence[ContactMethod]) -> dict[str, Method]:
    methods = dict(contacts.person(user).contacts)
    for row in rows:
        if row.verified_at is not None and not _files_elsewhere(contacts, user, row):
            methods[row.name] = as_method(row)
    return methods


def as_method(row: ContactMethod) -> Method:
    """A method a person added, as paging uses it (through its provider)."""
    return Method(kind=row.kind, address=row.address, provider=row.provider or "")


async def has_own(session: AsyncSession, user: str) -> bool:
    """Whether the person set any contact or rule from Slack."""
    if await session.get(NotificationRules, user) is not None:
        return True
    return bool(await methods_of(session, user))


def _files_elsewhere(contacts: Contacts, user: str, row: ContactMethod) -> bool:
    """Whether the contacts file gives ``row``'s address to someone else: the file wins (a
    number verified before the operator gave it to another person pages that person only)."""
    wanted = same_address(row.kind, row.address)
    return any(
        person.user != user
        and any(same_address(m.kind, m.address) == wanted for m in person.contacts.values())
        for person in contacts.people.values()
    )


async def set_drill(session: AsyncSession, user: str, on: bool, at: datetime) -> None:
    """Keep whether ``user`` takes part in paging drills (the caller commits)."""
    row = await session.get(DrillChoice, user) or DrillChoice(user_id=user, drill=on, updated_at=at)
    row.drill, row.updated_at = on, at
    session.add(row)


async def in_drills(
    session: AsyncSession, contacts: Contacts, user: str
) -> tuple[bool, Literal["own", "file"]]:
    """Whether a drill may reach ``user``, and whose word that is: their own from Slack,
    else the contacts file's ``drill:`` (false when the file does not name them)."""
    row = await session.get(DrillChoice, user)
    if row is not None:
        return row.drill, "own"
    return contacts.person(user).drill, "file"


async def drill_people(session: AsyncSession, contacts: Contacts) -> list[str]:
    """Everyone a drill may reach, in the file's order then by id: the file's ``drill:
    true`` people who did not opt out from Slack, and those who opted in from Slack."""
    choices = {row.user_id: row.drill for row in (await session.exec(select(DrillChoice))).all()}
    from_file = [p.user for p in contacts.people.values() if choices.get(p.user, p.drill)]
    from_slack = sorted(user for user, on in choices.items() if on and user not in from_file)
    return [*from_file, *from_slack]


async def user_with_number(session: AsyncSession, contacts: Contacts, number: str) -> str | None:
    """Whose SMS or voice number this is (an SMS reply's sender): the file's person first
    (the file wins), else the one person who verified it; None when nobody, or when more
    than one did (a reply then acts for nobody rather than for the wrong person)."""
    if (from_file := contacts.user_with_number(number)) is not None:
        return from_file
    statement = select(ContactMethod.user_id).where(
        col(ContactMethod.address) == number,
        col(ContactMethod.kind).in_(list(PHONE_KINDS)),
        col(ContactMethod.verified_at).is_not(None),
    )
    found = set((await session.exec(statement)).all())
    return found.pop() if len(found) == 1 else None


async def keep_test(
    session: AsyncSession, user: str, results: Sequence[dict[str, Any]], at: datetime
) -> PageTest:
    """Keep a test page and what became of each of its methods (the caller commits)."""
    row = PageTest(user_id=user, tested_at=at, results=list(results))
    session.add(row)
    await session.flush()
    return row


async def last_test(session: AsyncSession, user: str) -> PageTest | None:
    statement = (
        select(PageTest)
        .where(col(PageTest.user_id) == user)
        .order_by(col(PageTest.tested_at).desc(), col(PageTest.id).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


@dataclass(frozen=True)
class Shown:
    """One contact method as the App Home and the web view show it: masked, and whose."""

    name: str
    kind: str
    where: str
    set_by: Literal["file", "own"]
    verified: bool
    # Why its latest notification failed, when it did (a later one that went clears it).
    failing: str | None = None
    # SMS and voice: who carries it, and who is tried at once if it fails ("": nobody).
    provider: str = ""
    fallback: str = ""


async def failing_contacts(session: AsyncSession, user: str) -> dict[str, str]:
    """Each of ``user``'s contacts whose latest notification failed, with the reason."""
    statement = (
        select(Notification)
        .where(col(Notification.user_id) == user, col(Notification.state).in_(SETTLED))
        .order_by(col(Notification.updated_at).desc(), col(Notification.id).desc())
        .limit(200)
    )
    latest: dict[str, Notification] = {}
    for notification in (await session.exec(statement)).all():
        latest.setdefault(notification.contact, notification)
    return {name: n.detail or "it failed" for name, n in latest.items() if n.state == "failed"}


def carriers(method: Method, title: Titles = str) -> tuple[str, str]:
    """Who carries an SMS or a call and its fallback, as people read them (``title``: the
    phone registry's); empty for other methods."""
    if method.kind not in PHONE_KINDS:
        return "", ""
    return title(method.carrier), title(method.fallback) if method.fallback else ""


# A notification's states that say whether its method worked.
SETTLED = ("sent", "delivered", "answered", "failed")


@dataclass(frozen=True)
class Reachable:
    """How paging reaches a person, to show them or a colleague: their methods (masked),
    the rules in force and whose they are, and their last test page."""

    methods: tuple[Shown, ...]
    rules: tuple[Rule, ...]
    rules_from: Literal["own", "file", "default"]
    last_test: PageTest | None
    # Whether anything about paging concerns them: a contacts file, or their own settings.
    concerned: bool
    # Whether paging drills may reach them, and whose word that is (own: from Slack).
    drill: bool = False
    drill_from: Literal["own", "file"] = "file"


async def reachable(
    session: AsyncSession, contacts: Contacts, user: str, title: Titles = str
) -> Reachable:
    """What the App Home and the web view say of how paging reaches ``user`` (``title``: how
    a phone provider is named, the phone registry's)."""
    rows = await methods_of(session, user)
    own_names = {row.name for row in rows if row.verified_at is not None}
    failing = await failing_contacts(session, user)
    shown = [
        Shown(name, m.kind, masked(m.kind, m.address), "file", True, failing.get(name),
              *carriers(m, title))
        for name, m in contacts.person(user).contacts.items()
        if name not in own_names  # a verified one of the same name is used instead
    ]  # fmt: skip
    shown += [
        Shown(r.name, r.kind, masked(r.kind, r.address), "own", r.verified_at is not None,
              failing.get(r.name), *carriers(as_method(r), title))
        for r in rows
    ]  # fmt: skip
    mine = await own_rules(session, user)
    drill, drill_from = await in_drills(session, contacts, user)
    from_file = contacts.person(user).rules
    rules_from: Literal["own", "file", "default"] = (
        "own" if mine else "file" if from_file is not None else "default"
    )
    return Reachable(
        methods=tuple(sorted(shown, key=lambda m: m.name)),
        rules=mine or contacts.rules_of(user),
        rules_from=rules_from,
        last_test=await last_test(session, user),
        concerned=contacts.configured or bool(rows) or mine is not None or drill_from == "own",
        drill=drill,
        drill_from=drill_from,
    )
