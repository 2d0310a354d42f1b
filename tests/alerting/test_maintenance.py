"""Maintenance windows: made from Slack (the emulator) or the command line, alerts posted as
Alertmanager posts them (bearer token), and what a person then sees: no incident, no page,
and the window's record of what it silenced."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.escalation.policies import parse_policies
from bot.store.db import session_scope
from bot.store.models import Escalation, MaintenanceWindow, SilencedAlert
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom, running_warroom
from tests.helpers.alerts import alert, alertmanager, incidents_of, post_alert, routes
from tests.helpers.incidents import settle
from tests.helpers.processes import run_warroom
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_warroom

# Saturday 2026-08-01, 10:30 UTC.
NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
# Alice owns the policy every alert reaches: she may make and cancel windows.
POLICIES = parse_policies(
    {"policies": {"web": {"owners": [ALICE], "levels": [{"targets": [{"user": BOB}]}]}}}
)
TOKEN = "test-alert-token-0123456789"


@pytest.fixture
async def alerting(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Warroom]:
    async with running_warroom(
        slack,
        sqlite_url,
        Clock(NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes({"routes": [], "default": {"action": "open", "policy": "web"}}),
        escalation__policies=POLICIES,
        runtime__scheduler_interval=3600.0,
    ) as running:
        yield running


async def maintenance(warroom: Warroom, args: str) -> str:
    """``/incident maintenance …`` in #general as Alice; her private answer."""
    general = warroom.slack.channel_by_name("general")
    assert general is not None
    before = len(warroom.slack.ephemeral_for(ALICE))
    await warroom.slack.send_command(f"maintenance {args}", user=ALICE, channel=general.id)
    await settle(warroom)
    answers = warroom.slack.ephemeral_for(ALICE)[before:]
    return "\n".join(answer.text for answer in answers)


async def fire(warroom: Warroom, group: str, labels: dict[str, str]) -> None:
    body = alertmanager(group, [alert(group, "web-1", "2026-08-01T10:29:00Z", common=labels)])
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    await warroom.run_jobs()


async def escalations(warroom: Warroom) -> list[Escalation]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Escalation))).all())


async def test_a_window_silences_a_matching_alert_and_not_another(alerting: Warroom) -> None:
    said = await maintenance(alerting, "service=checkout,env=prod now to 18:00")
    assert "Maintenance window #1" in said
    assert "`env=prod` `service=checkout`" in said
    assert "Sat 2026-08-01 10:30 UTC to Sat 2026-08-01 18:00 UTC" in said

    await fire(alerting, "CheckoutLatency", {"service": "checkout", "env": "prod"})
    assert await incidents_of(alerting) == []
    assert await escalations(alerting) == []  # nobody paged
    async with session_scope(alerting.engine) as session:
        (silenced,) = (await session.exec(select(SilencedAlert))).all()
        window = await session.get(MaintenanceWindow, 1)
    assert (silenced.window_id, silenced.name) == (1, "CheckoutLatency")
    assert silenced.labels["service"] == "checkout"
    assert window is not None and window.created_by == ALICE

    # Staging's alert lacks env=prod, the search service's another service: both open.
    await fire(alerting, "CheckoutLatencyStaging", {"service": "checkout", "env": "staging"})
    await fire(alerting, "SearchDown", {"service": "search", "env": "prod"})
    opened = await incidents_of(alerting)
    assert [incident.title for incident in opened] == [
        "CheckoutLatencyStaging is firing",
        "SearchDown is firing",
    ]
    assert len(await escalations(alerting)) == 2

    listed = await maintenance(alerting, "")
    assert "#1 `env=prod` `service=checkout`" in listed and "1 silenced" in listed

    # Cancelled, it silences nothing more: the same alert fires again, now it opens one.
    cancelled = await maintenance(alerting, "cancel 1")
    assert "#1" in cancelled and "cancelled" in cancelled and "1 alert was silenced" in cancelled
    alerting.clock.now = NOW.replace(minute=45)
    body = alertmanager(
        "CheckoutLatency",
        [
            alert(
                "CheckoutLatency",
                "web-1",
                "2026-08-01T10:44:00Z",
                common={"service": "checkout", "env": "prod"},
            )
        ],
    )
    assert (await post_alert(alerting.url, "alertmanager", body))[0] == 202
    await alerting.run_jobs()
    assert len(await incidents_of(alerting)) == 3


