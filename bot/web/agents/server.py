"""The Model Context Protocol server: one set of tools (the SDK's ``MCPServer``), served on
stdio as the operator (``warroom mcp``) and over streamable HTTP to tokens' holders (/mcp).
Each transport says who calls (``caller_of``); every call is logged with the caller's name,
never a token's value, and a token's calls are counted against its limit a minute."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.numbers import DATABASE_ID_MAX
from bot.record.agents.tokens import Caller, take_call
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import SEVERITIES, TimelineKind
from bot.web.agents.answers import (
    AlertDetailAnswer,
    AlertListAnswer,
    ChangeListAnswer,
    FindingAnswer,
    FollowUpsAnswer,
    IncidentAnswer,
    IncidentListAnswer,
    NoteAnswer,
    OncallAnswer,
    PostmortemAnswer,
    RelatedIncidentsAnswer,
    ServiceListAnswer,
    ShiftsAnswer,
    TimelineAnswer,
)
from bot.web.agents.handshake import INSTRUCTIONS, SERVER_NAME
from bot.web.agents.tools import PROPOSAL_MAX_SENTENCES, TIMELINE_PAGE_MAX, ToolRefused, Tools
from bot.web.agents.usage import Usage
from bot.web.api.models import AlertStateName, UrgencyName
from bot.web.filters import PER_PAGE_MAX, STATUSES, ReviewName

log = logging.getLogger(__name__)
AnswerT = TypeVar("AnswerT", bound=BaseModel)

_READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_PROPOSES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

Reference = Annotated[str, Field(description="The incident's reference, e.g. INC-7.")]
# The most items a list (or labels) argument takes, and the longest word in one: the work a
# call asks is bounded, and more is refused with a message naming the argument (the SDK's
# validation, answered as a tool error the agent reads: MCP's "Tool Execution Errors").
LIST_MAX = 20
Word = Annotated[str, Field(max_length=200)]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Section = Literal["summary", "underlying_issue", "resolution", "lessons"]
KINDS = tuple(kind.value for kind in TimelineKind)
Kind = Literal[KINDS]  # type: ignore[valid-type]


class ProposedSentence(BaseModel):
    """One sentence of a proposal and the record's entries it rests on."""

    text: Annotated[str, Field(min_length=1, max_length=600, description="The sentence.")]
    cites: Annotated[
        list[str],
        Field(
            min_length=1,
            max_length=20,
            description="The entries it rests on, as get_timeline names them (E42).",
        ),
    ]


