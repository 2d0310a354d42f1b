"""Bounces reported later: the return address each subscriber mail goes out with (VERP, a
signed token per subscription at a domain of the operator's) and warroom's SMTP listener that
reads the delivery status notifications (RFC 3464) sent back to it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config.reading import NO_SECRET, Feature, Secret, integer, lower, setting

# HMAC-SHA256 keys shorter than this are guessable (as WARROOM_SESSION_SECRET's).
BOUNCE_SECRET_MIN = 32
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def domain_name(raw: str) -> str:
    """``bounces.example.com``: a dotted host name, lowercased, without a trailing dot."""
    name = raw.rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"expected a domain name like bounces.example.com, got {raw!r}")
    return name


def port(raw: str) -> int:
    number = integer(raw)
    if not 0 < number < 65536:
        raise ValueError(f"expected a port between 1 and 65535, got {number}")
    return number


@dataclass(frozen=True)
class BounceSettings(Feature):
    """Status page subscribers' bounces, read as they come back (all three set, or none)."""

    domain: str = setting(
        env="WARROOM_BOUNCE_DOMAIN",
        default="",
        parse=lambda raw: domain_name(lower(raw)),
        doc="a domain whose mail reaches warroom's bounce listener (its MX, or your relay "
        "forwarding it there): each subscriber mail goes out from "
        "`bounces+<signed token>@` it, and the delivery reports sent back there mark a "
        "dead address bouncing; unset, only a mail server's refusal while sending does",
        shown="none (bounces read only as mail is sent)",
    )
    secret: Secret = setting(
        env="WARROOM_BOUNCE_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="signs each subscription's bounce token, so a forged report cannot mark another "
        "address bouncing (32 characters or more, e.g. `openssl rand -hex 32`; the same on "
        "every replica; a new one makes the reports of mail already sent unread)",
        shown="none",
    )
    smtp_port: int = setting(
        env="WARROOM_BOUNCE_SMTP_PORT",
        default=0,
        parse=port,
        doc="the port warroom's bounce listener (SMTP) takes the reports on",
        shown="none (no listener)",
    )
    # Loopback unless said otherwise: the relay that forwards the reports usually runs beside
    # warroom, and a listener open to the world takes mail from anyone.
    smtp_host: str = setting(
        env="WARROOM_BOUNCE_SMTP_HOST",
        default="127.0.0.1",
        doc="the address the bounce listener binds to (`0.0.0.0`: every interface, for a relay "
        "on another host or in another container)",
    )
    smtp_sessions: int = setting(
        env="WARROOM_BOUNCE_SMTP_SESSIONS",
        default=10,
        parse=integer,
        doc="SMTP sessions the bounce listener holds at once (1 to 1000); a client past them is "
        "answered 421 and disconnected, and its relay tries again later",
    )

    @property
    def on(self) -> bool:
        """Whether subscriber mail carries a bounce address and the listener runs."""
        return bool(self.domain)

    def problems(self) -> list[str]:
        named = {
            "WARROOM_BOUNCE_DOMAIN": bool(self.domain),
            "WARROOM_BOUNCE_SECRET": bool(self.secret),
            "WARROOM_BOUNCE_SMTP_PORT": bool(self.smtp_port),
        }
        problems = []
        if any(named.values()) and not all(named.values()):
            missing = ", ".join(name for name, given in named.items() if not given)
            problems.append(
                f"{missing}: bounces are read with WARROOM_BOUNCE_DOMAIN, _SECRET and "
                "_SMTP_PORT all set (or none)"
            )
        if not 1 <= self.smtp_sessions <= 1000:
            problems.append("WARROOM_BOUNCE_SMTP_SESSIONS: must be between 1 and 1000")
        if self.secret and len(self.secret) < BOUNCE_SECRET_MIN:
            problems.append(
                f"WARROOM_BOUNCE_SECRET: use at least {BOUNCE_SECRET_MIN} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        return problems
