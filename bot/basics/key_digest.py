"""The SHA-256 a key warroom makes is kept as (agents' tokens, integrations' keys): the
database never holds a working key. And a text a key arrived in, kept without it
(``without_key``): a body keeps the integration's id where its sender wrote its key."""

from __future__ import annotations

import hashlib
import json
import re

# A key at least this long is replaced wherever it stands (any case, as sent or as JSON
# escapes it): keys warroom makes are 39 characters or more, and one so long matches nothing
# else by chance. A shorter one (a default WARROOM_ALERT_TOKEN may be short) only where it
# is a whole JSON string (PagerDuty's ``"routing_key": "…"``), so that no body is broken.
ANYWHERE_FROM = 16


def digest(key: str) -> str:
    """The key's hex SHA-256, as kept ("surrogatepass": a header aiohttp could not decode
    is looked up, and found nowhere, instead of failing)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def stand_in(integration_id: int | None) -> str:
    """What a kept body holds where its sender wrote the key: the integration's id
    (``integration-7``), or ``integration-default`` for WARROOM_ALERT_TOKEN."""
    return f"integration-{'default' if integration_id is None else integration_id}"


def without_key(text: str, key: str | None, instead: str) -> str:
    """``text`` with ``key`` replaced by ``instead``: each JSON string that is the key, and
    (a key of ``ANYWHERE_FROM`` characters or more) each place it stands, in any case, as
    sent or escaped as JSON escapes it (an e-mail's headers, a header a body keeps)."""
    if not key:
        return text
    escaped = json.dumps(key)[1:-1]
    whole = re.compile(f'"(?:{re.escape(key)}|{re.escape(escaped)})"')
    text = whole.sub(lambda _: json.dumps(instead), text)
    if len(key) < ANYWHERE_FROM:
        return text
    forms = sorted({key, escaped}, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, instead)
    # In another case (a relay's capitals): found in the text lowercased, where each character
    # stands where it stood (unless lowercasing lengthened one: then a slower search).
    lowered = text.lower()
    if not any(form.lower() in lowered for form in forms):
        return text
    if len(lowered) != len(text):
        anywhere = re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)
        return anywhere.sub(lambda _: instead, text)
    spans = re.compile("|".join(re.escape(form.lower()) for form in forms))
    kept, last = [], 0
    for found in spans.finditer(lowered):
        kept += [text[last : found.start()], instead]
        last = found.end()
    return "".join([*kept, text[last:]])