async def test_a_window_ahead_silences_only_once_it_starts(alerting: Warroom) -> None:
    said = await maintenance(alerting, "service=checkout Sat 22:00 to Sun 02:00")
    assert "Sat 2026-08-01 22:00 UTC to Sun 2026-08-02 02:00 UTC" in said
    await fire(alerting, "CheckoutLatency", {"service": "checkout"})
    assert len(await incidents_of(alerting)) == 1


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("now to 18:00", "Say which alerts and when"),
        ("service=checkout", "Say which alerts and when"),
        ("service= now to 18:00", "is not a label and its value"),
        ("service=a,service=b now to 18:00", "is given two values"),
        ("service=checkout 2026-08-01 18:00 to 2026-08-01 17:00", "The window would end"),
        ("service=checkout now to someday", "could not read `someday` as a time"),
        ("service=checkout now to 2026-08-09 00:00", "7 days at most"),
        ("cancel 9", "There is no maintenance window #9"),
        ("cancel x", "by its number"),
        ("service=checkout now to 18:00 --public", "Say what customers should read"),
        ("service=checkout now to 18:00 --public   ", "Say what customers should read"),
        (f"service=checkout now to 18:00 --public {'x' * 501}", "500 characters at most"),
        ("service=checkout now to 18:00 --public Slow\nfor an hour", "on one line"),
        ("service=checkout now to 18:00 --public Slow\u2028for an hour", "on one line"),
        ("--public Upgrading", "Say which alerts and when"),
        # Components: named after the span, each option with a name.
        ("--component Search", "with `--component"),
        ("service=checkout now to 18:00 --component --public Up", "with `--component"),
        ("service=checkout now to 18:00 --component a,,b --public Up", "with `--component"),
        ("service=checkout now to 18:00 --public Up --public Down", "with `--component"),
        ("cancel 3 --component Search", "with `--component"),
        ("service=checkout now to 18:00 --component Search", "give `--public`"),
        ("service=checkout now to 18:00 --component Search --public Up", "It knows none yet"),
    ],
)
async def test_a_window_that_cannot_be_made_is_said_why(
    alerting: Warroom, args: str, answer: str
) -> None:
    assert answer in await maintenance(alerting, args)
    async with session_scope(alerting.engine) as session:
        assert (await session.exec(select(MaintenanceWindow))).all() == []


