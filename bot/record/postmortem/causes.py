"""Possible causes of an open incident, as the team's model proposes them and as warroom
keeps them: the entries they may cite beside the timeline's (the changes before the incident
on its services, the earlier related incidents' causes), the independent entries that hold
each cause and those that say against it (warroom's finding, never the model's word), what
the record held when it was asked (a later run asks again only when that changed), and what
people said of each (👍/👎, the working theory).

No Slack and no HTTP: the request and the answer come and go through
bot/flows/incident/causes.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.key_digest import digest
from bot.record.changes.suspects import DEPENDENCY, OWN, Suspect
from bot.record.incident.related import Related
from bot.record.postmortem.evidence import Evidence, entry_ref
from bot.record.postmortem.suggestions import Sentence, Unsupported
from bot.store.models import (
    CauseRequest,
    CauseVote,
    Incident,
    PossibleCause,
    TimelineKind,
)

# At most this many causes are shown; the model's further ones are left out.
MAX_CAUSES = 3
# The hours before the incident whose changes the model reads.
CHANGES_HOURS = 6.0
# How a request went.
ANSWERED, FAILED = "answered", "failed"
# The kinds of entry that say nothing of a cause: a record changing only in these is not
# asked about again.
PROCEDURAL = frozenset(
    {
        TimelineKind.DECLARED,
        TimelineKind.COMMANDER,
        TimelineKind.ROLE,
        TimelineKind.CHANNEL,
        TimelineKind.FIELD,
        TimelineKind.TYPE,
        TimelineKind.WORKFLOW,
        TimelineKind.NOTIFICATION,
        TimelineKind.PAGED,
        TimelineKind.ACKNOWLEDGED,
        TimelineKind.REVIEW,
        TimelineKind.SEVERITY,
    }
)
# The kinds of the entries added beside the timeline's.
CHANGE, EARLIER = "change", "earlier_incident"
# What an entry beside a shown cause does: holds it, or says against it (``held_by``'s
# ``role``; an entry without one holds it).
SUPPORTS, CONTRADICTS = "supports", "contradicts"
# Why an entry says against a cause: a change it cites made after impact started (it cannot
# have started it), or an entry people marked a misleading path (❌: ruled out) that names it.
AFTER_IMPACT, RULED_OUT = "after_impact", "ruled_out"
# How a change made after impact started is said beside it (suspect_why), as warroom reads it.
MADE_AFTER = "made after impact started"
# What the message shows beside a cause, from the entries warroom found (``standing``):
# contradicted by an entry; held by two or more independent entries and none against it; by
# one. ``warroom ai eval --replay`` measures the share of causes shown at each that were right.
CONTRADICTED, SEVERAL, ONE = "contradicted", "several", "one"
STANDINGS = (SEVERAL, ONE, CONTRADICTED)
# What a cause may name that a ruled-out path names too (``_names``).
_IDENTIFIER = re.compile(
    r"\d+(?:\.\d+)+(?:[-.]\w+)*"  # a version
    r"|[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*[-.]?v?\d+(?:[-.][a-z0-9]+)*"  # gw-2.14.1, v2.3
    r"|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}"  # a commit
)


def beside_the_record(
    evidence: Mapping[str, Evidence],
    ranked: Sequence[Suspect],
    related: Sequence[Related],
    zone: tzinfo | None,
) -> dict[str, Evidence]:
    """The changes and the related incidents' causes as entries of their own, numbered after
    the record's (``E<n>``), the likeliest suspect first (``ranked``: bot/record/changes/
    suspects.py), each with its rank and why: the model cites them as it cites any."""
    numbers = [int(ref[1:]) for ref in evidence if ref[1:].isdigit()]
    number = max(numbers, default=0)
    found: dict[str, Evidence] = {}
    for rank, suspect in enumerate(ranked, start=1):
        change = suspect.change
        number += 1
        ref = entry_ref(number)
        said = f"{change.kind.replace('_', ' ')} of {change.service}: {change.summary}"
        found[ref] = Evidence(
            ref=ref,
            kind=CHANGE,
            at=change.at.astimezone(zone),
            author=change.who or change.source,
            text=f"{said} (suspect {rank} of {len(ranked)}: {suspect_why(suspect)})",
            people=frozenset(),
            link=change.link,
        )
    for each in related:
        if not each.cause:
            continue
        number += 1
        ref = entry_ref(number)
        found[ref] = Evidence(
            ref=ref,
            kind=EARLIER,
            at=each.incident.declared_at.astimezone(zone),
            author=each.incident.reference,
            text=f"root cause of {each.incident.reference} ({each.incident.title}): {each.cause}",
            people=frozenset(),
            link=None,
        )
    return found


def suspect_why(suspect: Suspect) -> str:
    """Why a change ranks where it does, as the model reads it beside the change (the
    people's message says it from templates/_suspects.j2)."""
    said = ["rolled back in the channel" if suspect.rolled_back else ""]
    said[0] = said[0] or ("named in the channel" if suspect.named else "")
    said.append(
        {OWN: "on the service", DEPENDENCY: "on a service it depends on"}.get(
            suspect.where, "on another service"
        )
    )
    minutes = suspect.minutes_before
    said.append(MADE_AFTER if minutes is None else f"{minutes} min before impact started")
    said.append(f"a {suspect.change.kind.replace('_', ' ')}")
    return ", ".join(each for each in said if each)


def fingerprint(evidence: Mapping[str, Evidence]) -> str:
    """What the record holds that may bear on a cause: the same entries (their references,
    kinds and words, the procedural ones aside) give the same fingerprint."""
    said = sorted(
        f"{each.ref}\t{each.kind}\t{each.text}"
        for each in evidence.values()
        if each.kind not in PROCEDURAL
    )
    return digest("\n".join(said))[:32]


def held_by(sentence: Sentence, evidence: Mapping[str, Evidence]) -> list[dict[str, Any]]:
    """The entries beside a cause, as data the message says (``{"ref", "kind", "at",
    "author", "text", "link", "role"}``): those that say against it (``contradicting``,
    ``role`` "contradicts", with ``why``), then the independent entries that hold it: those
    it cites that the checks kept and that do not say against it, each once for the same
    words by the same author (a message marked twice is one)."""
    against = contradicting(sentence, evidence)
    refused = {each["ref"] for each in against}
    seen: set[tuple[str | None, str]] = set()
    found = []
    for ref in sentence.cites:
        entry = evidence.get(ref)
        if entry is None or ref in refused or (entry.author, entry.text) in seen:
            continue
        seen.add((entry.author, entry.text))
        found.append(_said(entry, SUPPORTS))
    found.sort(key=lambda each: str(each["at"]))
    return [*against, *found]


def contradicting(sentence: Sentence, evidence: Mapping[str, Evidence]) -> list[dict[str, Any]]:
    """The entries that say against a cause, as warroom looks for them (never the model's
    word): a change the cause cites that was made after impact started (``after_impact``),
    and an entry people marked a misleading path (❌, ruled out) that the cause cites or
    that names what the cause names: a version, a commit or a change's identifier
    (``gw-2.14.1``; ``ruled_out``)."""
    found = []
    names = _names(sentence)
    for entry in sorted(evidence.values(), key=lambda each: (each.at, each.ref)):
        if entry.kind == CHANGE and entry.ref in sentence.cites and MADE_AFTER in entry.text:
            found.append({**_said(entry, CONTRADICTS), "why": AFTER_IMPACT})
        elif entry.kind == TimelineKind.MISLEADING and (
            entry.ref in sentence.cites or names & _words(entry.text)
        ):
            found.append({**_said(entry, CONTRADICTS), "why": RULED_OUT})
    return found


def standing(held: Sequence[Mapping[str, Any]]) -> str:
    """What the message shows beside a cause held by ``held`` (``held_by``): contradicted,
    held by several independent entries and none against it, or by one."""
    if any(each.get("role") == CONTRADICTS for each in held):
        return CONTRADICTED
    return SEVERAL if len(held) >= 2 else ONE


def _said(entry: Evidence, role: str) -> dict[str, Any]:
    return {
        "ref": entry.ref,
        "kind": entry.kind,
        "at": entry.at.isoformat(),
        "clock": f"{entry.at:%H:%M}",
        "author": entry.author,
        "text": entry.text[:200],
        "link": entry.link,
        "role": role,
    }


def _words(text: str) -> set[str]:
    """The words of ``text``, lower-cased, their punctuation at either end stripped."""
    return {word.strip(".,;:!?()[]\"'`“”‘’*_").lower() for word in text.split()} - {""}


def _names(sentence: Sentence) -> set[str]:
    """What a cause names that a ruled-out path may name too: its versions (``2.14.1``,
    ``2023.11.07-1``), identifiers with a digit (``gw-2.14.1``, ``v2.3``) and commits
    (``55e1a2b``); never a time, a count or a share."""
    return {word for word in _words(sentence.text) if _IDENTIFIER.fullmatch(word)}


@dataclass(frozen=True)
class Proposed:
    """What one request came to: the causes kept (each with the entries holding it), those
    left out with why, and why none is shown when none is (``failure``)."""

    kept: tuple[tuple[Sentence, list[dict[str, Any]]], ...] = ()
    refused: tuple[Unsupported, ...] = ()
    failure: Mapping[str, Any] | None = None


async def keep_request(
    session: AsyncSession,
    incident: Incident,
    *,
    key: str,
    model: str,
    at: datetime,
    outcome: str,
    print_: str,
    proposed: Proposed,
) -> tuple[CauseRequest, list[PossibleCause]]:
    """Keep one request and the causes it gave (the caller commits)."""
    request = CauseRequest(
        incident_id=incident.id or 0,
        key=key,
        model=model,
        asked_at=at,
        outcome=outcome,
        failure=dict(proposed.failure) if proposed.failure is not None else None,
        fingerprint=print_,
        refused=[
            {**left.sentence.kept(), "why": [dict(reason) for reason in left.why]}
            for left in proposed.refused
        ],
    )
    session.add(request)
    await session.flush()
    causes = [
        PossibleCause(
            request_id=request.id or 0,
            incident_id=incident.id or 0,
            text=sentence.text,
            cites=list(sentence.cites),
            held_by=holding,
            quote=dict(sentence.quote) if sentence.quote is not None else None,
            proposed_by=model,
        )
        for sentence, holding in proposed.kept
    ]
    session.add_all(causes)
    await session.flush()
    return request, causes


async def latest_request(session: AsyncSession, incident_id: int) -> CauseRequest | None:
    rows = await session.exec(
        select(CauseRequest)
        .where(CauseRequest.incident_id == incident_id)
        .order_by(col(CauseRequest.id).desc())
        .limit(1)
    )
    return rows.first()


async def causes_of(session: AsyncSession, request_id: int) -> list[PossibleCause]:
    rows = await session.exec(
        select(PossibleCause)
        .where(PossibleCause.request_id == request_id)
        .order_by(col(PossibleCause.id))
    )
    return list(rows.all())


async def cause_in(session: AsyncSession, incident_id: int, cause_id: int) -> PossibleCause | None:
    """The cause with that id, if it is one of the incident's."""
    cause = await session.get(PossibleCause, cause_id)
    return cause if cause is not None and cause.incident_id == incident_id else None


async def mark(
    session: AsyncSession, cause: PossibleCause, *, user: str, vote: int, at: datetime
) -> None:
    """``user``'s 👍 (1) or 👎 (-1) on ``cause``, replacing their earlier mark (the caller
    commits)."""
    assert vote in (1, -1)
    rows = await session.exec(
        select(CauseVote).where(CauseVote.cause_id == cause.id, CauseVote.user_id == user)
    )
    kept = rows.first()
    if kept is None:
        session.add(CauseVote(cause_id=cause.id or 0, user_id=user, vote=vote, at=at))
    else:
        kept.vote, kept.at = vote, at
        session.add(kept)
    await session.flush()


async def tallies(session: AsyncSession, cause_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Each cause's 👍 and 👎 counts, by id."""
    ids = list(cause_ids)
    found = dict.fromkeys(ids, (0, 0))
    if not ids:
        return found
    rows = await session.exec(
        select(CauseVote.cause_id, CauseVote.vote).where(col(CauseVote.cause_id).in_(ids))
    )
    for cause_id, vote in rows.all():
        up, down = found[cause_id]
        found[cause_id] = (up + (vote > 0), down + (vote < 0))
    return found
