"""Paging people beyond Slack: who is reached how (the contacts file), the services that
carry the notifications (ntfy, Twilio, SMTP), and the paging webhooks' destinations.

The webhooks (WARROOM_PAGING_WEBHOOKS, a YAML file) are the destinations a ``webhook`` contact
names, each a URL the team runs and the variable holding its signing secret::

    destinations:
      signal-bridge:
        url: https://bridge.example.com/warroom/page
        secret_env: WARROOM_SIGNAL_BRIDGE_SECRET
      ops-teams:                       # a Microsoft Teams Workflows webhook (``teams`` contacts)
        teams_url_env: WARROOM_OPS_TEAMS_URL   # its URL carries its signature: a secret
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from bot.basics.yaml_files import read_yaml
from bot.config.reading import (
    NO_SECRET,
    Feature,
    Secret,
    boolean,
    duration,
    integer,
    problems_file,
    read,
    setting,
    url,
)
from bot.record.paging.contacts import (
    CONTACT_NAME,
    E164,
    NO_CONTACTS,
    Contacts,
    ContactsError,
    load_contacts,
)
from bot.record.paging.drill_schedule import DrillSchedule, parse_drill_schedule
from bot.record.paging.numbers import is_country
from bot.record.workflows.actions import webhook_url_allowed


def contacts_file(environ: Mapping[str, str]) -> Path | None:
    """The contacts file WARROOM_CONTACTS names (``warroom paging check`` without a FILE)."""
    named = environ.get("WARROOM_CONTACTS", "").strip()
    return Path(named) if named else None


def countries(raw: str) -> frozenset[str]:
    """``US, CA, FR``: ISO 3166-1 alpha-2 codes libphonenumber knows."""
    found = frozenset(part.strip().upper() for part in raw.split(",") if part.strip())
    unknown = sorted(code for code in found if not is_country(code))
    if unknown:
        raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
    return found


def at_least_one(raw: str) -> int:
    number = integer(raw)
    if number < 1:
        raise ValueError(f"at least 1, got {number}")
    return number


DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
SMTP_SCHEMES = ("smtp", "smtps")


def e164(raw: str) -> str:
    """``+15555550123``: a number Twilio can send from."""
    if not E164.match(raw):
        raise ValueError("expected an E.164 number like +15555550123")
    return raw


def smtp_url(raw: str) -> Secret:
    """``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://…:465`` (TLS)."""
    parts = urlsplit(raw)
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        # The value may hold a password: only its scheme is named.
        raise ValueError(
            f"expected smtp://user:pass@host:587 or smtps://user:pass@host:465, "
            f"got a {parts.scheme or 'schemeless'} URL"
        )
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValueError("the port is not a number") from None
    return Secret(raw)