def test_the_command_line_makes_lists_and_cancels_windows(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'warroom.db'}"
    env = {"DATABASE_URL": database, "WARROOM_TIMEZONE": "Europe/Paris"}
    made = run_warroom(
        "maintenance",
        "add",
        "service=checkout",
        "env=prod",
        "--to",
        "2099-01-01 02:00",
        "--from",
        "2098-12-31 22:00",
        env=env,
        clean=True,
    )
    assert made.returncode == 0, made.stderr
    assert "maintenance window #1: alerts labelled env=prod,service=checkout" in made.stdout
    assert "Wed 2098-12-31 22:00 CET to Thu 2099-01-01 02:00 CET" in made.stdout

    refused = run_warroom("maintenance", "add", "checkout", "--to", "18:00", env=env, clean=True)
    assert refused.returncode == 1
    assert "`checkout` is not a label and its value" in refused.stderr

    listed = run_warroom("maintenance", "list", env=env, clean=True)
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ID", "LABELS", "FROM", "TO", "MADE", "BY", "SILENCED", "NOTE"]
    assert row.startswith("#1  env=prod,service=checkout  Wed 2098-12-31 22:00 CET  Thu ")
    assert " cli:" in row and "public" not in row
    assert listed.stderr == "", "no log lines from the database's pool on a command"
    (window,) = json.loads(run_warroom("maintenance", "list", "--json", env=env, clean=True).stdout)
    assert window["matchers"] == {"env": "prod", "service": "checkout"}
    assert window["starts_at"] == "2098-12-31T21:00:00Z" and window["silenced"] == 0

    public = run_warroom(
        *("maintenance", "add", "service=search", "--to", "2099-01-01 02:00"),
        *("--from", "2098-12-31 22:00", "--public", "Search may be slow."),
        *("--component", "Search", "--component", "API, search"),
        env=env,
        clean=True,
    )
    assert public.returncode == 0, public.stderr
    assert "shown on the status page: Search may be slow." in public.stdout
    # Its components, each once whatever its case (shown on its card).
    listed = json.loads(run_warroom("maintenance", "list", "--json", env=env, clean=True).stdout)
    assert [w["components"] for w in listed] == [[], ["Search", "API"]]
    empty = run_warroom(
        *("maintenance", "add", "service=search", "--to", "18:00", "--public", ""),
        env=env,
        clean=True,
    )
    assert empty.returncode == 1 and "Say what customers should read" in empty.stderr
    run_warroom("maintenance", "cancel", "2", env=env, clean=True)

    cancelled = run_warroom("maintenance", "cancel", "1", env=env, clean=True)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled" in cancelled.stdout
    listed = run_warroom("maintenance", "list", env=env, clean=True)
    assert "no maintenance window is under way or to come" in listed.stdout
    again = run_warroom("maintenance", "cancel", "1", env=env, clean=True)
    assert again.returncode == 1 and "is over already (cancelled)" in again.stderr


async def test_the_web_view_adds_a_window_shows_what_it_silenced_and_cancels_it(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        web_warroom(
            slack,
            sqlite_url,
            Clock(NOW),
            alerting__token=Secret(TOKEN),
            maintenance__allowed=(ALICE,),
            runtime__scheduler_interval=3600.0,
        ) as warroom,
        browser() as alice,
    ):
        # Behind sign-in: the page sends a stranger to sign in.
        async with (
            browser() as stranger,
            stranger.get(f"{warroom.url}/maintenance", allow_redirects=False) as answer,
        ):
            assert answer.status in (302, 303) and "/login" in answer.headers["Location"]
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/maintenance") as answer:
            html = await answer.text()
        token = csrf_of(html)
        form = {"labels": "service=checkout env=prod", "start": "now", "end": "18:00"}
        for refused in (form, {**form, "csrf": "forged"}):
            async with alice.post(
                f"{warroom.url}/maintenance", data=refused, allow_redirects=False
            ) as answer:
                assert answer.status == 403
        bad = {**form, "csrf": token, "end": "someday"}
        async with alice.post(f"{warroom.url}/maintenance", data=bad) as answer:
            assert answer.status == 400
            assert "could not read" in visible_text(await answer.text())
        async with alice.post(
            f"{warroom.url}/maintenance", data={**form, "csrf": token}, allow_redirects=False
        ) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/maintenance/1"

        await fire(warroom, "CheckoutLatency", {"service": "checkout", "env": "prod"})
        await fire(warroom, "SearchDown", {"service": "search", "env": "prod"})
        assert [i.title for i in await incidents_of(warroom)] == ["SearchDown is firing"]

        async with alice.get(f"{warroom.url}/maintenance/1") as answer:
            shown = visible_text(await answer.text())
        assert "Maintenance window #1" in shown
        assert "env=prod service=checkout" in shown and "under way" in shown
        assert "Sat 2026-08-01 10:30 UTC to Sat 2026-08-01 18:00 UTC" in shown
        assert "CheckoutLatency" in shown and "SearchDown" not in shown
        async with alice.get(f"{warroom.url}/maintenance") as answer:
            listed = visible_text(await answer.text())
        assert "#1" in listed and "under way" in listed

        async with alice.post(
            f"{warroom.url}/maintenance/1/cancel", data={"csrf": token}, allow_redirects=False
        ) as answer:
            assert answer.status == 303
        async with alice.get(f"{warroom.url}/maintenance/1") as answer:
            assert "cancelled by" in visible_text(await answer.text())
        async with alice.post(f"{warroom.url}/maintenance/x/cancel", data={"csrf": token}) as a:
            assert a.status == 400
        async with alice.get(f"{warroom.url}/maintenance/99") as answer:
            assert answer.status == 404


