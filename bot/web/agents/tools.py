"""What the agents' tools answer, for any caller (a token's holder over /mcp, the operator on
stdio): the API's and the web view's readers (bot/web/incident/api.py, bot/web/reading.py,
the on-call readers, the draft builder) with the caller's visibility, answered as JSON whose
times are ISO 8601 in the incident's zone and whose incidents link to the web view and to Slack.

A caller without the ``private`` scope sees public incidents only; an incident it may not see
and one that does not exist are refused in the same words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from multidict import MultiDict
from pydantic import BaseModel

from bot.basics.link_hosts import shown_link
from bot.basics.render import readable
from bot.basics.slack_links import channel_link
from bot.basics.slack_text import SlackText
from bot.flows.incident.proposed_notes import propose_note
from bot.flows.postmortem.suggestions import (
    check_proposal,
    citable_record,
    own_hosts,
    reasons_said,
)
from bot.record.agents.tokens import Caller
from bot.record.incident import related
from bot.record.incident.queries import latest_team
from bot.record.people import known_names
from bot.record.postmortem.draft_format import zone_named
from bot.record.postmortem.suggestions import SECTIONS, Sentence
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.alerting.api import AlertAsked, alert_detail, alert_filters, alert_list
from bot.web.alerting.services import service_list
from bot.web.changes.pages import BadWindow, change_list
from bot.web.context import WebContext
from bot.web.filters import FilterError, parse_filters
from bot.web.incident.api import incident_answer, incident_list, people_of, postmortem_review
from bot.web.oncall.api import WindowRefused, oncall_board, oncall_shifts, parse_window
from bot.web.oncall.reading import schedule_for
from bot.web.reading import NotVisible, incident_draft, incident_for, open_follow_ups_for
from bot.web.visibility import Viewer

# Why a change's link is not given (in Slack's and the web view's words).
LINK_REFUSED = "agents/link_refused.j2"
NOT_FOUND = "reference: no incident {reference} that this token may see"
# A page of the timeline: at most this many entries.
TIMELINE_PAGE_MAX = 200
# A proposal: at most this many sentences (a section's suggestion keeps 12 at most anyway).
PROPOSAL_MAX_SENTENCES = 12


NO_SCHEDULES = (
    "no schedules are configured: WARROOM_ONCALL_SCHEDULES names none (set it where warroom "
    "runs, `warroom mcp` included)"
)


class ToolRefused(ValueError):
    """A call that cannot be answered: the message names the argument and says why."""


@dataclass(frozen=True)
class Tools:
    """The tools' answers for one application (its settings, services and visibility)."""

    web: WebContext

    # -- who -----------------------------------------------------------------------------
    async def viewer(self, caller: Caller) -> Viewer:
        """How the web view's visibility sees the caller: everything with the ``private``
        scope, else the workspace's public incidents (no Slack user: no private channel)."""
        team = self.web.services.slack.known_team_id
        if not team:
            async with session_scope(self.web.services.engine) as session:
                team = await latest_team(session) or ""
        return Viewer(None, caller.name, team, sees_everything=caller.private)

    async def incident(self, caller: Caller, reference: str) -> Incident:
        viewer = await self.viewer(caller)
        try:
            return await incident_for(self.web, viewer, viewer.team_id or "", reference)
        except NotVisible:
            raise ToolRefused(NOT_FOUND.format(reference=reference[:40])) from None

    # -- reading -------------------------------------------------------------------------
    async def list_incidents(
        self, caller: Caller, filters: Mapping[str, Sequence[str] | str | int | None]
    ) -> dict[str, Any]:
        viewer = await self.viewer(caller)
        query_string: MultiDict[str] = MultiDict()
        for name, value in filters.items():
            if value is None:
                continue
            for each in [value] if isinstance(value, str | int) else value:
                query_string.add(name, str(each))
        try:
            query = parse_filters(
                query_string,
                zone=self.web.settings.incidents.timezone,
                team_id=viewer.team_id,
                types=self.web.settings.incidents.types,
            )
        except FilterError as error:
            raise ToolRefused(str(error)) from None
        listed = await incident_list(self.web, viewer, query)
        items = [
            self._linked(_in_zone(item, zone_named(item.timezone)), item.reference)
            for item in listed.items
        ]
        answer = _in_zone(listed, None)
        answer["items"] = items
        return answer

    async def get_incident(self, caller: Caller, reference: str) -> dict[str, Any]:
        incident = await self.incident(caller, reference)
        detail = await incident_answer(self.web, incident, incident.id or 0)
        return self._linked(_in_zone(detail, zone_named(incident.timezone)), incident.reference)

    async def get_timeline(
        self, caller: Caller, reference: str, *, kinds: Sequence[str], page: int, per_page: int
    ) -> dict[str, Any]:
        """The record's entries as the model reads them and a proposal cites them (``E42``),
        oldest first, by kind when asked."""
        incident = await self.incident(caller, reference)
        if page < 1:
            raise ToolRefused("page: 1 or more")
        if not 1 <= per_page <= TIMELINE_PAGE_MAX:
            raise ToolRefused(f"per_page: from 1 to {TIMELINE_PAGE_MAX}")
        _, evidence = await citable_record(self.web.services, incident.id or 0)
        wanted = {kind.strip().lower() for kind in kinds if kind.strip()}
        entries = [each for each in evidence.values() if not wanted or each.kind in wanted]
        shown = entries[(page - 1) * per_page : page * per_page]
        return {
            "reference": incident.reference,
            "timezone": incident.timezone,
            "total": len(entries),
            "page": page,
            "per_page": per_page,
            "pages": max(1, -(-len(entries) // per_page)),
            "entries": [
                {
                    "ref": each.ref,
                    "kind": each.kind,
                    "at": each.at.isoformat(),
                    "author": each.author,
                    "text": each.text,
                    "link": each.link,
                }
                for each in shown
            ],
        }

    async def get_postmortem(self, caller: Caller, reference: str) -> dict[str, Any]:
        incident = await self.incident(caller, reference)
        written = await incident_draft(self.web, incident.id or 0)
        async with session_scope(self.web.services.engine) as session:
            names = await known_names(session, people_of(incident))
        zone = zone_named(incident.timezone)
        draft = written.draft
        sections = []
        for slot in draft.slots:
            saved = draft.written.get(slot.key)
            suggested = draft.suggestions.get(slot.key)
            sections.append(
                {
                    "key": slot.key,
                    "prompt": slot.prompt,
                    "text": saved.text if saved is not None else None,
                    "author": saved.author if saved is not None else None,
                    "state": "written"
                    if saved is not None
                    else ("suggested" if suggested is not None else "gap"),
                    "suggestion": {
                        "id": suggested.id,
                        "by": suggested.model,
                        "made_at": _moment(suggested.made_at, zone),
                        "text": suggested.plain,
                        "meaning": suggested.meaning,
                        "left_out": [
                            {"text": left.get("text"), "why": left.get("why", [])}
                            for left in suggested.unsupported
                        ],
                    }
                    if suggested is not None
                    else None,
                }
            )
        return self._linked(
            {
                "reference": incident.reference,
                "markdown": written.markdown,
                "gaps": written.gaps,
                "review": _in_zone(postmortem_review(incident, names), zone),
                "sections": sections,
            },
            incident.reference,
        )

    async def who_is_on_call(
        self, caller: Caller, *, schedule: str | None, at: str | None
    ) -> dict[str, Any]:
        viewer = await self.viewer(caller)
        self._require_schedules()
        now = self.web.services.clock()
        try:
            moment, _ = parse_window(at, None, now=now) if at else (now, now)
        except WindowRefused as refusal:
            raise ToolRefused(str(refusal).replace("from:", "at:", 1)) from None
        board = await oncall_board(self.web, viewer, moment)
        items = board.items
        if schedule is not None:
            items = [i for i in items if i.schedule.lower() == schedule.lower()]
            if not items:
                raise ToolRefused(f"schedule: there is no schedule called {schedule[:80]!r}")
        answer = _in_zone(board, None)
        answer["items"] = [_in_zone(i, zone_named(i.timezone)) for i in items]
        return answer

    def _require_schedules(self) -> None:
        """An empty answer would read as "nobody is on call": say what is missing instead."""
        if not self.web.settings.oncall.schedules.by_name:
            raise ToolRefused(NO_SCHEDULES)

    async def get_schedule(
        self, caller: Caller, *, schedule: str, start: str | None, end: str | None
    ) -> dict[str, Any]:
        viewer = await self.viewer(caller)
        self._require_schedules()
        found = await schedule_for(self.web, viewer, schedule)
        if found is None:
            raise ToolRefused(f"schedule: there is no schedule called {schedule[:80]!r}")
        try:
            since, until = parse_window(start, end, now=self.web.services.clock())
        except WindowRefused as refusal:
            said = str(refusal).replace("from:", "start:", 1).replace("to:", "end:", 1)
            raise ToolRefused(said) from None
        return _in_zone(
            await oncall_shifts(self.web, found, since, until), zone_named(found.timezone)
        )

    async def list_follow_ups(
        self, caller: Caller, *, owner: str | None, overdue_only: bool
    ) -> dict[str, Any]:
        viewer = await self.viewer(caller)
        rows = await open_follow_ups_for(self.web, viewer, viewer.team_id or "")
        now = self.web.services.clock()
        items = []
        for row in rows:
            if owner is not None and row.item.owner != owner:
                continue
            if overdue_only and not row.overdue(now):
                continue
            zone = zone_named(row.incident.timezone)
            items.append(
                self._linked(
                    {
                        "text": row.item.text,
                        "owner": row.item.owner,
                        "due_at": _moment(row.item.due_at, zone),
                        "overdue": row.overdue(now),
                        "incident": row.incident.reference,
                        "incident_title": row.incident.title,
                    },
                    row.incident.reference,
                    row.incident,
                )
            )
        return {"at": _moment(now, None), "items": items}

    async def list_alerts(
        self,
        caller: Caller,
        *,
        route: str | None,
        state: str | None,
        paged: str | None,
        urgency: str | None = None,
        service: str | None = None,
    ) -> dict[str, Any]:
        """The alerts of page routes: the open ones, then the latest resolved."""
        asked = {
            "route": route or "",
            "service": service or "",
            "state": state or "",
            "urgency": urgency or "",
            "paged": paged or "",
        }
        try:
            filters = alert_filters(asked)
        except AlertAsked as refused:
            raise ToolRefused(str(refused)) from None
        listed = await alert_list(self.web, await self.viewer(caller), filters)
        zone = zone_named(self.web.settings.incidents.timezone)
        answer = _in_zone(listed, zone)
        for item in (*answer["open"], *answer["resolved"]):
            item["web_url"] = self._alert_url(item["id"])
        return answer

    async def get_alert(self, caller: Caller, alert: int) -> dict[str, Any]:
        """One alert with its pages and their notifications."""
        try:
            detail = await alert_detail(self.web, await self.viewer(caller), str(alert))
        except AlertAsked as refused:
            raise ToolRefused(str(refused)) from None
        answer = _in_zone(detail, zone_named(self.web.settings.incidents.timezone))
        answer["web_url"] = self._alert_url(alert)
        return answer

    async def list_services(self, caller: Caller) -> dict[str, Any]:
        """The services, with what is open on each."""
        viewer = await self.viewer(caller)
        listed = await service_list(self.web, viewer, viewer.team_id or "")
        answer = _in_zone(listed, zone_named(self.web.settings.incidents.timezone))
        base = self.web.settings.web.public_url.rstrip("/")
        for item in answer["services"]:
            item["web_url"] = f"{base}{item['url']}"
        return answer

    async def list_changes(
        self, caller: Caller, *, service: str | None, since: str
    ) -> dict[str, Any]:
        """What changed on a service (or every one) in the window back from now."""
        viewer = await self.viewer(caller)
        try:
            listed = await change_list(self.web, viewer, [service] if service else None, since)
        except BadWindow as refused:
            raise ToolRefused(str(refused)) from None
        answer = _in_zone(listed, zone_named(self.web.settings.incidents.timezone))
        own = own_hosts(self.web.services)
        for item in answer["changes"]:
            item.update(self._link_shown(item["link"], own))
        return answer

    def _link_shown(self, url: str | None, own: Sequence[str]) -> dict[str, str | None]:
        """A change's link as an agent may pass it on to a reader: as Slack and the pages
        show it (an agent's words reach people), a look-alike of the workspace's own host
        refused in their words."""
        if not url:
            return {"link": None, "link_host": None, "link_refused": None}
        link = shown_link(url, own)
        refused = (
            None if link.url else self.web.services.renderer.render_plain(LINK_REFUSED, link=link)
        )
        return {"link": link.url, "link_host": link.host or None, "link_refused": refused}

    def _alert_url(self, alert: int) -> str:
        return f"{self.web.settings.web.public_url.rstrip('/')}/alerts/{alert}"

    async def related_incidents(
        self,
        caller: Caller,
        *,
        reference: str | None,
        services: Sequence[str],
        alert_names: Sequence[str],
        labels: Mapping[str, str],
    ) -> dict[str, Any]:
        """Earlier incidents sharing the incident's service, components, alert names or
        labels (or those given), each with why, its root cause and its open follow-ups."""
        viewer = await self.viewer(caller)
        incident = await self.incident(caller, reference) if reference else None
        async with session_scope(self.web.services.engine) as session:
            traits = await related.traits_of(session, incident.id or 0) if incident else None
            traits = related.Traits(
                (traits.fields if traits else frozenset())
                | {(name, s) for s in services for name in related.RELATED_FIELDS},
                (traits.alert_names if traits else frozenset()) | set(alert_names),
                (traits.labels if traits else frozenset()) | related.label_pairs(labels),
            )
            found = await related.related_to(
                session,
                traits,
                team_id=incident.team_id if incident else viewer.team_id or "",
                before=incident,
                public_only=not caller.private,
            )
        items = []
        for each in found:
            zone = zone_named(each.incident.timezone)
            items.append(
                self._linked(
                    {
                        "reference": each.incident.reference,
                        "title": each.incident.title,
                        "severity": each.incident.severity,
                        "status": each.incident.status,
                        "declared_at": _moment(each.incident.declared_at, zone),
                        "why": each.why,
                        "cause": readable(SlackText(each.cause), {}) if each.cause else None,
                        "open_follow_ups": [
                            readable(SlackText(text), {}) for text in each.open_follow_ups
                        ],
                    },
                    each.incident.reference,
                    each.incident,
                )
            )
        return {
            "reference": incident.reference if incident else None,
            "related_by": {
                "fields": sorted(map(list, traits.fields)),
                "alert_names": sorted(traits.alert_names),
                "labels": sorted(map(list, traits.labels)),
            },
            "items": items,
        }

    # -- proposing -----------------------------------------------------------------------
    async def propose_finding(
        self,
        caller: Caller,
        reference: str,
        *,
        section: str,
        sentences: Sequence[tuple[str, Sequence[str]]],
    ) -> dict[str, Any]:
        """The sentences through the model's checks, kept as a suggestion "proposed by" the
        caller; what was kept and what was refused, with why."""
        if not caller.may_propose:
            raise ToolRefused("this token's scope is read: propose_finding takes propose")
        if section not in SECTIONS:
            raise ToolRefused(f"section: one of {', '.join(SECTIONS)}")
        if not 1 <= len(sentences) <= PROPOSAL_MAX_SENTENCES:
            raise ToolRefused(f"sentences: from 1 to {PROPOSAL_MAX_SENTENCES}")
        incident = await self.incident(caller, reference)
        answer = {
            section: [
                Sentence(text=text.strip(), cites=tuple(c.strip() for c in cites))
                for text, cites in sentences
            ]
        }
        asked = await check_proposal(self.web.services, incident.id or 0, answer, by=caller.name)
        checked = asked.checked.get(section)
        kept = checked.kept if checked is not None else ()
        left_out = checked.unsupported if checked is not None else ()
        return self._linked(
            {
                "reference": incident.reference,
                "section": section,
                "proposed_by": caller.name,
                "kept": [
                    {
                        "text": s.text,
                        "cites": list(s.cites),
                        "meaning": dict(s.meaning) if s.meaning is not None else None,
                    }
                    for s in kept
                ],
                "refused": [
                    {
                        "text": left.sentence.text,
                        "cites": list(left.sentence.cites),
                        "why": [
                            {**dict(reason), "because": because}
                            for reason, because in zip(
                                left.why,
                                reasons_said(self.web.services, incident, [left]),
                                strict=True,
                            )
                        ],
                    }
                    for left in left_out
                ],
                "shown_in_channel": bool(kept) and bool(incident.channel_id),
            },
            incident.reference,
        )

    async def propose_timeline_note(
        self, caller: Caller, reference: str, *, text: str, at: str, cites: Sequence[str]
    ) -> dict[str, Any]:
        """A timeline entry proposed at ``at``, its text through the checks a finding's
        sentences get: shown for a person to accept, or refused with why."""
        if not caller.may_propose:
            raise ToolRefused("this token's scope is read: propose_timeline_note takes propose")
        incident = await self.incident(caller, reference)
        moment = _aware_moment(at, now=self.web.services.clock())
        outcome = await propose_note(
            self.web.services, incident.id or 0, text=text, at=moment, cites=cites, by=caller.name
        )
        note = outcome.note
        zone = zone_named(incident.timezone)
        return self._linked(
            {
                "reference": incident.reference,
                "proposed_by": caller.name,
                "state": "proposed" if note is not None else "refused",
                "note": {
                    "id": note.id or 0,
                    "text": note.text,
                    "at": _moment(note.occurred_at, zone),
                    "cites": list(note.cites),
                    "meaning": note.meaning,
                }
                if note is not None
                else None,
                "refused": [
                    {**dict(why), "because": because}
                    for why, because in zip(outcome.why, outcome.said, strict=True)
                ],
                "shown_in_channel": note is not None and bool(incident.channel_id),
            },
            incident.reference,
        )

    # -- links ---------------------------------------------------------------------------
    def _linked(
        self, answer: dict[str, Any], reference: str, incident: Incident | None = None
    ) -> dict[str, Any]:
        """``web_url``: the incident's page (absolute with WARROOM_PUBLIC_URL); ``slack_url``:
        its channel, when it has one."""
        base = self.web.settings.web.public_url.rstrip("/")
        answer["web_url"] = f"{base}/incidents/{reference}"
        channel = answer.get("channel") or (
            {"id": incident.channel_id} if incident is not None and incident.channel_id else None
        )
        team = incident.team_id if incident is not None else self.web.services.slack.known_team_id
        if isinstance(channel, dict) and channel.get("id"):
            answer["slack_url"] = channel_link(None, team or "", channel["id"])
        return answer


def _aware_moment(at: str, *, now: datetime) -> datetime:
    """``at`` as an aware moment: ISO 8601 with its offset, not after ``now``."""
    try:
        moment = datetime.fromisoformat(at.strip())
    except ValueError:
        raise ToolRefused(f"at: {at[:40]!r} is not ISO 8601 (2026-03-14T03:50:00+01:00)") from None
    if moment.tzinfo is None:
        raise ToolRefused("at: give its offset (2026-03-14T03:50:00+01:00, or Z for UTC)")
    if moment > now:
        raise ToolRefused("at: in the future; a timeline holds what happened")
    return moment.astimezone(UTC)


def _moment(moment: datetime | None, zone: tzinfo | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat() if zone is not None else moment.isoformat()


def _in_zone(model: BaseModel | Mapping[str, Any], zone: tzinfo | None) -> dict[str, Any]:
    """The answer as JSON, every time ISO 8601 in ``zone`` (UTC when None)."""
    data = model.model_dump(mode="python") if isinstance(model, BaseModel) else dict(model)

    def shown(value: Any) -> Any:
        if isinstance(value, datetime):
            return _moment(value, zone)
        if isinstance(value, Mapping):
            return {str(k): shown(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [shown(v) for v in value]
        return value

    result: dict[str, Any] = json.loads(json.dumps(shown(data), default=str))
    return result
