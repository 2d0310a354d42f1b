"""The host a link goes to, as a reader should be told it, and whether it imitates one of the
workspace's own hosts (docs/security.md, "Links a reader can trust").

A link shown beside a change is the one the app that posted it chose, its label written by
that app: the reader is told where it goes (``host_of``). A host that passes for one of the
workspace's own (warroom's ``WARROOM_PUBLIC_URL``, the Slack workspace's address) without
being it is never shown as a link: ``imitated`` compares hosts by their *skeleton*, the
characters one reads them as (Unicode TS #39, "Confusable Detection": a string's skeleton maps
each character to the one it is confused with, then two strings are confusable when their
skeletons are equal), after IDNA's decoding (``xn--`` labels read as the letters they stand
for, RFC 5891) and NFKC (full-width letters as themselves). The map below is the part of
Unicode's confusables.txt that imitates the Latin letters and digits host names are made of
(Cyrillic and Greek letters, digits and letters read alike, ``rn`` read as ``m``), not the
whole table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

# Each character read as another (confusables.txt, "MA" entries for Latin targets), and the
# Latin letters and digits read alike in the sans-serif faces Slack and browsers use.
_SAME = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "l", "ӏ": "l",
        "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s",
        "т": "t", "ц": "u", "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "ү": "y", "ь": "b",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "l", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
        # Latin letters and digits read alike
        "0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "ı": "l", "ɡ": "g", "ß": "ss",
    }
)  # fmt: skip
# Runs of letters read as one letter (after the map above).
_RUNS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def host_of(url: str) -> str | None:
    """The host a link goes to, in lower case (no user, no port); None when it has none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an unbalanced "[" in what only looks like an IPv6 address
        return None
    return host.rstrip(".") if host else None


def shown_host(host: str) -> str:
    """The host as a reader should read it: its ``xn--`` labels decoded (a host written in
    punycode reads as the letters it stands for), else as it is."""
    try:
        return idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return host


def skeleton(host: str) -> str:
    """What a host is read as: decoded, NFKC, case folded, each look-alike character as the
    one it passes for, hyphens dropped."""
    read = unicodedata.normalize("NFKC", shown_host(host.lower().rstrip("."))).casefold()
    read = read.translate(_SAME).replace("-", "").replace("_", "")
    for run, letter in _RUNS:
        read = read.replace(run, letter)
    return read


def imitated(host: str, own: Iterable[str]) -> str | None:
    """The workspace's own host that ``host`` passes for without being it (None when it
    imitates none): equal skeletons, different hosts, compared in IDNA's ASCII form."""
    ascii_host = _ascii(host)
    read = skeleton(host)
    for each in own:
        if each and _ascii(each) != ascii_host and skeleton(each) == read:
            return each
    return None


def _ascii(host: str) -> str:
    try:
        return idna.encode(host.lower().rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return host.lower().rstrip(".")


@dataclass(frozen=True)
class ShownLink:
    """A link another system gave (a change's), as a reader is shown it: its ``url`` (None:
    refused, shown as no link), the ``host`` it goes to (named beside it, in IDNA's ASCII
    form, so that a host in another script reads as ``xn--…``), and the workspace's own host
    it imitates when that is why it was refused."""

    url: str | None
    host: str
    imitates: str | None = None


def shown_link(url: str, own: Iterable[str]) -> ShownLink:
    """``url`` as it may be shown: refused when it is no http(s) link with a host, or when
    its host passes for one of ``own`` without being it."""
    host = host_of(url)
    if host is None or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return ShownLink(None, host or "")
    mimic = imitated(host, own)
    return ShownLink(None if mimic else url, _ascii(host), mimic)


def disarmed(text: str, hosts: Iterable[str]) -> str:
    """The text with each of ``hosts`` (as it is written there) made unclickable, as security
    teams write them (``warr00m[.]example[.]com``)."""
    for host in sorted(set(hosts), key=len, reverse=True):
        text = text.replace(host, host.replace(".", "[.]"))
    return text
