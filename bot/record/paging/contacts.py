"""How each person is reached: contact methods and notification rules (``WARROOM_CONTACTS``).

Operators write them in YAML::

    people:
      U0ERIN0001:                      # a Slack user id
        contacts:                      # a name -> one method
          push: {ntfy: Zr4hVq9LxT2mWc7NbK1pYs8EdJ3fGa6u}  # a random topic: a secret
          ring: {pushover: uQiRzpo4DXghDmr9QzzfQu27cmVRsG}  # a Pushover user key
          sms: {sms: "+15555550123"}   # E.164
          call: {voice: "+15555550123", fallback: vonage}  # another provider if the first fails
          text: {sms: "+15555550123", provider: vonage}    # not through the default provider
          mail: {email: erin@example.com}
        rules:                         # from the moment a page starts, until it is acknowledged
          - {after: 0s, notify: [slack, push]}
          - {after: 2m, notify: [sms]}
          - {after: 5m, notify: [call]}
        low_urgency_rules:             # a low-urgency alert's page (none: the rules above,
          - {after: 0s, notify: [push]}  # keeping only push and slack)
    default_rules:                     # people without rules
      - {after: 0s, notify: [slack]}

``slack`` is the built-in method (a direct message). Parsing checks everything the file alone
says; whether the services a method needs are configured is checked with the settings.
The file's numbers and addresses count as verified by the operator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import USER_ID
from bot.basics.yaml_files import read_yaml, unknown_keys

MethodKind = Literal["slack", "ntfy", "pushover", "sms", "voice", "email", "webhook", "teams"]
# The methods a person may add for themselves, in the order the README lists them; ``slack``
# needs none.
CONTACT_KINDS: tuple[MethodKind, ...] = ("ntfy", "sms", "voice", "email", "pushover")
# Only in the contacts file: a webhook names a destination of WARROOM_PAGING_WEBHOOKS, which
# the operator runs, never an address a person types. A Pushover user key a person adds
# themselves is checked with Pushover ("User/Group Verification") and verified with a code,
# as a number is.
FILE_KINDS: tuple[MethodKind, ...] = (*CONTACT_KINDS, "webhook", "teams")
# The push methods: a low-urgency alert's page keeps them (and Slack) for someone who set no
# low-urgency rules.
PUSH_KINDS = frozenset({"ntfy", "pushover"})
SLACK: MethodKind = "slack"
# ITU-T E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# ntfy's topic names: letters, digits, _ and -, at most 64 (docs.ntfy.sh, "Publishing").
NTFY_TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
# A Pushover user key ("user/group key"): 30 characters of letters and digits.
PUSHOVER_KEY = re.compile(r"^[A-Za-z0-9]{30}$")
# An address SMTP can send to: one @, a dot in the domain, no spaces or angle brackets.
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# How an ntfy topic is shown (masked): no character of it.
SECRET_TOPIC = "••••••"
CONTACT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Rules fire while a page waits for its acknowledgement; a day later nobody is waiting.
LONGEST_AFTER = timedelta(hours=24)
FILE_KEYS = ("people", "default_rules")
PERSON_KEYS = ("contacts", "rules", "low_urgency_rules", "drill")
RULE_KEYS = ("after", "notify")
# Who carries an SMS or a call: the default phone provider unless the contact names another
# (``provider: <name>``); a ``fallback`` is tried at once when the provider fails for good or
# does not answer. Which names there are is the phone registry's (bot/clients/phone/
# registry.py, a layer above: it checks them against the settings); here a name's shape only.
# The default is the file's and the record's meaning of a contact, and of a notification
# row, that names none (``provider`` empty or NULL): it stays what those rows were written
# with, and the registry registers it first.
DEFAULT_PHONE_PROVIDER = "twilio"
PHONE_KEYS = ("provider", "fallback")
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


# Which company carries each method, as the delivery metrics and the Paging panel name it.
PROVIDERS = {
    "slack": "slack",
    "ntfy": "ntfy",
    "pushover": "pushover",
    "sms": DEFAULT_PHONE_PROVIDER,
    "voice": DEFAULT_PHONE_PROVIDER,
    "email": "smtp",
    "webhook": "webhook",
    "teams": "teams",
}


def provider_of(method: str) -> str:
    """The company that carries ``method`` (``unknown`` for a contact since removed)."""
    return PROVIDERS.get(method, _LEARNED.get(method, "unknown"))


# Methods a destination added beyond the built-in ones (bot/flows/paging/destinations/
# registry.py, a layer above, tells their names when it registers them): the contacts file
# may name them, each its own carrier, its address any text of at most ``LEARNED_MOST``
# characters (the destination reads it), shown masked as a topic is.
_LEARNED: dict[str, str] = {}
LEARNED_MOST = 256


def learn_method(kind: str) -> None:
    """Let contacts name ``kind`` (nothing to learn for a built-in method)."""
    if kind != SLACK and kind not in FILE_KINDS:
        _LEARNED[kind] = kind


def forget_method(kind: str) -> None:
    _LEARNED.pop(kind, None)


def file_kinds() -> tuple[str, ...]:
    """The methods the contacts file may name: the built-in ones, then those learned."""
    return (*FILE_KINDS, *_LEARNED)


class ContactsError(ValueError):
    """The contacts file does not describe how to reach people: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Method:
    """One way to reach a person: ``kind`` and where (a topic, a number, an address)."""

    kind: str  # a MethodKind, or a method a destination added (``learn_method``)
    address: str
    # SMS and voice: who carries it ("": the default), and who is tried at once when it fails.
    provider: str = ""
    fallback: str = ""

    @property
    def carrier(self) -> str:
        """The company that carries it first (a phone provider's name for a phone)."""
        return self.provider or provider_of(self.kind)

    def __repr__(self) -> str:  # numbers and addresses stay out of logs and tracebacks
        return f"Method({self.kind!r})"


