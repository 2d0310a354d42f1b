"""The status page: Atlassian Statuspage's page, key and components, and how public updates
wait for people's words and their translations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

from bot.basics.languages import language_code
from bot.config.reading import (
    NO_SECRET,
    Feature,
    Secret,
    duration,
    one_problem_file,
    pairs,
    setting,
    url,
    words,
)

DEFAULT_STATUSPAGE_API_URL = "https://api.statuspage.io/v1"
DEFAULT_PUBLIC_GRACE = timedelta(minutes=2)
# Past this, a status change would wait longer for people's words than customers wait for news.
PUBLIC_GRACE_MAX = timedelta(minutes=30)


def components(raw: str) -> Mapping[str, str]:
    """``E-commerce processing=8kbf7d35c070,Instore payment=v6z6tpldcw85``: the Statuspage
    component id of each name people give ``/incident public`` (matched case-insensitively)."""
    return MappingProxyType(
        {name.lower(): component for name, component in pairs(raw, shape="name=id")}
    )


# The status page's logo is served by warroom itself (``GET /status/logo``): the page's
# Content-Security-Policy keeps ``img-src 'self'``, and a reader's browser asks no other site.
LOGO_MAX = 256 * 1024
# Raster images only, known by their first bytes: an SVG can carry script.
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


@dataclass(frozen=True)
class Logo:
    """The company's logo as the status page serves it."""

    data: bytes
    content_type: str


class LogoError(ValueError):
    pass


def load_logo(file: Path) -> Logo:
    """A PNG, JPEG, GIF or WebP file of at most ``LOGO_MAX`` bytes, read once at start."""
    try:
        with file.open("rb") as opened:
            data = opened.read(LOGO_MAX + 1)
    except OSError as error:
        raise LogoError(f"{file}: cannot be read ({error.strerror})") from None
    if len(data) > LOGO_MAX:
        raise LogoError(f"{file}: larger than {LOGO_MAX // 1024} KiB")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Logo(data, "image/webp")
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            return Logo(data, content_type)
    raise LogoError(f"{file}: not a PNG, JPEG, GIF or WebP image")


def web_link(raw: str) -> str:
    """An ``https://`` (or ``http://``) address, as a link people follow."""
    if not raw.startswith(("https://", "http://")) or len(raw) < len("http://x"):
        raise ValueError(f"expected an https:// address, got {raw!r}")
    return raw


def languages(raw: str) -> tuple[str, ...]:
    """``fr,en,it``: ISO 639-1 codes, optionally with a region (``pt-br``)."""
    found = words(raw)
    wrong = [lang for lang in found if language_code(lang) is None]
    if wrong:
        raise ValueError(f"expected codes like fr,en,it, got {', '.join(wrong)}")
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class StatusPageSettings(Feature):
    """Where public updates go besides warroom's own /status, and when."""

    # Atlassian Statuspage: public updates are published there too when both are set.
    page_id: str = setting(
        env="STATUSPAGE_PAGE_ID",
        default="",
        doc="Atlassian Statuspage page: public updates go there too (set it and "
        "`STATUSPAGE_API_KEY`, or neither)",
        shown="none (warroom's `/status` only)",
    )
    api_key: Secret = setting(
        env="STATUSPAGE_API_KEY",
        default=NO_SECRET,
        parse=Secret,
        doc="Atlassian Statuspage API key (set it and `STATUSPAGE_PAGE_ID`, or neither)",
        shown="none (warroom's `/status` only)",
    )
    api_url: str = setting(
        env="STATUSPAGE_API_URL",
        default=DEFAULT_STATUSPAGE_API_URL,
        parse=url,
        doc="base URL of Statuspage's API",
    )
    # Component names people give `/incident public`, lowercased, to Statuspage component ids.
    components: Mapping[str, str] = setting(
        env="STATUSPAGE_COMPONENTS",
        factory=lambda: MappingProxyType({}),
        parse=components,
        doc="component names people give `/incident public` to Statuspage component ids, "
        "`Name=id,Name=id` (names matched ignoring case)",
        shown="none",
    )
    # A status change is announced in warroom's own words only when nobody published theirs
    # within this long, and a person's update waits at most this long for its translations
    # (``languages``) before Statuspage notifies subscribers.
    grace: timedelta = setting(
        env="WARROOM_PUBLIC_GRACE",
        default=DEFAULT_PUBLIC_GRACE,
        parse=duration(at_most=PUBLIC_GRACE_MAX),
        doc="how long a public incident's status change waits for people's own update before "
        "warroom announces it in its words, and a person's update for its translations before "
        "Statuspage notifies subscribers (`0` to `30m`)",
        shown="`2m`",
    )
    # Empty: the incident's language and whichever its earlier updates used.
    languages: tuple[str, ...] = setting(
        env="WARROOM_PUBLIC_LANGUAGES",
        default=(),
        parse=languages,
        doc="the languages each public update is written in (`fr,en,it`): an update waits up "
        "to the grace for all of them; the status page form asks a title in each",
        shown="none (the incident's, and those its updates used)",
    )

    # The page's identity: who it is the status of (its name, logo and site), also naming the
    # sender and signing the footer of the subscribers' mail.
    company: str = setting(
        env="WARROOM_STATUS_COMPANY",
        default="",
        doc="the company's name on the status page (its heading and title) and on the mail "
        "its subscribers get (the sender's name, the footer)",
        shown='none (the page says "Status")',
    )
    logo: Logo | None = setting(
        env="WARROOM_STATUS_LOGO",
        default=None,
        parse=one_problem_file(load_logo, LogoError),
        doc="a PNG, JPEG, GIF or WebP file (at most 256 KiB) shown at the top of the status "
        "page, served by warroom itself at `/status/logo`",
        shown="none",
    )
    link: str = setting(
        env="WARROOM_STATUS_LINK",
        default="",
        parse=web_link,
        doc="the company's site (`https://...`): the status page's name and logo link to it",
        shown="none",
    )

    @property
    def statuspage_on(self) -> bool:
        """Whether public updates also go to Atlassian Statuspage."""
        return bool(self.page_id and self.api_key)

    def problems(self) -> list[str]:
        if bool(self.page_id) != bool(self.api_key):
            return ["STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY: set both, or neither"]
        return []
