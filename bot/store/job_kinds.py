"""Every kind of job, named once: a job row's ``kind``.

How an alert becomes a page, by the jobs it causes: an alert webhook's payload is kept and
``alert_payload`` applies it (grouping, routing); one whose route starts a policy (decided on
receipt) is applied in the transaction that keeps it, as it arrives, and
``alert_paging_payload`` applies it only should that fail (in a lane of its own, ahead of the
others); a route that opens incidents has ``alert_war_room`` open the war room. The
incident's severity (or its route, or its type) starts its escalation policy, and when the
policy's first level names only people and PagerDuty services (nothing to ask Slack), that
level is escalated to in the transaction that opened the incident: each person it reaches is
paged there, each notification of their rules a ``notify`` job written with it, the first
ones (``after: 0s``) due at once and started by this process's job runner at its commit
(other replicas are told by PostgreSQL's NOTIFY). So a page is one hop, the notification's:

    webhook (applied as it arrives; else alert_paging_payload)
                                    -> notify (after: 0s) ....... the push leaves
                                       -> delivery_wait ......... an SMS or call not reported
                                                                  delivered in time: the next
                                                                  rule's notify due now
                                    -> notify (after: 2m), ...    later rules, at their offset
                                    -> escalate (level 2, ...)    when nobody acknowledged
                                    -> bring_in, page             people into the channel,
                                                                  PagerDuty
                                    -> alert_war_room             the channel

With the pager process (PostgreSQL, on by default), ``alert_paging_payload``, ``escalate``,
``notify`` and ``delivery_wait`` (the page's chain above, ``PAGER_KINDS`` in
bot/flows/handlers.py) are run by the pager (bot/pager.py), an OS process of its own beside
``warroom serve``, woken by the payload's NOTIFY: a page never waits for a turn of the loop
that takes a storm's webhooks and applies its ``alert_payload`` jobs; the first notifications
of an alert serve applies as it arrives are left to it too, told at the commit. Serve runs
them itself while its pager is starting or restarting.

A first level that names a user group or an on-call schedule is an ``escalate`` job due at
once (who is in it is Slack's answer, never waited for inside a transaction), which then does
the same. A command that escalates (``/incident escalate``, a severity that starts a policy)
writes the level's notifications in its own transaction likewise. Each later level is an
``escalate`` job, due when nobody acknowledged in time; each level brings people in
(``bring_in``) and, for a pager target, sends a ``page``.

On resolve, ``postmortem_publish`` writes the draft. With the team's model configured
(WARROOM_AI_*), ``postmortem_suggest`` asks it for the draft's written sections first, once
the team has said what it knows, then schedules the publication; the wrap-up form's answer
or Skip makes the waiting job due at once (one job: asked once, whichever comes first):

    resolve -> postmortem_suggest (due in WARROOM_WRAP_UP_WAIT) -> postmortem_publish
    wrap-up answered or skipped -> the same job, due now
    /incident postmortem -> postmortem_suggest (due now) -> postmortem_publish

Each kind's handler (in ``bot/flows/``, by ``JOB_HANDLERS`` in ``bot/flows/handlers.py``) and
the lane it runs in (``JOB_LANES`` there):

```
kind                   handler                                        lane
notify                 paging.pages.send_notification                 notifications
alert_notice           alerting.in_slack.post_alert_changes           slack
alert_payload          alerting.intake.process_payload                slack
alert_paging_payload   alerting.intake.process_payload                paging_alerts
alert_post             alerting.in_slack.post_to_route_channel        slack
alert_war_room         alerting.in_slack.open_alert_war_room          slack
alert_escalate         alerting.own_alerts.run_alert_level            escalations
alert_message          paging.alert_pages.show_alert                  slack
alert_snooze_end       alerting.alert_actions.end_snooze              escalations
alert_hours_start      alerting.own_alerts.start_in_hours             escalations
alert_home             home.publishing.refresh_alert_home             slack
alert_auto_resolve     alerting.own_alerts.resolve_quiet_alert        escalations
changes_beside         changes.beside.post_changes_beside             slack
bring_in               escalation.bringing_in.bring_in                paging
causes_ask             incident.causes.ask_causes                     models
causes_grade           postmortem.grading.grade_proposals             models
delivery_wait          paging.delivery.check_delivery                 notifications
escalate               escalation.levels.run_escalation_timer         escalations
fetch_reacted_message  incident.recorder.apply_fetched_reaction       slack
file_issue             follow_ups.filing.send_issue                   trackers
heartbeat              alerting.heartbeats.check_heartbeat            slack
call_voicemail         alerting.call_routing.voicemail_overdue        slack
follow_up_reminder     follow_ups.owners.remind_follow_up             slack
lessons_ask            postmortem.lessons.ask_for_lessons             slack
maintenance_end        alerting.maintenance.announce_window_end       slack
oncall_gaps            oncall.handoffs.post_gaps                      slack
oncall_group_refused   oncall.handoffs.say_group_refused              slack
oncall_guest_shift     oncall.handoffs.say_guest_shift                slack
oncall_handoff         oncall.handoffs.run_handoff                    slack
oncall_ical_refresh    oncall.leave_feeds.refresh_feed                calendars
oncall_notice          oncall.handoffs.send_notice                    slack
page                   paging.pagerduty_events.send_page              paging
paging_drill           alerting.drill_alerts.run_scheduled_drill    drills
postmortem_publish     postmortem.posting.publish_postmortem          postmortems
postmortem_suggest     postmortem.suggestions.ask_model               models
pushover_cancel        paging.destinations.pushover.cancel_receipt    notifications
pushover_receipt       escalation.receipts.check_receipt              notifications
public_announcement    status_page.publishing.announce_status_change  slack
role_reminder          incident.reminders.remind_about_roles          paging
shown_once_forget      administering.forget_shown                     slack
statuspage             status_page.publishing.sync_statuspage         statuspage
subscriber_challenge   status_page.challenges.send_webhook_challenge          subscriber_challenges
subscriber_confirm     status_page.subscriptions.send_subscriber_confirmation  subscribers
subscriber_notice      status_page.subscriptions.send_subscriber_notice        subscribers
update_reminder        incident.reminders.remind_about_updates        paging
watchdog               paging.watchdog.run_watchdog                   watchdog
workflow_action        workflows.actions.run_action                   slack
workflow_timer         workflows.actions.run_timer                    slack
workflow_webhook       workflows.webhooks.run_webhook                 webhooks
```
"""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """What a job row's ``kind`` says; its handler, lane and owner are in the module's
    docstring."""

    ALERT_NOTICE = "alert_notice"
    ALERT_PAYLOAD = "alert_payload"
    # A payload whose route starts a policy: applied the same way, ahead of the others.
    ALERT_PAGING_PAYLOAD = "alert_paging_payload"
    ALERT_POST = "alert_post"
    ALERT_WAR_ROOM = "alert_war_room"
    # An alert of its own (``action: page``): a level of its route's policy, due when the
    # level before timed out unacknowledged (or at once for one that asks Slack who is in it).
    ALERT_ESCALATE = "alert_escalate"
    # An alert's one message in its route's channel, posted or updated to its current state.
    ALERT_MESSAGE = "alert_message"
    # An alert's snooze ends (written with the snooze): still firing, it is paged again from
    # its policy's first level.
    ALERT_SNOOZE_END = "alert_snooze_end"
    # A low-urgency alert that fired outside its route's support hours (written with it):
    # due when they start, its policy's first level is paged if it is still triggered.
    ALERT_HOURS_START = "alert_hours_start"
    # A person's App Home published afresh for their open alerts: at most one a few seconds,
    # however many of their alerts changed meanwhile.
    ALERT_HOME = "alert_home"
    # An open alert resolves by itself when quiet long enough (written with what starts the
    # wait): its route's ``auto_resolve`` without firing, or a flapping one's quiet period.
    ALERT_AUTO_RESOLVE = "alert_auto_resolve"
    BRING_IN = "bring_in"
    # An open incident's possible causes asked of the team's model (from its declaration,
    # then at most every WARROOM_CAUSES_MIN_INTERVAL while its record changes): its message
    # in the channel posted or updated in place.
    CAUSES_ASK = "causes_ask"
    # Once the root cause is known (the postmortem published): each proposal of the
    # incident graded against it by the model, for a person to confirm.
    CAUSES_GRADE = "causes_grade"
    # What changed before a paged alert or a declared incident, its related incidents and
    # runbook: one message beside it, written with the page's decision or the war room.
    CHANGES_BESIDE = "changes_beside"
    # An SMS or call sent: due WARROOM_PAGING_DELIVERY_WAIT later, it brings the person's
    # next rule forward when its provider has reported neither delivered nor answered by then.
    DELIVERY_WAIT = "delivery_wait"
    ESCALATE = "escalate"
    # The job that fetches a reacted message the record lacks (the reaction waits in its payload).
    FETCH_REACTED_MESSAGE = "fetch_reacted_message"
    FILE_ISSUE = "file_issue"
    # One per heartbeat of the file: due when its next check-in is.
    HEARTBEAT = "heartbeat"
    # A routed call's voicemail recorded (written with it): due a while later, it raises the
    # call's alert without its transcription when the provider has posted none by then.
    CALL_VOICEMAIL = "call_voicemail"
    # A follow-up's owner told by DM it is due soon, or overdue (one job per reminder).
    FOLLOW_UP_REMINDER = "follow_up_reminder"
    # The day after a resolution, each participant asked by DM for one lesson each way.
    LESSONS_ASK = "lessons_ask"
    # A maintenance window's end, said where it was announced (one per window, due at its end).
    MAINTENANCE_END = "maintenance_end"
    ONCALL_GAPS = "oncall_gaps"
    # Said once per schedule and Slack error: the user group could not be kept in step.
    ONCALL_GROUP_REFUSED = "oncall_group_refused"
    # Said once per shift: the schedule file names a guest of the workspace, who cannot be on call.
    ONCALL_GUEST_SHIFT = "oncall_guest_shift"
    ONCALL_HANDOFF = "oncall_handoff"
    ONCALL_ICAL_REFRESH = "oncall_ical_refresh"
    ONCALL_NOTICE = "oncall_notice"
    # One notification of a person's page (Slack, push, SMS, call, email), due at its rule's offset.
    NOTIFY = "notify"
    PAGE = "page"
    # The weekly paging drill (WARROOM_PAGING_DRILL): one job, due at the next drill time.
    PAGING_DRILL = "paging_drill"
    POSTMORTEM_PUBLISH = "postmortem_publish"
    # The team's model asked for the draft's written sections, before the draft is posted:
    # once the wrap-up form is answered or skipped, or WARROOM_WRAP_UP_WAIT after resolving.
    POSTMORTEM_SUGGEST = "postmortem_suggest"
    PUBLIC_ANNOUNCEMENT = "public_announcement"
    # A Pushover emergency push still ringing when its page ended: its receipt cancelled
    # (written with the page's end), so the phone stops.
    PUSHOVER_CANCEL = "pushover_cancel"
    # A Pushover emergency push, once its repeats expire (written when it is sent): its receipt
    # read, in case its acknowledgement's callback never came; else kept as expired.
    PUSHOVER_RECEIPT = "pushover_receipt"
    ROLE_REMINDER = "role_reminder"
    # A value shown once (a new token, a new key: bot/web/notices.py), written with it: due
    # when it stops waiting for its page, it drops the sealed value should nobody have read it.
    SHOWN_ONCE_FORGET = "shown_once_forget"
    STATUSPAGE = "statuspage"
    # A webhook sign-up's challenge, which it must echo before it is sent any notice.
    SUBSCRIBER_CHALLENGE = "subscriber_challenge"
    # A status page sign-up's confirmation mail (its link made when it is sent).
    SUBSCRIBER_CONFIRM = "subscriber_confirm"
    # A public update or maintenance window sent to its subscribers (one per notice).
    SUBSCRIBER_NOTICE = "subscriber_notice"
    UPDATE_REMINDER = "update_reminder"
    # The dead man's switch (WARROOM_WATCHDOG_URL): one job, due every WARROOM_WATCHDOG_INTERVAL,
    # whose run checks warroom end to end and pings the address only when the check passes.
    WATCHDOG = "watchdog"
    WORKFLOW_ACTION = "workflow_action"
    WORKFLOW_TIMER = "workflow_timer"
    WORKFLOW_WEBHOOK = "workflow_webhook"