@dataclass(frozen=True)
class Rule:
    """At ``after`` from a page's start, notify through each of ``notify`` (contact names, or
    ``slack``)."""

    after: timedelta
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    """A person's contacts by name, and their own rules (None: the default rules)."""

    user: str
    contacts: Mapping[str, Method]
    rules: tuple[Rule, ...] | None = None
    # Opted in to the weekly paging drill: a drill may text, call, push and mail them.
    drill: bool = False
    # Their rules for a low-urgency alert (PagerDuty's low-urgency notification rules); None:
    # their rules above, keeping only push and Slack (``quiet_rules``).
    low_urgency_rules: tuple[Rule, ...] | None = None


DEFAULT_RULES: tuple[Rule, ...] = (Rule(after=timedelta(0), notify=(SLACK,)),)


@dataclass(frozen=True)
class Contacts:
    """Everyone the file names, and the rules of everyone else."""

    people: Mapping[str, Person] = field(default_factory=lambda: MappingProxyType({}))
    default_rules: tuple[Rule, ...] = DEFAULT_RULES
    # Whether a file was read: without one, nobody is paged beyond Slack as before.
    configured: bool = False

    def person(self, user: str) -> Person:
        """``user`` as the file has them, or with no contacts and the default rules."""
        return self.people.get(user) or Person(user=user, contacts=MappingProxyType({}))

    def rules_of(self, user: str) -> tuple[Rule, ...]:
        rules = self.person(user).rules
        return rules if rules is not None else self.default_rules

    def user_with_number(self, number: str) -> str | None:
        """Whose SMS or voice contact ``number`` is (an SMS reply's sender), if anyone's."""
        for person in self.people.values():
            for method in person.contacts.values():
                if method.kind in ("sms", "voice") and method.address == number:
                    return person.user
        return None

    def kinds(self) -> set[str]:
        """Every method kind some contact of the file uses."""
        return {m.kind for p in self.people.values() for m in p.contacts.values()}

    def summary(self) -> str:
        people = len(self.people)
        methods = sum(len(p.contacts) for p in self.people.values())
        return f"{_count(people, 'person', 'people')}, {_count(methods, 'contact method')}"


NO_CONTACTS = Contacts()


def load_contacts(path: Path) -> Contacts:
    """Read and check a contacts file; ContactsError names every problem."""
    return parse_contacts(read_yaml(path, ContactsError))


def parse_contacts(document: Any) -> Contacts:
    """Build Contacts from the parsed YAML document."""
    if not isinstance(document, dict) or not isinstance(document.get("people", {}), dict):
        raise ContactsError("expected a mapping with a 'people' mapping at the top")
    problems: list[str] = []
    if problem := unknown_keys("the file", document, FILE_KEYS):
        problems.append(problem)
    people: dict[str, Person] = {}
    for raw_user, body in (document.get("people") or {}).items():
        person = _person(str(raw_user), body, problems)
        if person is not None:
            people[person.user] = person
    default_rules = DEFAULT_RULES
    if "default_rules" in document:
        parsed = parse_rules("default_rules", document["default_rules"], {}, problems)
        default_rules = parsed if parsed is not None else DEFAULT_RULES
    if problems:
        raise ContactsError(*problems)
    return Contacts(MappingProxyType(people), default_rules, configured=True)