UPGRADE = "Checkout may be slow while we upgrade its database."


async def status_page(warroom: Warroom) -> str:
    """What a customer reads on /status (no sign-in), as text."""
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/status?lang=en") as answer,
    ):
        assert answer.status == 200
        return visible_text(await answer.text())


async def test_a_public_window_is_shown_scheduled_then_in_progress_then_gone(
    alerting: Warroom,
) -> None:
    said = await maintenance(
        alerting, f"service=checkout Sat 22:00 to Sun 02:00 --public {UPGRADE}"
    )
    assert "Maintenance window #1" in said and "on the status page" in said
    # An internal window is never shown to customers.
    await maintenance(alerting, "service=search now to 23:00")
    page = await status_page(alerting)
    assert "Scheduled" in page and UPGRADE in page
    assert "2026-08-01 22:00 UTC – 2026-08-02 02:00 UTC" in page
    assert "service=" not in page and "search" not in page.lower()
    assert "In progress" not in page

    assert "All systems operational" in page
    alerting.clock.now = datetime(2026, 8, 1, 22, 30, tzinfo=UTC)
    page = await status_page(alerting)
    assert "In progress" in page and UPGRADE in page and "Scheduled" not in page
    # No incident under way: the banner says maintenance is.
    assert "Maintenance in progress" in page and "All systems operational" not in page

    alerting.clock.now = datetime(2026, 8, 2, 2, 0, tzinfo=UTC) + timedelta(seconds=1)
    assert UPGRADE not in await status_page(alerting)


async def test_a_window_made_in_slack_names_the_status_pages_components(
    alerting: Warroom,
) -> None:
    """``--component`` in Slack as on the command line and the web form:
    the components the status page knows, each shown on the window's card; one it does not
    know is refused in words with those it knows, and nothing is made."""
    from bot.flows.alerting.maintenance import open_window

    # The status page knows Search and Payments API: a window made on the command line.
    await open_window(
        alerting.services,
        matchers=["service=search"],
        start="2098-12-31 22:00",
        end="2099-01-01 02:00",
        by="cli",
        operator=True,
        send=False,
        public="Search reindex",
        components=["Search", "Payments API"],
    )
    refused = await maintenance(
        alerting,
        f"service=checkout now to 18:00 --component Serch, payments api --public {UPGRADE}",
    )
    assert "The status page has no component “Serch”" in refused
    assert "Name it as it knows them: `Payments API`, `Search`" in refused
    async with session_scope(alerting.engine) as session:
        assert len((await session.exec(select(MaintenanceWindow))).all()) == 1

    said = await maintenance(
        alerting,
        f"service=checkout now to 18:00 --component search --component Payments API "
        f"--public {UPGRADE}",
    )
    # Each as the status page spells it.
    assert "Maintenance window #2" in said and "on Search, Payments API" in said
    async with session_scope(alerting.engine) as session:
        window = await session.get(MaintenanceWindow, 2)
    assert window is not None and window.components == ["Search", "Payments API"]
    assert window.public_description == UPGRADE
    page = await status_page(alerting)
    card = page[page.index(UPGRADE) - 2000 : page.index(UPGRADE) + 2000]
    assert "Payments API" in card


async def test_a_cancelled_public_window_leaves_the_status_page(alerting: Warroom) -> None:
    await maintenance(alerting, f"service=checkout now to 18:00 --public {UPGRADE}")
    assert UPGRADE in await status_page(alerting)
    assert "is cancelled" in await maintenance(alerting, "cancel 1")
    assert UPGRADE not in await status_page(alerting)


