"""``/oncall contact`` and ``/oncall rules``: people add their own contact methods (each
verified with a code sent to it before it pages them), remove them, and set their own
notification rules (testing them is ``trying``'s). Replies are for the person alone;
numbers in them are masked."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from bot.basics.durations import parse_duration
from bot.basics.errors import UsageError
from bot.clients import pushover
from bot.clients.phone import registry
from bot.clients.slack.errors import SlackFailure
from bot.clients.vendor_http import VendorFailure
from bot.flows.paging.destinations import registry as destinations
from bot.flows.paging.destinations.messages import Verification
from bot.flows.paging.phones import http_of
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record import audit
from bot.record.audit import Change
from bot.record.paging import own
from bot.record.paging.contacts import (
    DEFAULT_PHONE_PROVIDER,
    LONGEST_AFTER,
    SLACK,
    Rule,
    masked,
    method_problem,
)
from bot.record.paging.numbers import canonical, number_problem
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
TEMPLATE = "messages/oncall/contact.j2"


async def add_contact(
    services: Services,
    *,
    user: str,
    kind: str,
    address: str | None,
    provider: str | None = None,
    reason: str = "",
    words: str = TEMPLATE,
) -> str:
    """Add (or replace) the person's ``kind`` method and send it a code to verify it with:
    refused, said, when the number's type or country is not allowed, when the file or another
    person holds the address, or when a limit on codes is reached. An ntfy topic is warroom's
    own, random (``address`` None); a topic chosen by the person is refused. An SMS or a
    call goes through ``provider`` (a phone provider's name; None: the default), its code
    too, when the operator set that provider up. Kept in the admin record with ``reason``;
    ``words``: the template the answer is said in (Slack's reply, or the web page's)."""
    await require(services, user, Act.CONTACTS)
    say = partial(_reply, services, words=words)
    kind = kind.lower()
    paging = services.settings.paging
    provider = provider.lower() if provider else None
    if (refused := _provider_refusal(services, say, kind, provider)) is not None:
        return refused
    provider = None if provider == DEFAULT_PHONE_PROVIDER else provider
    destination = destinations.find(kind)
    if destination is not None and destination.makes_address is not None:
        if address is not None:
            return say("topic_chosen")
        address = destination.makes_address()
    elif address is None:
        raise UsageError(f"`/oncall contact add {kind}` needs the number or address to add.")
    if problem := method_problem(kind, address):
        raise UsageError(problem)
    if kind == "pushover" and (refused := await _pushover_refusal(services, say, address)):
        return refused
    if kind in own.PHONE_KINDS:
        if problem := number_problem(address, paging.phone_countries):
            return say("number_refused", name=kind, problem=problem)
        address = canonical(address)
    at = services.clock()
    async with session_scope(services.engine) as session:
        held = await own.holder(session, paging.contacts, user=user, kind=kind, address=address)
        if held is not None:
            return say("held", name=kind, held=held)
        limit = await own.code_limit(
            session,
            user=user,
            kind=kind,
            address=address,
            at=at,
            per_hour=paging.codes_per_hour,
            per_day=paging.codes_per_day,
        )
        if limit is not None:
            zone = await zone_of(services, user)
            return say("code_limit", name=kind, limit=limit, zone=zone)
        row, code = await own.add_method(
            session, user=user, name=kind, kind=kind, address=address, at=at, provider=provider
        )
        audit.record(
            session, at=at, by=user, what=Change.CONTACT_ADDED, subject=f"{user} {kind}",
            reason=reason, detail=masked(kind, address),
        )  # fmt: skip
        await session.commit()
    method = own.as_method(row)
    asker, workspace = await _asker(services, user)
    where = masked(kind, address)
    try:
        await destinations.send(services, Verification(code, asker, workspace), method)
    except VendorFailure as failure:
        return say("code_failed", name=kind, where=where, detail=failure.detail)
    topic = _subscribe_link(services, kind, address)
    through = own.carriers(method, registry.title)[0] if provider else None
    return say("code_sent", name=kind, where=where, topic=topic, through=through)


def _provider_refusal(
    services: Services, say: Callable[..., str], kind: str, provider: str | None
) -> str | None:
    """What the person is told when the phone provider they named cannot send ``kind``: one
    warroom does not know, or one the operator has not set up; None: none named, or it can."""
    if provider is None:
        return None
    if kind not in own.PHONE_KINDS or not registry.known(provider):
        return say("provider_unknown", name=kind, provider=provider)
    if not registry.named(provider).configured(services.settings):
        return say("provider_off", provider=registry.title(provider))
    return None


async def _pushover_refusal(services: Services, say: Callable[..., str], key: str) -> str | None:
    """What the person is told when their Pushover user key cannot be added: Pushover not set
    up here, or Pushover's "User/Group Verification" not knowing it as a user with an active
    device (bot/clients/pushover.py ``validate_user``); None when Pushover knows it."""
    paging = services.settings.paging
    if not paging.pushover_token:
        return say("provider_off", provider="Pushover")
    try:
        await pushover.validate_user(
            http_of(services), paging.pushover_api_url, paging.pushover_token, key
        )
    except VendorFailure as failure:
        if failure.bad_address:
            return say("key_refused", detail=failure.detail)
        return say("code_failed", name="pushover", where=masked("pushover", key),
                   detail=failure.detail)  # fmt: skip
    return None


def _subscribe_link(services: Services, kind: str, address: str) -> str | None:
    """Where the person subscribes to an address warroom made them (ntfy's topic), if so."""
    destination = destinations.find(kind)
    if destination is None or destination.subscribe_link is None:
        return None
    return destination.subscribe_link(services.settings, address)


async def _asker(services: Services, user: str) -> tuple[str, str]:
    """Who asked for a code and in which workspace, as the code's message names them: the
    person's full name (their id when Slack will not say) and the workspace's address."""
    try:
        name = await services.slack.full_name(user)
    except SlackFailure:
        name = user
    if services.slack.known_workspace_url is None:
        with suppress(SlackFailure):
            await services.slack.team_id()  # auth.test, which says the workspace's address
    url = services.slack.known_workspace_url
    return name, (urlsplit(url).hostname or url) if url else "a Slack workspace"


async def verify_contact(
    services: Services,
    *,
    user: str,
    name: str,
    code: str,
    reason: str = "",
    words: str = TEMPLATE,
) -> str:
    """Verify the person's method with the code it received: void after ``MAX_TRIES`` wrong
    tries; refused when the file or another person has come to hold the address since."""
    await require(services, user, Act.CONTACTS)
    say = partial(_reply, services, words=words)
    contacts = services.settings.paging.contacts
    async with session_scope(services.engine) as session:
        row = await own.method_named(session, user, name.lower())
        if row is None:
            return say("no_such", name=name)
        if row.verified_at is not None:
            return say("verified_already", name=row.name)
        held = await own.holder(session, contacts, user=user, kind=row.kind, address=row.address)
        if held is not None:
            return say("held", name=row.name, held=held)
        outcome = own.verify(row, code, services.clock())
        session.add(row)
        if outcome == "verified":
            audit.record(
                session, at=services.clock(), by=user, what=Change.CONTACT_VERIFIED,
                subject=f"{user} {row.name}", reason=reason, detail=masked(row.kind, row.address),
            )  # fmt: skip
        await session.commit()
    if outcome != "verified":
        left = own.MAX_TRIES - row.code_tries
        return say(f"code_{outcome}", name=row.name, left=left)
    return say("verified", name=row.name, where=masked(row.kind, row.address))


async def remove_contact(
    services: Services, *, user: str, name: str, reason: str = "", words: str = TEMPLATE
) -> str:
    """Take one of the person's own methods away."""
    await require(services, user, Act.CONTACTS)
    say = partial(_reply, services, words=words)
    async with session_scope(services.engine) as session:
        row = await own.method_named(session, user, name.lower())
        if row is None:
            return say("no_such", name=name)
        await session.delete(row)
        audit.record(
            session, at=services.clock(), by=user, what=Change.CONTACT_REMOVED,
            subject=f"{user} {row.name}", reason=reason, detail=masked(row.kind, row.address),
        )  # fmt: skip
        await session.commit()
    return say("removed", name=row.name)


async def list_contacts(services: Services, *, user: str) -> str:
    """The person's methods (the file's and their own) and the rules that page them."""
    await require(services, user, Act.CONTACTS)
    contacts = services.settings.paging.contacts
    async with session_scope(services.engine) as session:
        rows = await own.methods_of(session, user)
        _, rules = await own.effective(session, contacts, user)
        drill, _ = await own.in_drills(session, contacts, user)
    from_file = [
        (
            name,
            method.kind,
            masked(method.kind, method.address),
            *own.carriers(method, registry.title),
        )
        for name, method in contacts.person(user).contacts.items()
    ]
    mine = [
        (
            row.name,
            row.kind,
            masked(row.kind, row.address),
            row.verified_at is not None,
            row.tested_at,
            own.carriers(own.as_method(row), registry.title)[0],
        )
        for row in rows
    ]
    return _reply(services, "list", from_file=from_file, mine=mine, rules=rules, drill=drill)


async def drill_choice(services: Services, *, user: str, on: bool | None) -> str:
    """``/oncall contact drill [on|off]``: whether paging drills may reach the person's
    methods, as they say (above the contacts file's ``drill:``); alone, what holds now."""
    await require(services, user, Act.CONTACTS)
    contacts = services.settings.paging.contacts
    async with session_scope(services.engine) as session:
        if on is not None:
            await own.set_drill(session, user, on, services.clock())
            await session.commit()
        found, whose = await own.in_drills(session, contacts, user)
    schedule = services.settings.paging.drill
    return _reply(
        services,
        "drill",
        on=found,
        drill_from=whose,
        changed=on is not None,
        scheduled=str(schedule) if schedule is not None else None,
    )


async def set_rules(services: Services, *, user: str, text: str) -> str:
    """``0s slack push, 2m sms, 5m call``: the person's own rules, each naming slack or one
    of their contacts (a verified one, or the file's)."""
    await require(services, user, Act.CONTACTS)
    async with session_scope(services.engine) as session:
        person, rules = await own.effective(session, services.settings.paging.contacts, user)
        if not text.strip():
            return _reply(services, "rules", rules=rules)
        parsed = parse_rules(text, [SLACK, *person.contacts])
        await own.set_rules(session, user, parsed, services.clock())
        await session.commit()
    return _reply(services, "rules_set", rules=parsed)


def parse_rules(text: str, known: list[str]) -> tuple[Rule, ...]:
    """Rules from ``0s slack push, 2m sms``; UsageError naming what is wrong."""
    rules = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if len(words) < 2:
            raise UsageError(f"Each rule is a delay and methods, like `2m sms`; got `{part}`.")
        try:
            after = parse_duration(words[0])
        except ValueError as error:
            raise UsageError(str(error)) from None
        if after > LONGEST_AFTER:
            raise UsageError("A rule's delay is at most 24h.")
        unknown = [w for w in words[1:] if w.lower() not in known]
        if unknown:
            raise UsageError(
                f"Not one of your methods: {', '.join(unknown)} (yours: {', '.join(known)})."
            )
        rules.append(Rule(after=after, notify=tuple(dict.fromkeys(w.lower() for w in words[1:]))))
    return tuple(sorted(rules, key=lambda rule: rule.after))


def _reply(services: Services, state: str, words: str = TEMPLATE, **context: Any) -> str:
    return services.renderer.render(words, state=state, **context)