def _person(user: str, body: Any, problems: list[str]) -> Person | None:
    where = f"person {user}"
    if not USER_ID.match(user):
        problems.append(f"{where}: not a Slack user id (U… or W…)")
    if not isinstance(body, dict):
        problems.append(f"{where}: expected a mapping with 'contacts' and 'rules'")
        return None
    if problem := unknown_keys(where, body, PERSON_KEYS):
        problems.append(problem)
    raw_contacts = body.get("contacts") or {}
    contacts = _contacts(where, raw_contacts, problems)
    # A contact refused above is said once; the rules naming it are not refused again.
    named = {str(name) for name in raw_contacts} if isinstance(raw_contacts, dict) else set()
    refused = named - set(contacts)
    rules = None
    if "rules" in body:
        rules = parse_rules(f"{where}: rules", body["rules"], contacts, problems, refused)
    low = None
    if "low_urgency_rules" in body:
        low = parse_rules(
            f"{where}: low_urgency_rules", body["low_urgency_rules"], contacts, problems, refused
        )
    drill = body.get("drill", False)
    if not isinstance(drill, bool):
        problems.append(f"{where}: drill: true (the drill may reach them) or false")
        drill = False
    return Person(
        user=user,
        contacts=MappingProxyType(contacts),
        rules=rules,
        drill=drill,
        low_urgency_rules=low,
    )


def quiet_rules(rules: tuple[Rule, ...], contacts: Mapping[str, Method]) -> tuple[Rule, ...]:
    """A low-urgency alert's rules for someone who set none: ``rules`` keeping only push
    (ntfy, Pushover) and Slack, never a phone or a mail; a Slack DM at once when nothing is
    left."""
    quiet = []
    for rule in rules:
        kept = tuple(
            name
            for name in rule.notify
            if name == SLACK or (name in contacts and contacts[name].kind in PUSH_KINDS)
        )
        if kept:
            quiet.append(Rule(after=rule.after, notify=kept))
    return tuple(quiet) or DEFAULT_RULES


def _contacts(where: str, raw: Any, problems: list[str]) -> dict[str, Method]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: contacts: expected a mapping of names to methods")
        return {}
    contacts: dict[str, Method] = {}
    for raw_name, body in raw.items():
        name = str(raw_name)
        here = f"{where}: contacts: {name}"
        if name == SLACK or not CONTACT_NAME.match(name):
            problems.append(
                f"{here}: names are lowercase letters, digits, - and _ (and not 'slack')"
            )
            continue
        methods = (
            {k: v for k, v in body.items() if k not in PHONE_KEYS} if isinstance(body, dict) else {}
        )
        if not isinstance(body, dict) or len(methods) != 1:
            problems.append(f'{here}: expected one method, like {{sms: "+15555550123"}}')
            continue
        ((kind, address),) = methods.items()
        problem = method_problem(str(kind), address, file_kinds()) or _phone_problem(kind, body)
        if problem:
            problems.append(f"{here}: {problem}")
            continue
        provider, fallback = (str(body.get(key) or "") for key in PHONE_KEYS)
        contacts[name] = Method(
            kind=kind,
            address=str(address),
            provider="" if provider == DEFAULT_PHONE_PROVIDER else provider,
            fallback=fallback,
        )
    return contacts


def _phone_problem(kind: str, body: dict[str, Any]) -> str | None:
    """Why a contact's ``provider`` or ``fallback`` is wrong; None when it is right."""
    given = {key: body[key] for key in PHONE_KEYS if key in body}
    if given and kind not in ("sms", "voice"):
        return f"{', '.join(given)}: only for sms and voice contacts"
    for key, value in given.items():
        if not isinstance(value, str) or not PROVIDER_NAME.match(value):
            return f"{key}: {value!r} is not a provider's name (lowercase letters, like vonage)"
    return None