class RateLimit:
    """At most ``per_minute`` calls in any 60 seconds for each token (the operator has none),
    counted in the database (``engine``), so replicas share each token's limit; ``clock``
    the application's."""

    def __init__(
        self, per_minute: int, engine: AsyncEngine | None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.per_minute = per_minute
        self._engine = engine
        self._clock = clock

    async def allow(self, caller: Caller) -> bool:
        if caller.operator:
            return True
        if self._engine is None:  # no database: nobody but the operator calls
            return False
        async with session_scope(self._engine) as session:
            taken = await take_call(
                session, caller.name, per_minute=self.per_minute, now=self._clock()
            )
            await session.commit()
        return taken


def build_server(
    tools: Tools,
    *,
    caller_of: Callable[[Context], Caller],
    limit: RateLimit,
    usage: Usage | None = None,
) -> MCPServer:
    """The server with every tool; ``caller_of`` says who calls (the operator on stdio, the
    token's holder over HTTP, as the bridge put it on the request); ``usage`` counts each
    token's calls."""
    server = MCPServer(name=SERVER_NAME, instructions=INSTRUCTIONS)
    call = _Gate(caller_of, limit, usage)
    # In this order: the tools are listed (and the manual says them) as they are added.
    _add_incident_tools(server, call, tools)
    _add_operations_tools(server, call, tools)
    _add_proposing_tools(server, call, tools)
    return server


@dataclass(frozen=True)
class _Gate:
    """Every tool's call: who calls, within their rate limit, counted, a refusal said as the
    tool's error."""

    caller_of: Callable[[Context], Caller]
    limit: RateLimit
    usage: Usage | None

    async def __call__(
        self,
        ctx: Context,
        tool: str,
        answer: type[AnswerT],
        work: Callable[[Caller], Awaitable[dict[str, Any]]],
    ) -> AnswerT:
        caller, limit, usage = self.caller_of(ctx), self.limit, self.usage
        if not await limit.allow(caller):
            log.warning(
                "mcp %s by %s refused: over %s a minute", tool, caller.name, limit.per_minute
            )
            raise ToolError(f"rate limit: at most {limit.per_minute} calls a minute per token")
        log.info("mcp %s by %s", tool, caller.name)
        if usage is not None:
            usage.count(caller, tool)
        try:
            return answer.model_validate(await work(caller))
        except ToolRefused as refusal:
            log.info("mcp %s by %s refused: %s", tool, caller.name, refusal)
            raise ToolError(str(refusal)) from None


def _add_incident_tools(server: MCPServer, call: _Gate, tools: Tools) -> None:
    """The incidents: listed, one, its record, its draft."""

    @server.tool(annotations=_READS)
    async def list_incidents(
        ctx: Context,
        status: Annotated[
            list[Status] | None, Field(max_length=LIST_MAX, description="Any of these statuses.")
        ] = None,
        severity: Annotated[
            list[Severity] | None, Field(max_length=LIST_MAX, description="Any of these.")
        ] = None,
        type: Annotated[
            list[Word] | None,
            Field(max_length=LIST_MAX, description="Any of these incident types."),
        ] = None,
        review: Annotated[
            list[ReviewName] | None,
            Field(
                max_length=LIST_MAX,
                description="Incidents whose postmortem is in any of these review states.",
            ),
        ] = None,
        service: Annotated[
            str | None,
            Field(description="Incidents whose custom field `service` has this value."),
        ] = None,
        since: Annotated[
            str | None, Field(description="Declared on or after this day (YYYY-MM-DD).")
        ] = None,
        until: Annotated[
            str | None, Field(description="Declared on or before this day (YYYY-MM-DD).")
        ] = None,
        page: Annotated[int, Field(ge=1)] = 1,
        per_page: Annotated[int, Field(ge=1, le=PER_PAGE_MAX)] = 25,
    ) -> IncidentListAnswer:
        """Incidents, newest first, a page at a time, as the web view's list filters them."""
        filters: dict[str, Any] = {
            "status": status,
            "severity": severity,
            "type": type,
            "review": review,
            "field.service": service,
            "from": since,
            "to": until,
            "page": page,
            "per_page": per_page,
        }
        return await call(
            ctx, "list_incidents", IncidentListAnswer, lambda c: tools.list_incidents(c, filters)
        )

    @server.tool(annotations=_READS)
    async def get_incident(ctx: Context, reference: Reference) -> IncidentAnswer:
        """One incident: its header, milestones, metrics as the draft computes them, roles,
        escalations, alerts, fields and follow-ups, and its draft's state."""
        return await call(
            ctx, "get_incident", IncidentAnswer, lambda c: tools.get_incident(c, reference)
        )

    @server.tool(annotations=_READS)
    async def get_timeline(
        ctx: Context,
        reference: Reference,
        kind: Annotated[
            list[Kind] | None,
            Field(
                max_length=LIST_MAX,
                description="Only entries of these kinds (root_cause, mitigation, key_event…).",
            ),
        ] = None,
        page: Annotated[int, Field(ge=1)] = 1,
        per_page: Annotated[int, Field(ge=1, le=TIMELINE_PAGE_MAX)] = 50,
    ) -> TimelineAnswer:
        """The incident's record, oldest first, each entry with the reference (E42) a
        proposal cites it by, its time, author, words and Slack link."""
        return await call(
            ctx,
            "get_timeline",
            TimelineAnswer,
            lambda c: tools.get_timeline(
                c, reference, kinds=kind or [], page=page, per_page=per_page
            ),
        )

    @server.tool(annotations=_READS)
    async def get_postmortem(ctx: Context, reference: Reference) -> PostmortemAnswer:
        """The postmortem draft as it stands (Markdown), its gaps, its review state (draft,
        in_review, published: who moved it there, when), and each written section: written
        by whom, suggested (by the model or an agent, not yet accepted), or a gap."""
        return await call(
            ctx, "get_postmortem", PostmortemAnswer, lambda c: tools.get_postmortem(c, reference)
        )


def _add_operations_tools(server: MCPServer, call: _Gate, tools: Tools) -> None:
    """On call, follow-ups, alerts, services and changes: what operations read."""

    @server.tool(annotations=_READS)
    async def who_is_on_call(
        ctx: Context,
        schedule: Annotated[str | None, Field(description="One schedule; default: all.")] = None,
        at: Annotated[
            str | None, Field(description="ISO 8601 with its offset; default: now.")
        ] = None,
    ) -> OncallAnswer:
        """Who is on call at a time, and who is next, for each schedule."""
        return await call(
            ctx,
            "who_is_on_call",
            OncallAnswer,
            lambda c: tools.who_is_on_call(c, schedule=schedule, at=at),
        )

    @server.tool(annotations=_READS)
    async def get_schedule(
        ctx: Context,
        schedule: Annotated[str, Field(description="The schedule's name.")],
        start: Annotated[
            str | None, Field(description="ISO 8601 with its offset; default: now.")
        ] = None,
        end: Annotated[
            str | None,
            Field(description="ISO 8601 with its offset; default: 14 days after start."),
        ] = None,
    ) -> ShiftsAnswer:
        """A schedule's final shifts (layers, overrides and swaps applied) between two times."""
        return await call(
            ctx,
            "get_schedule",
            ShiftsAnswer,
            lambda c: tools.get_schedule(c, schedule=schedule, start=start, end=end),
        )

    @server.tool(annotations=_READS)
    async def list_follow_ups(
        ctx: Context,
        owner: Annotated[str | None, Field(description="Only this Slack user id's.")] = None,
        overdue: Annotated[bool, Field(description="Only those past their due date.")] = False,
    ) -> FollowUpsAnswer:
        """Follow-ups not done yet, soonest due first, with their incident."""
        return await call(
            ctx,
            "list_follow_ups",
            FollowUpsAnswer,
            lambda c: tools.list_follow_ups(c, owner=owner, overdue_only=overdue),
        )

    @server.tool(annotations=_READS)
    async def list_alerts(
        ctx: Context,
        route: Annotated[Word | None, Field(description="Only this route's alerts.")] = None,
        service: Annotated[Word | None, Field(description="Only this service's alerts.")] = None,
        state: Annotated[
            AlertStateName | None, Field(description="Only alerts in this state.")
        ] = None,
        urgency: Annotated[
            UrgencyName | None, Field(description="Only alerts of this urgency.")
        ] = None,
        paged: Annotated[
            Word | None, Field(description="Only alerts paged to this Slack user id.")
        ] = None,
    ) -> AlertListAnswer:
        """Alerts that page without an incident: the open ones (latest first), then the 50
        latest resolved, each with its urgency, state, count, who acknowledged, the incident
        it was declared as or attached to, and its link."""
        return await call(
            ctx,
            "list_alerts",
            AlertListAnswer,
            lambda c: tools.list_alerts(
                c, route=route, service=service, state=state, urgency=urgency, paged=paged
            ),
        )

    @server.tool(annotations=_READS)
    async def list_services(ctx: Context) -> ServiceListAnswer:
        """The services (WARROOM_SERVICES): each one's owners, escalation policy, urgency,
        runbook, channel, what it depends on and what depends on it, its open alerts and
        open incidents (private ones this token may not see are not counted), and its link."""
        return await call(ctx, "list_services", ServiceListAnswer, tools.list_services)

    @server.tool(annotations=_READS)
    async def list_changes(
        ctx: Context,
        service: Annotated[
            Word | None, Field(description="Only this service's changes (default: all).")
        ] = None,
        since: Annotated[
            str, Field(max_length=20, description="How far back: 90m, 24h, 7d (at most 90d).")
        ] = "24h",
    ) -> ChangeListAnswer:
        """What changed on the services (deploys, feature flags, configuration,
        infrastructure, databases), newest first, at most 200: each change's kind, who made
        it, when, what, its link and where it came from (PagerDuty, GitHub, the API)."""
        return await call(
            ctx,
            "list_changes",
            ChangeListAnswer,
            lambda c: tools.list_changes(c, service=service, since=since),
        )

    @server.tool(annotations=_READS)
    async def get_alert(
        ctx: Context,
        alert: Annotated[int, Field(ge=1, le=DATABASE_ID_MAX, description="The alert's id.")],
    ) -> AlertDetailAnswer:
        """One alert: its header, runbook and labels, and its history: each page (person,
        level) and notification (method, provider, delivery state and time)."""
        return await call(ctx, "get_alert", AlertDetailAnswer, lambda c: tools.get_alert(c, alert))


def _add_proposing_tools(server: MCPServer, call: _Gate, tools: Tools) -> None:
    """Earlier incidents related, and what an agent proposes to the draft and the timeline."""

    @server.tool(annotations=_READS)
    async def related_incidents(
        ctx: Context,
        reference: Annotated[
            str | None, Field(description="The incident whose earlier relatives are asked for.")
        ] = None,
        services: Annotated[
            list[Word] | None,
            Field(max_length=LIST_MAX, description="Services or components (custom fields)."),
        ] = None,
        alert_names: Annotated[
            list[Word] | None, Field(max_length=LIST_MAX, description="Alert names.")
        ] = None,
        labels: Annotated[
            dict[Word, Word] | None,
            Field(
                max_length=LIST_MAX,
                description="Alert labels (service, component, app, job, namespace).",
            ),
        ] = None,
    ) -> RelatedIncidentsAnswer:
        """Earlier incidents sharing the incident's service, components, alert names or
        labels (or those given), most shared first, each with why, its root cause and its
        open follow-ups. Deterministic: the same record gives the same answer."""
        return await call(
            ctx,
            "related_incidents",
            RelatedIncidentsAnswer,
            lambda c: tools.related_incidents(
                c,
                reference=reference,
                services=services or [],
                alert_names=alert_names or [],
                labels=labels or {},
            ),
        )

    @server.tool(annotations=_PROPOSES)
    async def propose_finding(
        ctx: Context,
        reference: Reference,
        section: Annotated[Section, Field(description="The draft's written section.")],
        sentences: Annotated[
            list[ProposedSentence],
            Field(min_length=1, max_length=PROPOSAL_MAX_SENTENCES),
        ],
    ) -> FindingAnswer:
        """Propose sentences for a section of the postmortem draft, each citing the entries
        it rests on. Each goes through the checks the team's model's suggestions get; those
        kept become a suggestion "Proposed by" this token's name that a person accepts or
        edits in Slack or the web view, and those refused come back with why."""
        said = [(each.text, each.cites) for each in sentences]
        return await call(
            ctx,
            "propose_finding",
            FindingAnswer,
            lambda c: tools.propose_finding(c, reference, section=section, sentences=said),
        )

    @server.tool(annotations=_PROPOSES)
    async def propose_timeline_note(
        ctx: Context,
        reference: Reference,
        text: Annotated[
            str, Field(min_length=1, max_length=600, description="What happened, one sentence.")
        ],
        at: Annotated[
            str,
            Field(description="When it happened: ISO 8601 with its offset, not in the future."),
        ],
        cites: Annotated[
            list[str],
            Field(
                min_length=1,
                max_length=20,
                description="The entries it is based on, as get_timeline names them (E42).",
            ),
        ],
    ) -> NoteAnswer:
        """Propose a timeline entry at a time, citing the entries it is based on. Its text
        goes through the checks a finding's sentences get; kept, it is shown in the incident's
        channel and on its page as "Proposed by" this token's name until a person accepts it
        with one click; refused, each reason comes back in the draft's words. It changes
        nothing else of the incident."""
        return await call(
            ctx,
            "propose_timeline_note",
            NoteAnswer,
            lambda c: tools.propose_timeline_note(c, reference, text=text, at=at, cites=cites),
        )


async def tool_reference(server: MCPServer) -> str:
    """Each tool the server lists, its description and its input and output schemas, as the
    manual shows them (docs/agents.md; tests/agents/test_agents_manual.py keeps them equal)."""
    parts = []
    for tool in await server.list_tools():
        hints = tool.annotations
        kind = "reads" if hints is not None and hints.read_only_hint else "proposes"
        parts.append(
            "\n".join(
                [
                    f"### `{tool.name}`",
                    "",
                    f"{' '.join((tool.description or '').split())} ({kind})",
                    "",
                    "Input:",
                    "",
                    "```json",
                    json.dumps(tool.input_schema, indent=2, sort_keys=True),
                    "```",
                    "",
                    "Output:",
                    "",
                    "```json",
                    json.dumps(tool.output_schema, indent=2, sort_keys=True),
                    "```",
                ]
            )
        )
    return "\n\n".join(parts) + "\n"
