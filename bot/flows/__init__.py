"""Flows: the steps of incident work across the record, Slack and pagers.

Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
Work that is due later (escalation timers, pages, reminders) is a job row; ``JOB_HANDLERS``
says which flow runs each kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.flows.alerts import (
    NOTICE_JOB,
    POST_JOB,
    PROCESS_JOB,
    WAR_ROOM_JOB,
    open_alert_war_room,
    post_alert_changes,
    post_to_route_channel,
    process_payload,
)
from bot.flows.changes import change_severity, change_status, give_role, post_update, set_lead
from bot.flows.channel import refresh_channel_header
from bot.flows.declare import ChannelNotCreated, Declaration, declare_incident
from bot.flows.escalation import (
    BRING_IN_JOB,
    ESCALATE_JOB,
    EscalationTarget,
    acknowledge,
    bring_in,
    escalate,
    run_escalation_timer,
)
from bot.flows.paging import PAGE_JOB, send_page
from bot.flows.postmortem import PUBLISH_JOB, publish_postmortem, write_draft
from bot.flows.reminders import REMINDER_JOB, remind_about_updates
from bot.flows.resolve import resolve_incident
from bot.scheduler import JobHandler

JOB_HANDLERS: Mapping[str, JobHandler] = MappingProxyType(
    {
        ESCALATE_JOB: run_escalation_timer,
        BRING_IN_JOB: bring_in,
        PAGE_JOB: send_page,
        REMINDER_JOB: remind_about_updates,
        PROCESS_JOB: process_payload,
        WAR_ROOM_JOB: open_alert_war_room,
        NOTICE_JOB: post_alert_changes,
        POST_JOB: post_to_route_channel,
        PUBLISH_JOB: publish_postmortem,
    }
)

__all__ = [
    "JOB_HANDLERS",
    "ChannelNotCreated",
    "Declaration",
    "EscalationTarget",
    "acknowledge",
    "change_severity",
    "change_status",
    "declare_incident",
    "escalate",
    "give_role",
    "post_update",
    "refresh_channel_header",
    "resolve_incident",
    "set_lead",
    "write_draft",
]
