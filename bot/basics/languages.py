"""Language codes as people give them (``--lang fr``, ``WARROOM_PUBLIC_LANGUAGES=fr,en,it``)
and as readers' browsers ask for them (``Accept-Language``, RFC 9110 section 12.5.4)."""

from __future__ import annotations

import re
from collections.abc import Collection

# A language code and, optionally, a region or script: `fr`, `pt-br`, `zh-hant`.
_LANGUAGE = re.compile(r"^([a-z]{2})(?:-[a-z0-9]{2,8})?$")
# ISO 639-1: the two-letter language codes (the `lang` the status page and its feed carry).
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
# One range of Accept-Language: `fr-CH`, `*`, with an optional weight `;q=0.8`.
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$"
)
# Ranges read from one header at most: a browser sends a handful.
RANGES_MAX = 32


def language_code(asked: str) -> str | None:
    """``asked`` as a language code (lowercase), or None when it is not one."""
    code = asked.strip().lower()
    form = _LANGUAGE.match(code)
    return code if form is not None and form.group(1) in ISO_639_1 else None


def preferred_language(accept_language: str, offered: Collection[str]) -> str | None:
    """The offered language a reader's ``Accept-Language`` ranks first, or None: ranges by
    weight (``q``, 1 when absent; 0 means "not this one"), a range matching its own code
    or a longer one's primary tag (``fr-CH`` takes ``fr``); malformed ranges are skipped."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:RANGES_MAX]):
        match = _RANGE.match(part)
        if match is None:
            continue
        weight = float(match.group(2)) if match.group(2) else 1.0
        if weight > 0:
            ranked.append((-weight, position, match.group(1).lower()))
    for _, _, asked in sorted(ranked):
        for language in offered:
            if asked in (language, language.split("-")[0]) or asked.split("-")[0] == language:
                return language
    return None
