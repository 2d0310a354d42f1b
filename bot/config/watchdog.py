"""The watchdog: the address warroom pings while its own end-to-end check passes (a dead man's
switch, bot/flows/watchdog.py), the header that authenticates the ping, and how often."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from bot.config.reading import NO_SECRET, Feature, Secret, duration, setting
from bot.record.workflows.actions import webhook_url_allowed

# A ping more often than this is load on the service watched through, and says nothing more.
SHORTEST_INTERVAL = timedelta(seconds=10)


def watchdog_url(raw: str) -> Secret:
    """``https://hc-ping.com/<uuid>``: its path holds the check's key, so the value is a
    secret, and a refusal names only its scheme."""
    if not webhook_url_allowed(raw):
        scheme = urlsplit(raw).scheme or "schemeless"
        raise ValueError(
            f"expected an https:// address (http:// only to 127.0.0.1), got a {scheme} "
            "address (its value is not shown: it may hold the check's key)"
        )
    return Secret(raw)


@dataclass(frozen=True)
class WatchdogSettings(Feature):
    """Where warroom says it is alive, every ``interval``, while its check passes."""

    url: Secret = setting(
        env="WARROOM_WATCHDOG_URL",
        default=NO_SECRET,
        parse=watchdog_url,
        doc="the address warroom POSTs to while its own check passes (database, job runner, "
        "pager, a paging provider): a healthchecks.io or Cronitor check, an Opsgenie "
        "heartbeat's ping, another warroom's `/heartbeats/<name>` (see "
        "[Watching warroom itself](heartbeats.md#watching-warroom-itself))",
        shown="none (no watchdog)",
    )
    authorization: Secret = setting(
        env="WARROOM_WATCHDOG_AUTHORIZATION",
        default=NO_SECRET,
        parse=Secret,
        doc="the ping's `Authorization` header, whole: `GenieKey …` for Opsgenie, "
        "`Bearer …` for another warroom's alert token",
        shown="none (no header)",
    )
    interval: timedelta = setting(
        env="WARROOM_WATCHDOG_INTERVAL",
        default=timedelta(minutes=1),
        parse=duration(at_least=SHORTEST_INTERVAL),
        doc="how often warroom checks itself and pings",
        shown="`1m`",
    )

    @property
    def on(self) -> bool:
        return bool(self.url)