@dataclass(frozen=True)
class PagingSettings(Feature):
    """How people are paged by push, SMS, voice and email."""

    contacts: Contacts = setting(
        env="WARROOM_CONTACTS",
        default=NO_CONTACTS,
        parse=problems_file(load_contacts, ContactsError),
        doc="path of the contacts file (see Paging): each person's contact methods and "
        "notification rules",
        shown="none (Slack only)",
    )
    ntfy_url: str = setting(
        env="WARROOM_NTFY_URL",
        default="",
        parse=url,
        doc="the ntfy server push notifications are published to (`https://ntfy.sh` or your own)",
        shown="none (no push)",
    )
    ntfy_token: Secret = setting(
        env="WARROOM_NTFY_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="access token for the ntfy server (sent as `Authorization: Bearer`)",
        shown="none (anonymous)",
    )
    pushover_token: Secret = setting(
        env="WARROOM_PUSHOVER_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="Pushover application's API token, for pushes that ring until acknowledged "
        "(pushover contacts)",
        shown="none (no Pushover)",
    )
    pushover_api_url: str = setting(
        env="WARROOM_PUSHOVER_API_URL",
        default="https://api.pushover.net",
        parse=url,
        doc="Pushover's API (another address only for a test double)",
    )
    twilio_account_sid: str = setting(
        env="TWILIO_ACCOUNT_SID",
        default="",
        doc="Twilio account SID (`AC…`), for SMS and voice calls",
        shown="none (no SMS, no calls)",
    )
    twilio_auth_token: Secret = setting(
        env="TWILIO_AUTH_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="Twilio auth token: authenticates warroom to Twilio and Twilio's webhooks to warroom",
        shown="none (no SMS, no calls)",
    )
    twilio_from: str = setting(
        env="TWILIO_FROM",
        default="",
        parse=e164,
        doc="the Twilio number SMS and calls come from (E.164); point its webhooks at "
        "warroom (see Paging)",
        shown="none (no SMS, no calls)",
    )
    twilio_api_url: str = setting(
        env="TWILIO_API_URL",
        default=DEFAULT_TWILIO_API_URL,
        parse=url,
        doc="base URL of Twilio's REST API",
    )
    smtp_url: Secret = setting(
        env="WARROOM_SMTP_URL",
        default=NO_SECRET,
        parse=smtp_url,
        doc="the mail server: `smtp://user:pass@host:587` (upgraded with STARTTLS) or "
        "`smtps://user:pass@host:465` (implicit TLS); certificates checked against the "
        "system's store (`SSL_CERT_FILE` honoured). A server that offers no STARTTLS gets no "
        "password and no mail",
        shown="none (no email)",
    )
    smtp_plaintext: bool = setting(
        env="WARROOM_SMTP_PLAINTEXT",
        default=False,
        parse=boolean,
        doc="`true`: mail to a relay that offers no STARTTLS goes in clear text (its "
        "acknowledgement link readable on the way); only for a relay on a network you trust, "
        "and refused with a user name or password in `WARROOM_SMTP_URL`",
        shown="`false`",
    )
    smtp_from: str = setting(
        env="WARROOM_SMTP_FROM",
        default="",
        doc="the address paging mail comes from",
        shown="none (no email)",
    )

    phone_countries: frozenset[str] = setting(
        env="WARROOM_PHONE_COUNTRIES",
        default=frozenset(),
        parse=countries,
        doc="the countries whose numbers people may add for themselves (`/oncall contact "
        "add`), as ISO codes (`US,CA,FR`); set it to the countries you enable in Twilio's "
        "Messaging and Voice Geo Permissions. Premium-rate, shared-cost and unknown numbers "
        "are refused whatever this says",
        shown="any country",
    )
    codes_per_hour: int = setting(
        env="WARROOM_CODES_PER_HOUR",
        default=3,
        parse=at_least_one,
        doc="verification codes (`/oncall contact add`) one person may ask for in an hour, "
        "and one number or address may receive in an hour, whoever asks",
    )
    codes_per_day: int = setting(
        env="WARROOM_CODES_PER_DAY",
        default=6,
        parse=at_least_one,
        doc="the same in a day (24 hours)",
    )
    test_page_every: timedelta = setting(
        env="WARROOM_TEST_PAGE_EVERY",
        default=timedelta(minutes=1),
        parse=duration(at_least=timedelta(seconds=1)),
        doc="how often one person may send a test page (`/oncall test-page`, `/oncall contact "
        "test`)",
        shown="`1m`",
    )
    drill: DrillSchedule | None = setting(
        env="WARROOM_PAGING_DRILL",
        default=None,
        parse=parse_drill_schedule,
        doc="when the weekly paging drill runs, as a day, a time and a time zone (`mon 10:00 "
        "Europe/Paris`): each provider set is exercised, through the people who opted in "
        "(`/oncall contact drill on`, or `drill: true` in the contacts file), and one that "
        "fails opens an incident (see Paging)",
        shown="none (no scheduled drill; `warroom paging drill` still works)",
    )
    drill_wait: timedelta = setting(
        env="WARROOM_PAGING_DRILL_WAIT",
        default=timedelta(minutes=2),
        parse=duration(at_least=timedelta(seconds=1)),
        doc="how long a drill waits for a provider's outcome (a phone provider's status "
        "callback) before counting it failed",
        shown="`2m`",
    )
    # Two minutes: Twilio's delivery reports come within seconds, a call rings up to 60 s
    # (its default Timeout) before it is reported unanswered; and the next rule of a person's
    # usual rules (2m, 5m, 10m) is still brought forward, not left at its own time.
    delivery_wait: timedelta = setting(
        env="WARROOM_PAGING_DELIVERY_WAIT",
        default=timedelta(minutes=2),
        parse=duration(at_least=timedelta(seconds=10)),
        doc="how long an SMS or a call may go without its phone provider reporting it "
        "delivered or answered before the person's next rule fires at once, as for a failure "
        "(needs WARROOM_PUBLIC_URL, where the providers report)",
        shown="`2m`",
    )

    @property
    def twilio_on(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def smtp_on(self) -> bool:
        return bool(self.smtp_url and self.smtp_from)

    def problems(self) -> list[str]:
        problems = []
        twilio = [self.twilio_account_sid, self.twilio_auth_token, self.twilio_from]
        if any(twilio) and not all(twilio):
            problems.append(
                "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM: set all three, or none"
            )
        if bool(self.smtp_url) != bool(self.smtp_from):
            problems.append("WARROOM_SMTP_URL and WARROOM_SMTP_FROM: set both, or neither")
        if self.smtp_plaintext and urlsplit(str(self.smtp_url)).username:
            problems.append(
                "WARROOM_SMTP_PLAINTEXT: a password is never sent in clear text; remove the "
                "credentials from WARROOM_SMTP_URL or the setting"
            )
        if self.ntfy_token and not self.ntfy_url:
            problems.append("WARROOM_NTFY_TOKEN: set WARROOM_NTFY_URL too")
        # An SMS or a call that names its provider is the phone registry's to check
        # (bot/clients/phone/registry.py); one that names none goes through Twilio.
        kinds = {
            m.kind
            for p in self.contacts.people.values()
            for m in p.contacts.values()
            if not m.provider
        }
        needs = {
            "ntfy": (bool(self.ntfy_url), "WARROOM_NTFY_URL"),
            "pushover": (bool(self.pushover_token), "WARROOM_PUSHOVER_TOKEN"),
            "sms": (self.twilio_on, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM"),
            "voice": (self.twilio_on, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM"),
            "email": (self.smtp_on, "WARROOM_SMTP_URL and WARROOM_SMTP_FROM"),
            # Checked against WARROOM_PAGING_WEBHOOKS by Settings (another feature's file).
            "webhook": (True, ""),
            "teams": (True, ""),
        }
        # A method a destination added (bot/flows/paging/destinations/) names no setting here.
        for kind in sorted(kinds & needs.keys()):
            ready, variables = needs[kind]
            if not ready:
                problems.append(f"WARROOM_CONTACTS: {kind} contacts need {variables}")
        return problems


# -- the paging webhooks (WARROOM_PAGING_WEBHOOKS) ----------------------------------------------
_ENV = re.compile(r"^[A-Z][A-Z0-9_]*$")
KEYS = ("url", "secret_env")
TEAMS_KEYS = ("teams_url_env",)


class HooksError(ValueError):
    """The webhooks file does not describe destinations: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Destination:
    """Where a page is POSTed, and the variable holding the secret it is signed with; for a
    Teams Workflows webhook (``teams``), the variable holding its whole URL."""

    url: str
    secret_env: str
    teams: bool = False

    @property
    def kind(self) -> str:
        return "teams" if self.teams else "webhook"


@dataclass(frozen=True)
class Destinations:
    """The webhooks file, read: each destination by name."""

    named: tuple[tuple[str, Destination], ...] = ()

    def get(self, name: str) -> Destination | None:
        return dict(self.named).get(name)

    def items(self) -> tuple[tuple[str, Destination], ...]:
        return self.named

    def __iter__(self) -> Iterator[str]:
        return iter(name for name, _ in self.named)


def load_hooks(path: Path) -> Destinations:
    return parse_hooks(read_yaml(path, HooksError))


def parse_hooks(document: Any) -> Destinations:
    """The destinations, by name; HooksError lists every problem."""
    raw = document.get("destinations") if isinstance(document, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise HooksError("destinations: a mapping of names to {url, secret_env}")
    problems: list[str] = []
    found: dict[str, Destination] = {}
    for name, body in raw.items():
        where = f"destinations.{name}"
        if not isinstance(name, str) or not CONTACT_NAME.match(name):
            problems.append(f"{where}: a name of lowercase letters, digits, - and _")
            continue
        if isinstance(body, dict) and set(body) == set(TEAMS_KEYS):
            if not isinstance(body["teams_url_env"], str) or not _ENV.match(body["teams_url_env"]):
                problems.append(f"{where}: teams_url_env: the variable holding the Workflows URL")
            else:
                found[name] = Destination(url="", secret_env=body["teams_url_env"], teams=True)
            continue
        if not isinstance(body, dict) or set(body) != set(KEYS):
            problems.append(f"{where}: exactly url and secret_env (or teams_url_env)")
            continue
        url, secret_env = body["url"], body["secret_env"]
        if not isinstance(url, str) or not webhook_url_allowed(url):
            problems.append(f"{where}: url: an https:// address (http:// only to 127.0.0.1)")
        if not isinstance(secret_env, str) or not _ENV.match(secret_env):
            problems.append(f"{where}: secret_env: the variable holding the signing secret")
        if not problems:
            found[name] = Destination(url=url, secret_env=secret_env)
    if problems:
        raise HooksError(*problems)
    return Destinations(tuple(found.items()))


NO_HOOKS = Destinations()


@dataclass(frozen=True)
class PagingHookSettings(Feature):
    """Where ``webhook`` contacts are paged, and their signing secrets."""

    destinations: Destinations = setting(
        env="WARROOM_PAGING_WEBHOOKS",
        default=NO_HOOKS,
        parse=problems_file(load_hooks, HooksError),
        doc="path of the paging webhooks file (see Paging): each destination's `url` and the "
        "`secret_env` variable holding its signing secret, or for Microsoft Teams the "
        "`teams_url_env` variable holding the Workflows URL",
        shown="none (no webhook or Teams method)",
    )
    # The destinations' signing secrets, by destination name (read from their variables).
    secrets: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PagingHookSettings:
        """The destinations, then the secrets they name."""
        found = read(cls, environ)
        secrets = {
            name: Secret(environ.get(hook.secret_env, ""))
            for name, hook in found.destinations.items()
        }
        return found.replace(secrets=MappingProxyType(secrets))

    def problems(self) -> list[str]:
        problems = []
        for name, hook in self.destinations.items():
            value = str(self.secrets.get(name) or "")
            if not value:
                what = "its Workflows URL" if hook.teams else "its signing secret"
                problems.append(f"WARROOM_PAGING_WEBHOOKS: {name}: set {hook.secret_env} ({what})")
            elif hook.teams and not webhook_url_allowed(value):
                # The URL is a secret: only its variable is named.
                problems.append(f"WARROOM_PAGING_WEBHOOKS: {name}: {hook.secret_env}: an https URL")
        return problems