async def test_the_web_form_makes_a_window_public_and_refuses_too_long_words(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        web_warroom(
            slack,
            sqlite_url,
            Clock(NOW),
            maintenance__allowed=(ALICE,),
            runtime__scheduler_interval=3600.0,
        ) as warroom,
        browser() as alice,
    ):
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/maintenance") as answer:
            token = csrf_of(await answer.text())
        form = {"labels": "service=checkout", "start": "now", "end": "18:00", "csrf": token}
        long = {**form, "public": "y" * 501}
        async with alice.post(f"{warroom.url}/maintenance", data=long) as answer:
            page = await answer.text()
            assert answer.status == 400
            assert "500 characters at most; this one is 501" in visible_text(page)
            assert "y" * 501 in page  # the form is kept as typed, nothing cut
        async with alice.post(
            f"{warroom.url}/maintenance", data={**form, "public": f"  {UPGRADE}  "}
        ) as answer:
            assert answer.status == 200
            assert f"On the status page, for customers: “{UPGRADE}”" in visible_text(
                await answer.text()
            )
        # An empty box: an internal window.
        async with alice.post(f"{warroom.url}/maintenance", data={**form, "public": " "}) as answer:
            assert "Not on the status page" in visible_text(await answer.text())
        page = await status_page(warroom)
        assert page.count(UPGRADE) == 1 and "In progress" in page


@pytest.mark.parametrize(
    ("field", "typed", "said"),
    [
        ("labels", {"labels": "checkout"}, "is not a label and its value"),
        ("labels", {"labels": "service=a service=b"}, "service"),
        ("start", {"start": "someday"}, "could not read"),
        ("end", {"end": "someday"}, "could not read"),
        ("end", {"end": ""}, "Say when"),
        ("end", {"start": "2026-08-03 12:00", "end": "2026-08-03 11:00"}, "before it starts"),
        ("public", {"public": "y" * 501}, "500 characters at most"),
        # Issue 70: the subject of subscribers' mail, a header, has no line break.
        ("public", {"public": "Upgrading\nthe database"}, "on one line"),
    ],
)
async def test_a_refused_window_is_said_at_its_field_with_the_form_kept(
    slack: SlackEmulator, sqlite_url: str, field: str, typed: dict[str, str], said: str
) -> None:
    """Each refusal the maintenance form can meet is said beside the field it is about, that
    field marked invalid and pointing at the words (a screen reader reads them with it), and
    everything typed is kept (bad input in words at the field, 400, never a 5xx)."""
    async with (
        web_warroom(slack, sqlite_url, Clock(NOW), maintenance__allowed=(ALICE,)) as warroom,
        browser() as alice,
    ):
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/maintenance") as answer:
            token = csrf_of(await answer.text())
        form = {"labels": "service=checkout", "start": "now", "end": "18:00", "public": "Slow"}
        form |= typed
        async with alice.post(f"{warroom.url}/maintenance", data={**form, "csrf": token}) as a:
            assert a.status == 400
            page = await a.text()
    marked = re.findall(r'id="window-(\w+)"[^>]*aria-invalid="true"', page)
    assert marked == [field], marked
    words = re.search(
        rf'<span class="field-problem" id="window-{field}-problem">(.*?)</span>', page
    )
    assert words is not None and said in visible_text(words.group(1)), page
    assert f'aria-describedby="window-{field}-problem' in page
    for name, value in form.items():
        assert (f'value="{value}"' if name != "public" else f">{value}</textarea>") in page


def test_a_windows_components_are_read_once_each_and_only_on_a_public_window() -> None:
    """Issue 75, item 5: what a public window's card names, as given, once whatever the case;
    on an internal one, too many or too long a name, refused in words."""
    from bot.record.alerting.maintenance import WindowRefused, public_components

    assert public_components(["Search", "API, search", " "], "Search may be slow.") == [
        "Search",
        "API",
    ]
    assert public_components([], None) == []
    for names, public, why in (
        (["Search"], None, "components_private"),
        ([",".join(f"c{n}" for n in range(21))], "x", "components_many"),
        (["x" * 101], "x", "component_long"),
    ):
        with pytest.raises(WindowRefused) as refused:
            public_components(names, public)
        assert refused.value.context["why"] == why
