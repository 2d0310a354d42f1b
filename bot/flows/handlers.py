"""Which flow runs each kind of job: the job runner's table, and what ``/metrics`` counts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.clients.slack.pacing import BACKGROUND, URGENT
from bot.flows.administering import forget_shown
from bot.flows.alerting.alert_actions import end_snooze
from bot.flows.alerting.call_routing import voicemail_overdue
from bot.flows.alerting.drill_alerts import run_scheduled_drill
from bot.flows.alerting.heartbeats import check_heartbeat
from bot.flows.alerting.in_slack import (
    open_alert_war_room,
    post_alert_changes,
    post_to_route_channel,
)
from bot.flows.alerting.intake import process_payload
from bot.flows.alerting.maintenance import announce_window_end
from bot.flows.alerting.own_alerts import resolve_quiet_alert, run_alert_level, start_in_hours
from bot.flows.changes.beside import post_changes_beside
from bot.flows.escalation.bringing_in import bring_in
from bot.flows.escalation.levels import run_escalation_timer
from bot.flows.escalation.receipts import check_receipt
from bot.flows.follow_ups.filing import send_issue
from bot.flows.follow_ups.owners import remind_follow_up
from bot.flows.home.publishing import refresh_alert_home
from bot.flows.incident.causes import ask_causes
from bot.flows.incident.recorder import apply_fetched_reaction
from bot.flows.incident.reminders import remind_about_roles, remind_about_updates
from bot.flows.oncall.handoffs import (
    post_gaps,
    run_handoff,
    say_group_refused,
    say_guest_shift,
    send_notice,
)
from bot.flows.oncall.leave_feeds import refresh_feed
from bot.flows.paging.alert_pages import show_alert
from bot.flows.paging.delivery import check_delivery
from bot.flows.paging.destinations.pushover import cancel_receipt
from bot.flows.paging.pagerduty_events import send_page
from bot.flows.paging.pages import send_notification
from bot.flows.paging.watchdog import run_watchdog
from bot.flows.postmortem.grading import grade_proposals
from bot.flows.postmortem.lessons import ask_for_lessons
from bot.flows.postmortem.posting import publish_postmortem
from bot.flows.postmortem.suggestions import ask_model
from bot.flows.scheduler import KIND_SHARE, JobHandler, Lane
from bot.flows.status_page.challenges import send_webhook_challenge
from bot.flows.status_page.publishing import announce_status_change, sync_statuspage
from bot.flows.status_page.subscriptions import (
    send_subscriber_confirmation,
    send_subscriber_notice,
)
from bot.flows.workflows.actions import run_action, run_timer
from bot.flows.workflows.webhooks import run_webhook
from bot.store.job_kinds import JobKind

JOB_HANDLERS: Mapping[str, JobHandler] = MappingProxyType(
    {
        JobKind.ESCALATE: run_escalation_timer,
        JobKind.BRING_IN: bring_in,
        JobKind.PAGE: send_page,
        JobKind.NOTIFY: send_notification,
        JobKind.DELIVERY_WAIT: check_delivery,
        JobKind.PUSHOVER_CANCEL: cancel_receipt,
        JobKind.PUSHOVER_RECEIPT: check_receipt,
        JobKind.UPDATE_REMINDER: remind_about_updates,
        JobKind.ROLE_REMINDER: remind_about_roles,
        JobKind.ALERT_PAYLOAD: process_payload,
        JobKind.ALERT_PAGING_PAYLOAD: process_payload,
        JobKind.ALERT_WAR_ROOM: open_alert_war_room,
        JobKind.ALERT_NOTICE: post_alert_changes,
        JobKind.ALERT_POST: post_to_route_channel,
        JobKind.ALERT_ESCALATE: run_alert_level,
        JobKind.ALERT_MESSAGE: show_alert,
        JobKind.ALERT_SNOOZE_END: end_snooze,
        JobKind.ALERT_HOURS_START: start_in_hours,
        JobKind.ALERT_HOME: refresh_alert_home,
        JobKind.ALERT_AUTO_RESOLVE: resolve_quiet_alert,
        JobKind.CHANGES_BESIDE: post_changes_beside,
        JobKind.POSTMORTEM_PUBLISH: publish_postmortem,
        JobKind.POSTMORTEM_SUGGEST: ask_model,
        JobKind.CAUSES_ASK: ask_causes,
        JobKind.CAUSES_GRADE: grade_proposals,
        JobKind.FILE_ISSUE: send_issue,
        JobKind.HEARTBEAT: check_heartbeat,
        JobKind.CALL_VOICEMAIL: voicemail_overdue,
        JobKind.PAGING_DRILL: run_scheduled_drill,
        JobKind.WATCHDOG: run_watchdog,
        JobKind.SHOWN_ONCE_FORGET: forget_shown,
        JobKind.FOLLOW_UP_REMINDER: remind_follow_up,
        JobKind.LESSONS_ASK: ask_for_lessons,
        JobKind.MAINTENANCE_END: announce_window_end,
        JobKind.STATUSPAGE: sync_statuspage,
        JobKind.SUBSCRIBER_CHALLENGE: send_webhook_challenge,
        JobKind.SUBSCRIBER_CONFIRM: send_subscriber_confirmation,
        JobKind.SUBSCRIBER_NOTICE: send_subscriber_notice,
        JobKind.PUBLIC_ANNOUNCEMENT: announce_status_change,
        JobKind.FETCH_REACTED_MESSAGE: apply_fetched_reaction,
        JobKind.ONCALL_HANDOFF: run_handoff,
        JobKind.ONCALL_NOTICE: send_notice,
        JobKind.ONCALL_GAPS: post_gaps,
        JobKind.ONCALL_GROUP_REFUSED: say_group_refused,
        JobKind.ONCALL_GUEST_SHIFT: say_guest_shift,
        JobKind.ONCALL_ICAL_REFRESH: refresh_feed,
        JobKind.WORKFLOW_ACTION: run_action,
        JobKind.WORKFLOW_WEBHOOK: run_webhook,
        JobKind.WORKFLOW_TIMER: run_timer,
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
        JobKind.ALERT_PAYLOAD,
        JobKind.ALERT_PAGING_PAYLOAD,
        JobKind.ALERT_WAR_ROOM,
        JobKind.ALERT_NOTICE,
        JobKind.ALERT_POST,
        JobKind.FETCH_REACTED_MESSAGE,
        JobKind.ONCALL_HANDOFF,
        JobKind.ONCALL_NOTICE,
        JobKind.ONCALL_GAPS,
        JobKind.ONCALL_GROUP_REFUSED,
        JobKind.ONCALL_GUEST_SHIFT,
    }
)
# Where each kind's Slack calls wait in the pace of Slack's limits
# (bot/clients/slack/pacing.py): what opens a war room and brings people in first, alert
# summaries, notices and gap posts last; the rest in between.
JOB_PRIORITIES: Mapping[str, int] = MappingProxyType(
    {
        JobKind.ALERT_PAGING_PAYLOAD: URGENT,
        JobKind.ALERT_WAR_ROOM: URGENT,
        JobKind.ESCALATE: URGENT,
        JobKind.ALERT_ESCALATE: URGENT,
        JobKind.ALERT_SNOOZE_END: URGENT,
        JobKind.ALERT_HOURS_START: URGENT,
        JobKind.BRING_IN: URGENT,
        JobKind.NOTIFY: URGENT,
        JobKind.ALERT_NOTICE: BACKGROUND,
        JobKind.ALERT_POST: BACKGROUND,
        JobKind.ALERT_HOME: BACKGROUND,
        JobKind.MAINTENANCE_END: BACKGROUND,
        JobKind.ONCALL_NOTICE: BACKGROUND,
        JobKind.ONCALL_GAPS: BACKGROUND,
        JobKind.ONCALL_GUEST_SHIFT: BACKGROUND,
    }
)
# Lanes by what their jobs wait on: escalations, pages and reminders never wait behind a
# tracker that does not answer (WARROOM_TRACKER_TIMEOUT per try), canvas edits at Slack's
# canvas limit, the team's model (WARROOM_AI_TIMEOUT), Statuspage, an iCal layer's calendar
# feed, or alert work (the Slack lane: WARROOM_JOB_CONCURRENCY slots).
# What a page is made of, from an alert that may page to its notifications, run (PostgreSQL,
# on by default) by the pager (bot/pager.py): an OS process of its own beside
# ``warroom serve``'s, with its own event loop and database connections, so the kernel
# schedules a page apart from a storm's intake and payloads, and it never waits for a turn of
# their loop.
PAGER_KINDS = frozenset(
    {
        JobKind.ALERT_PAGING_PAYLOAD,
        JobKind.ESCALATE,
        JobKind.ALERT_ESCALATE,
        JobKind.NOTIFY,
        JobKind.DELIVERY_WAIT,
    }
)
JOB_LANES = (
    # Alert payloads whose route starts a policy, ahead of the rest: in a storm, the Slack
    # lane's payloads received before one are applied a few at a time, and its page would
    # wait for all of them. As many at once as payloads take of the Slack lane, so a storm
    # of alerts that all page is worked off no slower than before.
    Lane("paging_alerts", frozenset({JobKind.ALERT_PAGING_PAYLOAD}), slots=KIND_SHARE),
    # People's notifications first, beside everything else: a page waits on nothing, not even
    # the incident's escalation messages (the Slack method's DM goes out in its own order).
    # Several at once, a page's push beside its DM: during an alert storm on PostgreSQL a
    # notification took 0.45 s, and one at a time fell behind pages due every half second
    # (bench/RESULTS.md). Each is about its own row, taken by one job (pages.take).
    Lane(
        "notifications",
        frozenset(
            {
                JobKind.NOTIFY,
                JobKind.DELIVERY_WAIT,
                JobKind.PUSHOVER_CANCEL,
                JobKind.PUSHOVER_RECEIPT,
            }
        ),
        apart=True,
        slots=KIND_SHARE,
        together=True,
    ),
    # Policy levels beside the rest of their incident's work: a level reached (and its
    # people's pages started) never waits for the war room an alert is opening at Slack's pace;
    # what needs the channel (bringing people in) is in the paging lane and waits for it.
    # Several incidents' at once, as notifications.
    Lane(
        "escalations",
        frozenset(
            {
                JobKind.ESCALATE,
                JobKind.ALERT_ESCALATE,
                JobKind.ALERT_SNOOZE_END,
                JobKind.ALERT_HOURS_START,
                JobKind.ALERT_AUTO_RESOLVE,
            }
        ),
        apart=True,
        slots=KIND_SHARE,
    ),
    Lane(
        "paging",
        frozenset(
            {
                JobKind.BRING_IN,
                JobKind.PAGE,
                JobKind.UPDATE_REMINDER,
                JobKind.ROLE_REMINDER,
            }
        ),
    ),
    Lane("trackers", frozenset({JobKind.FILE_ISSUE}), apart=True),
    Lane("postmortems", frozenset({JobKind.POSTMORTEM_PUBLISH}), apart=True),
    # The team's model takes up to WARROOM_AI_TIMEOUT to answer: drafts without it go on.
    Lane(
        "models",
        frozenset({JobKind.POSTMORTEM_SUGGEST, JobKind.CAUSES_ASK, JobKind.CAUSES_GRADE}),
        apart=True,
    ),
    Lane("statuspage", frozenset({JobKind.STATUSPAGE}), apart=True),
    # Status page subscribers: a slow mail server or subscriber's webhook waits here.
    Lane(
        "subscribers",
        frozenset({JobKind.SUBSCRIBER_CONFIRM, JobKind.SUBSCRIBER_NOTICE}),
        apart=True,
    ),
    # Webhook sign-ups' challenges: strangers' URLs, some of which hang for their time-out,
    # beside (never ahead of) the notices of those already confirmed.
    Lane(
        "subscriber_challenges",
        frozenset({JobKind.SUBSCRIBER_CHALLENGE}),
        apart=True,
        slots=KIND_SHARE,
    ),
    # External calendar feeds of iCal layers: a slow source waits here, never before a page.
    Lane("calendars", frozenset({JobKind.ONCALL_ICAL_REFRESH}), apart=True),
    # The paging drill waits for its providers' reports (WARROOM_PAGING_DRILL_WAIT).
    Lane("drills", frozenset({JobKind.PAGING_DRILL}), apart=True),
    # The watchdog's check and ping (up to a provider's and a ping's time-outs): beside
    # everything, so a storm's work neither delays its ping nor waits for it.
    Lane("watchdog", frozenset({JobKind.WATCHDOG}), apart=True),
    # A workflow's webhook waits on its endpoint (WARROOM_WEBHOOK_TIMEOUT per try).
    Lane("webhooks", frozenset({JobKind.WORKFLOW_WEBHOOK}), apart=True),
    Lane("slack", slots=None),  # alerts, reacted messages, and any kind not named above
)