def masked(kind: str, address: str) -> str:
    """An address as its owner (or a colleague on the web view) may see it: enough to
    recognise, not to copy (``+1 •••• 0123``, ``+33 •••• 1234``, ``e•••@example.com``); an
    ntfy topic shows no character at all (``••••••``): on a public server the topic is the one
    secret between the pages and whoever subscribes to it."""
    if kind in ("sms", "voice"):
        return f"+{_country_code(address)} •••• {address[-4:]}"
    if kind == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    if kind in ("webhook", "teams"):
        return address  # a destination's name: the operator's, no secret
    return SECRET_TOPIC


# ITU-T E.164's country codes of one and two digits (every other code has three): the part of
# a number a masked one keeps, so its owner knows which phone it is.
_ONE_DIGIT_CODES = frozenset({"1", "7"})
_TWO_DIGIT_CODES = frozenset(
    {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
     "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
     "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}
)  # fmt: skip


def _country_code(number: str) -> str:
    digits = number.lstrip("+")
    if digits[:1] in _ONE_DIGIT_CODES:
        return digits[:1]
    return digits[:2] if digits[:2] in _TWO_DIGIT_CODES else digits[:3]


def method_problem(kind: str, address: Any, kinds: tuple[str, ...] = CONTACT_KINDS) -> str | None:
    """Why ``address`` is not one of ``kind`` (or ``kind`` not one of ``kinds``); None when
    it is."""
    if kind not in kinds:
        return f"unknown method {kind!r} (methods: {', '.join(kinds)})"
    value = str(address) if isinstance(address, str | int) else ""
    if kind in _LEARNED and not 0 < len(value) <= LEARNED_MOST:
        return f"{kind}: {address!r} is not an address (text of at most {LEARNED_MOST})"
    if kind in ("sms", "voice") and not E164.match(value):
        return f"{kind}: {address!r} is not an E.164 number (like +15555550123)"
    if kind == "ntfy" and not NTFY_TOPIC.match(value):
        return f"ntfy: {address!r} is not a topic (letters, digits, - and _, at most 64)"
    if kind == "pushover" and not PUSHOVER_KEY.match(value):
        return f"pushover: {address!r} is not a user key (30 letters and digits)"
    if kind == "email" and not EMAIL.match(value):
        return f"email: {address!r} is not an address (like erin@example.com)"
    if kind in ("webhook", "teams") and not CONTACT_NAME.match(value):
        return f"{kind}: {address!r} is not a destination's name (of WARROOM_PAGING_WEBHOOKS)"
    return None


def parse_rules(
    where: str,
    raw: Any,
    contacts: Mapping[str, Method],
    problems: list[str],
    refused: set[str] | frozenset[str] = frozenset(),
) -> tuple[Rule, ...] | None:
    """Rules from a list of ``{after, notify}``, sorted by ``after``; each name must be
    ``slack`` or one of ``contacts``. None (and problems) when one is wrong."""
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: expected a list of {{after: 0s, notify: [slack]}}")
        return None
    before = len(problems)
    rules = []
    for number, body in enumerate(raw, start=1):
        rule = _rule(f"{where}: rule {number}", body, contacts, problems, refused)
        if rule is not None:
            rules.append(rule)
    if len(problems) > before:
        return None
    return tuple(sorted(rules, key=lambda rule: rule.after))


def _rule(
    where: str,
    body: Any,
    contacts: Mapping[str, Method],
    problems: list[str],
    refused: set[str] | frozenset[str],
) -> Rule | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: expected {{after: 0s, notify: [slack]}}")
        return None
    if problem := unknown_keys(where, body, RULE_KEYS):
        problems.append(problem)
    before = len(problems)
    after = timedelta(0)
    try:
        after = parse_duration(body.get("after", 0))
    except ValueError as error:
        problems.append(f"{where}: after: {error}")
    if after > LONGEST_AFTER:
        problems.append(f"{where}: after: at most 24h, got {body.get('after')!r}")
    notify = body.get("notify")
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not notify:
        problems.append(f"{where}: notify: expected a list of contact names (or slack)")
        return None
    known = [SLACK, *contacts]
    for name in (str(name) for name in notify):
        if name not in known and name not in refused:
            problems.append(
                f"{where}: notify: {name!r} is neither slack nor a contact here "
                f"(contacts: {', '.join(known)})"
            )
    if len(problems) > before:
        return None
    return Rule(after=after, notify=tuple(dict.fromkeys(str(name) for name in notify)))


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"
