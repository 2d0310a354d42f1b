"""Names for what an import writes: the slug of the vendor's name, its id appended where two
would be the same."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from bot.record.escalation.policies import NAME
from bot.record.oncall.importing.drafts import ContactDraft

# A name of the files is at most 80 characters (``NAME``).
LONGEST = 80
_OTHER = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slug(text: str, fallback: str) -> str:
    """``Payments (EU) — Primary`` → ``payments-eu-primary``: lower case, accents dropped,
    every other character a ``-`` (runs of them one, none at either end); ``fallback`` when
    nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    dashed = _DASHES.sub("-", _OTHER.sub("-", ascii_text.lower())).strip("-_")
    return (dashed[:LONGEST].rstrip("-_") or fallback) if dashed else fallback


def unique_names(
    objects: Iterable[tuple[str, str]], fallback: str, taken: Iterable[str] = ()
) -> dict[str, str]:
    """A name for each ``(vendor id, vendor name)``, by vendor id: the slug of its name, and
    where two (or a name in ``taken``) would be the same, each of them with its vendor id's
    slug appended (``payments-pabc123``), whatever order they come in."""
    pairs = sorted(objects)
    slugs = {vendor_id: slug(name, fallback) for vendor_id, name in pairs}
    counts = Counter(slugs.values())
    counts.update(set(taken))
    names = {}
    for vendor_id, base in slugs.items():
        if counts[base] == 1:
            names[vendor_id] = base
            continue
        suffix = "-" + slug(vendor_id, "id")
        names[vendor_id] = base[: LONGEST - len(suffix)].rstrip("-_") + suffix
    assert all(NAME.match(name) for name in names.values()), names
    return names


def add_contact(contacts: dict[str, ContactDraft], method: str, address: str, base: str) -> str:
    """The name of the contact ``method`` ``address`` in ``contacts`` (``mail``, ``sms``,
    ``call``...: ``base``, then ``base-2``... when a person has several), added the first
    time it is seen."""
    for name, known in contacts.items():
        if (known.method, known.address) == (method, address):
            return name
    taken = sum(1 for existing in contacts if existing.split("-")[0] == base)
    name = f"{base}-{taken + 1}" if taken else base
    contacts[name] = ContactDraft(name, method, address)
    return name
