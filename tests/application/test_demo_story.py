"""The demo's story holds whenever it is run: the incident is placed two hours
before now, and every time it states (the release that caused it, in Carol's finding, the
cause, the model's sentences, the wrap-up's trigger, the impact's corrected start) follows that
clock, in the incident's zone. Run just after midnight in UTC (the release and the impact's
start fall on the day before the alert) and at the test's own time in Paris: the release comes
before the impact's start, and the draft's timeline reads in order."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.admin.demo.demo import run_demo
from tests.helpers.records import section

DAY = 24 * 60


def _minutes(clock: str) -> int:
    """A time of day as the draft shows it (``9:22 AM``) or as people say it (``09:13``)."""
    shown = re.fullmatch(r"(\d{1,2}):(\d\d)(?: ([AP]M))?", clock)
    assert shown, clock
    hour, minute, half = int(shown[1]), int(shown[2]), shown[3]
    if half:
        hour = hour % 12 + (12 if half == "PM" else 0)
    return hour * 60 + minute


def _after(earlier: int, later: int) -> int:
    """How many minutes ``later`` (a time of day) comes after ``earlier``, across midnight."""
    return (later - earlier) % DAY


def _just_after_midnight() -> datetime:
    """A moment of the last day at 02:01 UTC: the alert's start is 00:01, the impact's start
    and the release the day before."""
    now = datetime.now(UTC)
    moment = now.replace(hour=2, minute=1, second=0, microsecond=0)
    return moment if moment <= now else moment - timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "heading"),
    [("UTC", "## Timeline (UTC)"), ("Europe/Paris", "## Timeline (Europe/Paris)")],
)
def test_the_demos_release_comes_before_its_impact_and_its_timeline_reads_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zone: str, heading: str
) -> None:
    now = _just_after_midnight() if zone == "UTC" else None
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "WARROOM_TIMEZONE": zone}
    output = tmp_path / "postmortem.md"
    assert asyncio.run(run_demo(environ, output=str(output), now=now)) == 0
    printed = capsys.readouterr().out
    draft = output.read_text(encoding="utf-8")

    # When the impact started, as the draft's duration says it (set by Erin in the channel).
    duration = draft.split("**Duration:**")[1].splitlines()[0]
    started = _minutes(re.findall(r"\d{1,2}:\d\d [AP]M", duration)[0])
    # The release's time, everywhere the story states it: said in the channel, typed as the
    # cause, given in the wrap-up, and in the draft the model's sentences and the cause.
    said = re.findall(r"release at (\d\d:\d\d)|The (\d\d:\d\d) gateway release", printed + draft)
    releases = {a or b for a, b in said}
    assert len(releases) == 1, said
    (release,) = releases
    assert 0 < _after(_minutes(release), started) < 60, (release, duration)
    # The impact's start, typed as Erin typed it, is the draft's.
    typed = re.search(r"erin types: /incident time started ((?:yesterday )?\d\d:\d\d)", printed)
    assert typed, printed
    assert _minutes(typed[1].removeprefix("yesterday ")) == started
    if now is not None:  # the alert at 00:01: the impact began the day before
        assert typed[1].startswith("yesterday "), typed[1]
    # Every line of the timeline at or after the one before it (the story lasts under 2 h).
    lines = section(draft, heading).splitlines()
    shown = [
        _minutes(m[1]) for line in lines if (m := re.match(r"- \*\*\[?(\d+:\d\d [AP]M)", line))
    ]
    assert len(shown) > 10, lines
    first = shown[0]
    assert [_after(first, each) for each in shown] == sorted(_after(first, e) for e in shown)
    assert _after(first, shown[-1]) < 3 * 60, shown
    # The release stated in the timeline comes before its first line's moment.
    assert _after(_minutes(release), first) < 60, (release, first)
    _a_low_urgency_alert_is_acknowledged_from_the_phone_with_no_incident(printed, draft)
    _a_high_urgency_alert_pages_and_is_declared_the_incident(printed, draft)
    _the_model_reads_one_task_said_twice_and_no_other(printed)
    if zone == "UTC":
        _the_getting_started_page_tells_this_run(printed, draft)


def _the_model_reads_one_task_said_twice_and_no_other(printed: str) -> None:
    """Issue 86, item 7: asked whether each follow-up noted repeats an open one, the demo's
    model answers truthfully: the card type tests said twice in other words are one task; the
    customers' letter and the alert on card errors are none of the others (the fake unscripted
    named the first open task, every time)."""
    flagged = [line for line in printed.splitlines() if "Possibly the same task" in line]
    assert len(flagged) == 1, flagged
    assert (
        '"Test every supported card type before a gateway release" and the earlier "add an'
        ' integration test for every supported card type."' in flagged[0]
    )
    assert printed.count("a question answered as warroom_same_task") == 3


def _a_low_urgency_alert_is_acknowledged_from_the_phone_with_no_incident(
    printed: str, draft: str
) -> None:
    """Before the incident, the checkout queue's low-urgency alert (an ``action: page`` route)
    is posted in #checkout-alerts and pages Carol's phone by push only; she opens the push's
    console and acknowledges there (a GET, then the form's POST with its CSRF token), and no
    incident channel is made: the incident declared next is still INC-3."""
    before = printed.split("Alertmanager posts: CheckoutErrorRate is firing")[0]
    assert "Alertmanager posts: CheckoutQueueLag is firing" in before, before
    assert re.search(
        r"warroom posts in #checkout-alerts: :rotating_light: \*SEV3 Alert: Checkout's order queue"
        r" lags 4 minutes\* / Alert \d+ · route \*checkout-queue\* \(alertmanager\) · low urgency",
        before,
    ), before
    assert (
        "carol's phone gets a push (priority 3): SEV3 Alert: Checkout's order queue lags 4 minutes"
        " [Acknowledge, Escalate, Snooze or resolve]"
    ) in before
    assert "(the alert's console, answered 200)" in before
    assert 'carol presses Acknowledge on it: "Acknowledged: the paging has stopped."' in before
    assert re.search(
        r"Its message in #checkout-alerts now says: \*Acknowledged\* by @Carol Tanaka \(ntfy\)",
        before,
    ), before
    assert "No incident for it: the channels are still #checkout-alerts, #general" in before
    # Low urgency: a push and a Slack DM, never an SMS or a call for it.
    assert "SMS: SEV3" not in printed and "(low urgency): you are paged by" in printed
    assert "# Postmortem: INC-3 Checkout page returns 500s" in draft


def _a_high_urgency_alert_pages_and_is_declared_the_incident(printed: str, draft: str) -> None:
    """The error rate's alert (an ``action: page`` route, high urgency) is posted in
    #checkout-alerts and pages Carol (push, then SMS, then the call she answers with 1), with
    no channel made; Alice presses Declare incident on its message, the form filled from the
    alert, and INC-3 opens with the alert attached: its timeline starts with the alert's
    history (fired, who was paged and when, who acknowledged), and nobody is paged twice."""
    fired = printed.split("Alertmanager posts: CheckoutErrorRate is firing")[1]
    before, after = fired.split("alice presses Declare incident on the alert's message")
    assert fired.startswith(" (route checkout, high urgency)\n"), fired[:200]
    assert re.search(
        r"warroom posts in #checkout-alerts: :rotating_light: \*SEV2 Alert: Checkout page returns"
        r" 500s\* / Alert \d+ · route \*checkout\* \(alertmanager\) · high urgency",
        before,
    ), before
    assert (
        "carol's phone gets a push (priority 5): SEV2 Alert: Checkout page returns 500s"
        " [Acknowledge, Escalate, Snooze or resolve]"
    ) in before
    # No channel made before the declaration: the alert alone pages.
    assert "No incident yet: the channels are still #checkout-alerts, #general" in before
    assert "#inc-" not in before
    assert "she answers and presses 1" in before
    assert re.search(
        r"Its message in #checkout-alerts now says: \*Acknowledged\* by @Carol Tanaka \(voice\)",
        before,
    ), before
    # The declare form, filled from the alert; the type picked; the incident's channel after.
    assert "\nThe declare form opens filled from the alert: Checkout page returns 500s, SEV2\n" in (
        after
    )
    assert "alice picks the type customer-facing and presses Declare" in after
    assert re.search(
        r"warroom opens #inc-3-checkout-page-returns-500s; the alert's message now says: :link:"
        r" \*Declared as INC-3\* \(#inc-3-checkout-page-returns-500s\) by @Alice Moreau",
        after,
    ), after
    # Its timeline's first entries are the alert's history, then the declaration.
    start = re.split(r"INC-3's timeline starts with the alert's history \(.+\):\n", after)[1]
    kinds = [line.split()[1] for line in start.splitlines()[:4]]
    assert kinds == ["detection:", "paged:", "acknowledged:", "declared:"], start[:600]
    assert "CheckoutErrorRate" in start.splitlines()[0]
    assert (
        "paged: The alert “Checkout page returns 500s” paged @Carol Tanaka (policy"
        " checkout-oncall, level 1) by Slack message, push, SMS, call"
    ) in start
    assert "acknowledged: The alert “Checkout page returns 500s” was acknowledged by @Carol" in (
        start
    )
    # The same in the draft: its timeline, the alert's page before the declaration.
    timeline = draft.split("## Timeline")[1]
    assert timeline.index("_alert page_: The alert “Checkout page returns 500s” paged") < (
        timeline.index("_declared_: Incident declared: Checkout page returns 500s")
    )
    # One page per person: one push, one SMS, one call for Carol, one PagerDuty trigger.
    assert (
        "Paged for CheckoutErrorRate and the incident declared from it: Carol's phone 1 push,"
        " 1 SMS, 1 call; PagerDuty 1 trigger"
    ) in printed
    paged = re.findall(r".*you are paged by.*", printed)
    assert len([line for line in paged if "Checkout page returns 500s" in line]) == 1, paged
    assert "INC-3 SEV2 Checkout page returns 500s: you are paged" not in printed
    _the_drafts_escalations_say_the_alerts_paging(draft)


def _the_drafts_escalations_say_the_alerts_paging(draft: str) -> None:
    """INC-3's Escalations table: the alert's own paging first (whom, by which level, how
    she was reached and when, who acknowledged and how), then the incident's escalation,
    which brought Carol in without paging her again, said so (not "not paged beyond
    Slack")."""
    table = draft.split("## Escalations", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    alert, incident = cells[0], cells[1]
    assert alert[:4] == [
        "checkout-oncall level 1",
        alert[1],
        "the escalation policy",
        "paged for the alert “Checkout page returns 500s”",
    ], alert
    at = r"\d{1,2}:\d\d(?: [AP]M)?"
    assert re.fullmatch(rf"{at} by Carol Tanaka, \d+ minutes? later, acknowledged", alert[4])
    assert re.fullmatch(
        rf"Carol Tanaka: Slack message {at} sent, push {at} sent, SMS {at} sent,"
        rf" call {at} answered, acknowledged by keypress {at}",
        alert[5],
    ), alert[5]
    assert incident[3] == "SEV2 incidents escalate to checkout-oncall", incident
    assert incident[5] == "Carol Tanaka: paged for the alert already (its row), not paged again"
    assert "not paged beyond Slack" not in table


def _the_getting_started_page_tells_this_run(printed: str, draft: str) -> None:
    """docs/getting-started.md says what the demo does: every command it quotes is one the
    demo typed, the page is acknowledged by Carol's keypress so no level 2 pages anyone, and
    the DBAs are brought in by hand and answered with the button."""
    page = (Path(__file__).parents[2] / "docs" / "getting-started.md").read_text()
    story = page.split("Run the demo")[1].split("Run the tests:")[0]
    typed = re.findall(r"types(?: in #general)?: (/\S.*)", printed)
    quoted = [" ".join(c.split()) for c in re.findall(r"`(/(?:incident|oncall)\b[^`]*)`", story)]
    assert len(quoted) >= 5, quoted
    for command in quoted:
        assert any(each.startswith(command) for each in typed), (command, typed)
    assert "never reaches its level 2" in story
    assert "checkout-oncall, level 1)" in printed and "level 2)" not in printed + draft
    assert "she answers and presses 1" in printed and "dave presses Acknowledge" in printed
    assert '"The rollback took 5 minutes."' in story and '"The rollback took 5 minutes."' in draft
