"""People's words in every output that is not Slack: the tracker issue (title and
body, in GitHub, Jira and Linear), Statuspage (name and body), ``/status``, its Atom feed,
PagerDuty's summary and the channel's name.

Each one is read where it arrives: the fake vendors over HTTP record what they received, and
``/status`` and ``/status/feed.atom`` are fetched as a visitor does. The words go in as Slack
sends them (the manifest's ``should_escape`` is on): ``&`` as ``&amp;``, links, mentions of a
person and a user group, and ``<!here>`` as constructs.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.basics.markdown_text import markdown_to_html
from bot.config import Settings
from bot.record.people import remember_names
from bot.store.db import session_scope
from bot.store.models import Incident
from emulator import FakePagerDuty, SlackEmulator
from emulator.statuspage import FakeStatuspage
from emulator.trackers import FakeGitHub, FakeJira, FakeLinear
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.follow_ups.test_trackers import (
    GITHUB_TOKEN,
    JIRA_TOKEN,
    LINEAR_KEY,
    LINEAR_TEAM,
    Trackers,
    settings_from,
    tracker_env,
)
from tests.helpers.incidents import declare_incident, settle
from tests.status_page.test_status_page import get, statuspage_settings

DBA_GROUP = "S0DBATEAM"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
# What a person typed, "Payments & checkout degraded, see https://status.example.com/incidents/42
# and CDN status (ask @bob, @dba-team, @here)", the link "CDN status" made with the composer's
# link tool: as Slack sends it in a slash command with should_escape on.
WORDS = (
    "Payments &amp; checkout degraded, see <https://status.example.com/incidents/42> and"
    " <https://cdn.example.com/status|CDN status> (ask <@U0BOB|bob>,"
    " <!subteam^S0DBATEAM|@dba-team>, <!here>)"
)
# The same words as plain text, with the links' addresses (Statuspage, the feed).
READ = (
    "Payments & checkout degraded, see https://status.example.com/incidents/42 and"
    " CDN status (https://cdn.example.com/status) (ask @{bob}, @dba-team, @here)"
)
# As a title: links by their label or URL.
TITLE = (
    "Payments & checkout degraded, see https://status.example.com/incidents/42 and"
    " CDN status (ask @{bob}, @dba-team, @here)"
)
# What no output but Slack's may show: an id, a construct, an entity.
SLACK_ONLY = ("U0BOB", "S0DBATEAM", "<@", "<!", "<http", "subteam", "&amp;", "&lt;", "&gt;")
ZWSP = "\u200b"
# An @name GitHub would notify, a #123 it would cross-link (a reference after a non-word
# character), once the Markdown is rendered.
GITHUB_REFERENCE = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]|#[0-9]|GH-[0-9]", re.I)


@pytest.fixture
async def vendors() -> AsyncIterator[tuple[Trackers, FakeStatuspage, FakePagerDuty]]:
    async with (
        FakeGitHub(token=GITHUB_TOKEN, repos={"acme/payments"}) as github,
        FakeJira(email="bot@acme.example", token=JIRA_TOKEN, projects={"OPS"}) as jira,
        FakeLinear(api_key=LINEAR_KEY, teams={LINEAR_TEAM: "ENG"}) as linear,
        FakeStatuspage() as statuspage,
        FakePagerDuty() as pagerduty,
    ):
        yield Trackers(github, jira, linear), statuspage, pagerduty


@pytest.fixture
async def everything(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty],
) -> AsyncIterator[Warroom]:
    """warroom with a tracker, Statuspage and PagerDuty (paged at SEV1), as an operator sets
    them up."""
    trackers, statuspage, pagerduty = vendors
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    policies = tmp_path / "policies.yaml"
    paged = {"pagerduty": {"service": "Payments primary", "routing_key_env": "PD_KEY"}}
    policies.write_text(
        yaml.safe_dump(
            {
                "policies": {"payments": {"levels": [{"timeout": "10m", "targets": [paged]}]}},
                "severities": {"SEV1": "payments"},
            }
        )
    )
    paging = Settings.from_env(
        {
            "WARROOM_ESCALATION_POLICIES": str(policies),
            "PD_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.events_url,
        }
    )
    settings: dict[str, Any] = {
        **settings_from(tracker_env(trackers, WARROOM_TRACKER="github")),
        **statuspage_settings(statuspage, WARROOM_LANGUAGE="en"),
        "escalation__policies": paging.escalation.policies,
        "escalation__pager_keys": paging.escalation.pager_keys,
        "escalation__pagerduty_events_url": paging.escalation.pagerduty_events_url,
    }
    async with running_warroom(slack, sqlite_url, **settings) as running:
        yield running


async def as_slack_sends(warroom: Warroom, channel_id: str, text: str, user: str = ALICE) -> None:
    """``/incident <text>`` with ``text`` already in Slack's encoding, sent as it is (what a
    slash command with a labelled link carries; the composer cannot type one), then settle."""
    await warroom.slack.send_command("", slack_text=text, user=user, channel=channel_id)
    await settle(warroom)


def shows_nothing_of_slack(text: str) -> None:
    for construct in SLACK_ONLY:
        assert construct not in text, f"{construct!r} in {text!r}"


def rendered_text(markdown: str) -> str:
    """What a reader sees of Markdown: rendered (CommonMark), tags taken off, entities read."""
    rendered = markdown_to_html(markdown)
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def inert_in_github(shown: str) -> None:
    """Nothing GitHub (or Linear) would turn into a mention or a cross-reference (inside a URL
    it links, it reads none)."""
    outside_links = re.sub(r"https?://[^\s<]+", "", shown)
    assert GITHUB_REFERENCE.search(outside_links) is None, shown


async def test_an_update_with_links_and_mentions_reads_right_in_every_output(
    everything: Warroom, vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty]
) -> None:
    trackers, statuspage, pagerduty = vendors
    channel = await declare_incident(everything.slack, WORDS, pinned=True, as_slack_sends=True)
    async with session_scope(everything.engine) as session:
        await remember_names(session, {BOB: "Bob Okafor"}, everything.clock())
        await session.commit()

    await as_slack_sends(everything, channel.id, "sev 1")
    await as_slack_sends(everything, channel.id, "public Images &amp; video, API")
    await as_slack_sends(everything, channel.id, f"update --public {WORDS}")
    await as_slack_sends(everything, channel.id, f"action --file {WORDS}")

    # The channel's name: the title as people read it, no entity's letters.
    assert channel.name.startswith(
        "inc-1-payments-checkout-degraded-see-https-status-example-com-incidents-42"
    ), channel.name
    assert "-amp-" not in channel.name and "u0bob" not in channel.name

    # PagerDuty's summary: plain, the person by the name warroom knows.
    (trigger,) = [e for e in pagerduty.events if e["event_action"] == "trigger"]
    assert trigger["payload"]["summary"] == "[INC-1 SEV1] " + TITLE.format(bob="Bob Okafor")

    # Statuspage: the incident's name from its components, the body plain, the person as
    # the mention's label (what was typed), never the name the directory gave warroom.
    (incident,) = statuspage.incidents.values()
    assert incident.name == "Incident affecting Images & video, API"
    bodies = [update["body"] for update in incident.updates]
    assert READ.format(bob="bob") in bodies
    for body in bodies:
        shows_nothing_of_slack(body)

    # /status: the words as HTML, the links as anchors that pass the page nothing.
    status, page, _ = await get(everything, "/status")
    assert status == 200
    assert (
        '<a href="https://cdn.example.com/status" rel="nofollow noopener noreferrer">CDN status</a>'
        in page
    )
    assert '<a href="https://status.example.com/incidents/42" rel="nofollow noopener' in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert TITLE.format(bob="bob") in shown and "Okafor" not in shown
    assert "Affected: Images & video, API" in shown
    shows_nothing_of_slack(shown)
    assert "&amp;amp;" not in page

    # The feed: plain text in XML elements, links by label and address.
    _, feed, _ = await get(everything, "/status/feed.atom")
    root = ET.fromstring(feed)
    texts = ["".join(p.itertext()) for p in root.iter("{http://www.w3.org/1999/xhtml}p")]
    assert READ.format(bob="bob") in texts
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2005/Atom}title")]
    for text in texts + titles:
        shows_nothing_of_slack(text)

    # The tracker issue: a plain title, a body of inert Markdown.
    (issue,) = trackers.github.issues
    assert issue.title.replace(ZWSP, "") == TITLE.format(bob="Bob Okafor") + " (INC-1)"
    inert_in_github(issue.title)
    body = rendered_text(issue.body)
    assert READ.format(bob="Bob Okafor") in body.replace(ZWSP, "")
    assert "Follow-up from incident INC-1 (SEV1): " + TITLE.format(bob="Bob Okafor") in (
        body.replace(ZWSP, "").replace(" (https://cdn.example.com/status)", "")
    )
    inert_in_github(body)
    shows_nothing_of_slack(body)


async def test_a_public_update_shows_what_was_typed_never_what_the_directory_knows(
    everything: Warroom, vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty]
) -> None:
    """A person is the label their mention carried (``@claire``), else nothing of them; the
    war room's channel is never named (its name is the internal title's slug)."""
    _, statuspage, _ = vendors
    channel = await declare_incident(
        everything.slack, "Falcon merger database leak", pinned=True, as_slack_sends=True
    )
    assert channel.name == "inc-1-falcon-merger-database-leak"
    async with session_scope(everything.engine) as session:
        await remember_names(
            session, {"U0CLAIRE01": "Claire Dubois", BOB: "Bob Okafor"}, everything.clock()
        )
        await session.commit()
    await as_slack_sends(everything, channel.id, "public Checkout")
    typed = (
        f"Fixed with <@U0CLAIRE01|claire> and <@{BOB}>, follow"
        f" <#{channel.id}|{channel.name}> or <https://status.example.com/42|our notes>"
    )
    await as_slack_sends(everything, channel.id, f"update --public {typed}")
    read = "Fixed with @claire and , follow  or our notes"

    def nothing_internal(text: str) -> None:
        for internal in ("Claire", "Dubois", "Bob", "Okafor", "someone", "falcon", "inc-1"):
            assert internal not in text, f"{internal!r} in {text!r}"
        shows_nothing_of_slack(text)

    (incident,) = statuspage.incidents.values()
    (body,) = [u["body"] for u in incident.updates if "Fixed" in u["body"]]
    assert body == read.replace("our notes", "our notes (https://status.example.com/42)")
    nothing_internal(body)
    _, page, _ = await get(everything, "/status")
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert read in shown
    nothing_internal(shown)
    _, feed, _ = await get(everything, "/status/feed.atom")
    texts = [
        "".join(p.itertext()) for p in ET.fromstring(feed).iter("{http://www.w3.org/1999/xhtml}p")
    ]
    assert body in texts
    for text in texts:
        nothing_internal(text)


@pytest.mark.parametrize("tracker", ["github", "jira", "linear"])
async def test_a_follow_up_notifies_links_and_loads_nothing_in_the_tracker(
    everything: Warroom, vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty], tracker: str
) -> None:
    trackers, _, _ = vendors
    channel = await declare_incident(
        everything.slack, "Checkout down", pinned=True, as_slack_sends=True
    )
    typed = (
        "check the CDN &amp; DNS with <@U0CAROL|carol> <!subteam^S0DBATEAM|@dba-team> <!here>,"
        " @octocat and @acme/sre, see #123, acme/infra#7 and GH-9, mail ops@acme.example,"
        " ![logo](https://evil.example/x.png) [click](https://evil.example)"
        " &lt;img src=https://evil.example/y.png&gt; &lt;b&gt;bold&lt;/b&gt;"
        " (<https://www.npmjs.com/package/@acme/sdk#1>)"
    )

    await as_slack_sends(everything, channel.id, f"action --file={tracker} {typed}")

    (issue,) = trackers.of(tracker).issues
    title = issue.title.replace(ZWSP, "")
    assert title.startswith("check the CDN & DNS with @Carol") or title.startswith(
        "check the CDN & DNS with @carol"
    ), title
    # Characters, in plain text (the title may be cut after them: Carol is named from Slack
    # on first sight, "@Carol Tanaka").
    assert "<img src=https://evil.example" in title
    shows_nothing_of_slack(title)
    if tracker == "jira":
        # Atlassian Document Format: text nodes, shown as they are; no mention, media or
        # link node made of what the person typed.
        nodes = [n for p in issue.body["content"] for n in p.get("content", [])]
        assert {n["type"] for n in nodes} == {"text"}
        people = [n for n in nodes if n["text"].startswith("check the CDN")]
        (words,) = people
        assert words["text"].startswith("check the CDN & DNS with @")
        said = words["text"]
        assert "<b>bold</b>" in said and "![logo](https://evil.example/x.png)" in said
        assert "marks" not in words
        shows_nothing_of_slack(json.dumps(issue.body, ensure_ascii=False))
        return
    inert_in_github(issue.title)
    shown = rendered_text(issue.body)
    inert_in_github(shown)
    shows_nothing_of_slack(shown)
    plain = shown.replace(ZWSP, "")
    assert "@dba-team @here, @octocat and @acme/sre, see #123, acme/infra#7 and GH-9" in plain
    assert "mail ops@acme.example" in plain  # an address stays one
    assert "![logo](https://evil.example/x.png) [click](https://evil.example)" in plain
    assert "<img src=https://evil.example/y.png> <b>bold</b>" in plain
    # A link's address is left whole: the tracker links it and reads no reference inside.
    assert "https://www.npmjs.com/package/@acme/sdk\\#1\\)" in issue.body


async def test_a_private_incident_names_nobody_in_the_tracker(
    everything: Warroom, vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty]
) -> None:
    trackers, _, _ = vendors
    channel = await declare_incident(
        everything.slack, "--private Payroll export leaked", pinned=True, as_slack_sends=True
    )

    await as_slack_sends(
        everything,
        channel.id,
        "action --file <@U0BOB|bob> rotate the export key with <@U0CAROL|carol> and"
        " <@U0ALICE> (<https://vault.example.com/keys|the vault>)",
    )

    (issue,) = trackers.github.issues
    for text in (issue.title, rendered_text(issue.body)):
        lowered = text.lower()
        assert "carol" not in lowered and "alice" not in lowered and "bob" not in lowered
        assert "tanaka" not in lowered and "okafor" not in lowered and "moreau" not in lowered
        shows_nothing_of_slack(text)
        assert "U0CAROL" not in text and "U0ALICE" not in text
    assert issue.title.replace(ZWSP, "") == (
        "rotate the export key with someone and someone (the vault) (INC-1)"
    )
    assert "Payroll" not in issue.title and "Payroll" not in issue.body


async def test_a_title_with_entities_and_a_mention_makes_a_clean_channel_name(
    everything: Warroom,
) -> None:
    channel = await declare_incident(
        everything.slack,
        "Images &amp; thumbnails &lt;broken&gt; for <@U0BOB|bob>",
        pinned=True,
        as_slack_sends=True,
    )

    assert channel.name == "inc-1-images-thumbnails-broken-for-bob"
    async with session_scope(everything.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.channel_name == channel.name


async def test_a_public_update_reads_as_slack_shows_it_never_as_its_markup(
    everything: Warroom, vendors: tuple[Trackers, FakeStatuspage, FakePagerDuty]
) -> None:
    """Customers read what the writer saw in Slack: bold and italics on the status page, an
    emoji as its character everywhere (the page, the feed, Statuspage), never ``*`` or
    ``:warning:`` as typed."""
    _, statuspage, _ = vendors
    channel = await declare_incident(everything.slack, "Checkout degraded", pinned=True)
    await as_slack_sends(everything, channel.id, "public Checkout")
    typed = "*Checkout is slow* :warning: for _some_ customers\n&gt; retrying helps"
    await as_slack_sends(everything, channel.id, f"update --public {typed}")

    _, page, _ = await get(everything, "/status")
    assert "<strong>Checkout is slow</strong> \u26a0\ufe0f for <em>some</em> customers" in page
    assert "<blockquote>retrying helps</blockquote>" in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert ":warning:" not in shown and "*Checkout" not in shown and "_some_" not in shown
    (incident,) = statuspage.incidents.values()
    (body,) = [u["body"] for u in incident.updates if "Checkout is slow" in u["body"]]
    assert "\u26a0" in body and ":warning:" not in body
    _, feed, _ = await get(everything, "/status/feed.atom")
    assert "\u26a0" in feed and ":warning:" not in feed
