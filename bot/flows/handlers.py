"""Which flow runs each kind of job: the job runner's table, and what ``/metrics`` counts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.clients.slack_pacing import BACKGROUND, URGENT
from bot.flows.alert_intake import (
    NOTICE_JOB,
    POST_JOB,
    PROCESS_JOB,
    WAR_ROOM_JOB,
    open_alert_war_room,
    post_alert_changes,
    post_to_route_channel,
    process_payload,
)
from bot.flows.escalation.escalate import (
    BRING_IN_JOB,
    ESCALATE_JOB,
    bring_in,
    run_escalation_timer,
)
from bot.flows.filing import FILE_JOB, send_issue
from bot.flows.oncall.handoffs import (
    post_gaps,
    run_handoff,
    say_group_refused,
    say_guest_shift,
    send_notice,
)
from bot.flows.oncall.ical_feeds import ICAL_JOB, refresh_ical_layer
from bot.flows.paging.pagerduty_events import PAGE_JOB, send_page
from bot.flows.postmortem_posting import PUBLISH_JOB, publish_postmortem
from bot.flows.recorder import FETCH_REACTED_JOB, apply_fetched_reaction
from bot.flows.reminders import (
    REMINDER_JOB,
    ROLE_REMINDER_JOB,
    remind_about_roles,
    remind_about_updates,
)
from bot.flows.scheduler import JobHandler, Lane
from bot.flows.status_page.publishing import announce_status_change, sync_statuspage
from bot.flows.workflows.actions import run_action, run_timer, run_webhook
from bot.record.oncall.work import (
    GAPS_JOB,
    GROUP_REFUSED_JOB,
    GUEST_SHIFT_JOB,
    HANDOFF_JOB,
    SHIFT_NOTICE_JOB,
)
from bot.record.status_page.publications import ANNOUNCEMENT_JOB, STATUSPAGE_JOB
from bot.record.workflows.runs import ACTION_JOB, TIMER_JOB, WEBHOOK_JOB

JOB_HANDLERS: Mapping[str, JobHandler] = MappingProxyType(
    {
        ESCALATE_JOB: run_escalation_timer,
        BRING_IN_JOB: bring_in,
        PAGE_JOB: send_page,
        REMINDER_JOB: remind_about_updates,
        ROLE_REMINDER_JOB: remind_about_roles,
        PROCESS_JOB: process_payload,
        WAR_ROOM_JOB: open_alert_war_room,
        NOTICE_JOB: post_alert_changes,
        POST_JOB: post_to_route_channel,
        PUBLISH_JOB: publish_postmortem,
        FILE_JOB: send_issue,
        STATUSPAGE_JOB: sync_statuspage,
        ANNOUNCEMENT_JOB: announce_status_change,
        FETCH_REACTED_JOB: apply_fetched_reaction,
        HANDOFF_JOB: run_handoff,
        SHIFT_NOTICE_JOB: send_notice,
        GAPS_JOB: post_gaps,
        GROUP_REFUSED_JOB: say_group_refused,
        GUEST_SHIFT_JOB: say_guest_shift,
        ICAL_JOB: refresh_ical_layer,
        ACTION_JOB: run_action,
        WEBHOOK_JOB: run_webhook,
        TIMER_JOB: run_timer,
    }
)
# Kinds whose handlers may stop at any Slack call and be run again from the start: they pick
# up where they stopped (a channel is made once, alert changes are taken once and restored
# when a post fails, writes wait in the outbox, a fetched message and its reaction are kept
# once; on-call handoffs plan under unique keys and set the user group only when it differs,
# their notices and gap posts are kept once in the outbox). Rate-limited, they give their
# place to other jobs instead of waiting. The others (pages, escalations: a page must not go
# out twice) wait at Slack's gate inside the job, holding one of the runner's slots.
YIELDING_JOBS = frozenset(
    {
        PROCESS_JOB,
        WAR_ROOM_JOB,
        NOTICE_JOB,
        POST_JOB,
        FETCH_REACTED_JOB,
        HANDOFF_JOB,
        SHIFT_NOTICE_JOB,
        GAPS_JOB,
        GROUP_REFUSED_JOB,
        GUEST_SHIFT_JOB,
    }
)
# Where each kind's Slack calls wait in the pace of Slack's limits
# (bot/clients/slack_pacing.py): what opens a war room and brings people in first, alert
# summaries, notices and gap posts last; the rest in between.
JOB_PRIORITIES = MappingProxyType(
    {
        WAR_ROOM_JOB: URGENT,
        ESCALATE_JOB: URGENT,
        BRING_IN_JOB: URGENT,
        NOTICE_JOB: BACKGROUND,
        POST_JOB: BACKGROUND,
        SHIFT_NOTICE_JOB: BACKGROUND,
        GAPS_JOB: BACKGROUND,
        GUEST_SHIFT_JOB: BACKGROUND,
    }
)
# Lanes by what their jobs wait on: escalations, pages and reminders never wait behind a
# tracker that does not answer (WARROOM_TRACKER_TIMEOUT per try), canvas edits at Slack's
# canvas limit, Statuspage, an iCal layer's calendar feed, or alert work (the Slack lane:
# WARROOM_JOB_CONCURRENCY slots).
JOB_LANES = (
    Lane(
        "paging", frozenset({ESCALATE_JOB, BRING_IN_JOB, PAGE_JOB, REMINDER_JOB, ROLE_REMINDER_JOB})
    ),
    Lane("trackers", frozenset({FILE_JOB}), apart=True),
    Lane("postmortems", frozenset({PUBLISH_JOB}), apart=True),
    Lane("statuspage", frozenset({STATUSPAGE_JOB}), apart=True),
    # External calendar feeds of iCal layers: a slow source waits here, never before a page.
    Lane("calendars", frozenset({ICAL_JOB}), apart=True),
    # A workflow's webhook waits on its endpoint (WARROOM_WEBHOOK_TIMEOUT per try).
    Lane("webhooks", frozenset({WEBHOOK_JOB}), apart=True),
    Lane("slack", slots=None),  # alerts, reacted messages, and any kind not named above
)
