"""Pure pieces of bot/basics/: Slack timestamps, rendering (times, durations, quoted text,
what a template makes of user text) and message links."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.basics.render import Renderer, duration_words, local_time
from bot.basics.slack_links import link_base, message_link
from bot.basics.timestamps import is_slack_ts, ts_to_datetime


@pytest.mark.parametrize(
    ("ts", "moment"),
    [
        ("1699375500.000200", datetime(2023, 11, 7, 16, 45, 0, 200, tzinfo=UTC)),
        ("1699375500.5", datetime(2023, 11, 7, 16, 45, 0, 500000, tzinfo=UTC)),
        ("0.000001", datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_a_slack_ts_is_its_moment_to_the_microsecond(ts: str, moment: datetime) -> None:
    assert is_slack_ts(ts) and ts_to_datetime(ts) == moment


@pytest.mark.parametrize(
    "ts",
    [
        "1699375500",
        "1699375500.",
        ".5",
        "1.2.3",
        "１２.3",
        "12.3\n",
        " 1.2",
        "-1.2",
        "1.1234567",
        "1234567890123.1",
        "999999999999.1",
    ],
)
def test_what_is_not_a_slack_ts_is_refused_with_a_value_error(ts: str) -> None:
    """Other scripts' digits, a trailing newline, a sign or too many digits are no Slack ts;
    twelve digits of seconds pass the shape but not the calendar (past the year 9999)."""
    with pytest.raises(ValueError, match="not a Slack timestamp"):
        ts_to_datetime(ts)
    assert not is_slack_ts(ts) or ts == "999999999999.1"


def test_times_render_in_the_zone_with_its_abbreviation() -> None:
    moment = datetime(2023, 11, 7, 16, 45, tzinfo=UTC)
    assert local_time(moment, "America/Los_Angeles", "%I:%M %p %Z") == "08:45 AM PST"
    assert local_time(moment, "Africa/Nairobi") == "19:45 EAT"
    assert local_time(None, "UTC") == "unknown"


def test_durations_read_as_words() -> None:
    start = datetime(2023, 11, 7, 16, 45, tzinfo=UTC)
    assert duration_words(start, datetime(2023, 11, 7, 18, 30, tzinfo=UTC)) == "1 hour 45 minutes"
    assert duration_words(start, datetime(2023, 11, 8, 18, 45, tzinfo=UTC)) == "1 day 2 hours"
    assert duration_words(start, None) == "unknown"


def test_user_text_cannot_ping_or_inject_through_templates() -> None:
    renderer = Renderer()
    incident = {"reference": "INC-1", "severity": "SEV2", "status": "investigating"}
    topic = renderer.render(
        "messages/channel_topic.j2",
        incident={**incident, "title": "<!channel> wake up <@U123> {{ 7*7 }} & co"},
        lead_name="<!here>",
    )
    assert "<!channel>" not in topic and "<@U123>" not in topic and "<!here>" not in topic
    assert "&lt;!channel&gt;" in topic and "{{ 7*7 }}" in topic and "&amp; co" in topic


def test_a_quoted_text_is_quoted_on_every_line_and_its_own_markup_stays_text() -> None:
    renderer = Renderer()
    origin = SimpleNamespace(
        text="replicas lag <!here>\n> the user's own quote\nthird line",
        user="U0BOB",
        ts="1700000000.000100",
    )
    shown = renderer.render(
        "messages/declared_from_message.j2",
        origin=origin,
        incident=SimpleNamespace(timezone="UTC"),
        link="https://example.slack.com/archives/C1/p1",
    )
    lines = shown.split("\n")[1:]
    assert lines[0] == ">replicas lag &lt;!here&gt;"
    assert lines[1] == ">\u200b&gt; the user's own quote"  # shown, never a nested quote
    assert lines[2] == ">third line"


# chat.getPermalink's two examples (https://api.slack.com/methods/chat.getPermalink), and an
# Enterprise Grid host: the base is whatever comes before /archives/.
@pytest.mark.parametrize(
    ("link", "channel", "ts", "thread_ts", "base"),
    [
        (
            "https://ghostbusters.slack.com/archives/C1H9RESGA/p135854651500008",
            "C1H9RESGA",
            "1358546515.00008",
            None,
            "https://ghostbusters.slack.com",
        ),
        (
            "https://ghostbusters.slack.com/archives/C1H9RESGL/p135854651700023"
            "?thread_ts=1358546515.000008&cid=C1H9RESGL",
            "C1H9RESGL",
            "1358546517.00023",
            "1358546515.000008",
            "https://ghostbusters.slack.com",
        ),
        (
            "https://acme.enterprise.slack.com/archives/C1/p1700000000000100",
            "C1",
            "1700000000.000100",
            None,
            "https://acme.enterprise.slack.com",
        ),
    ],
)
def test_a_channels_link_form_is_read_from_one_permalink_and_makes_it_again(
    link: str, channel: str, ts: str, thread_ts: str | None, base: str
) -> None:
    assert link_base(link, channel, ts, thread_ts) == base
    assert message_link(base, channel, ts, thread_ts) == link


@pytest.mark.parametrize(
    "link",
    [
        "http://acme.slack.com/archives/C1/p1700000000000100",  # not https
        "https://acme.slack.com/archives/C2/p1700000000000100",  # another channel
        "https://acme.slack.com/archives/C1/p1700000000000200",  # another message
        "https://acme.slack.com/archives/C1/p1700000000000100?thread_ts=1.2&cid=C1",  # a thread
        "https://acme.slack.com/archives/C1/p1700000000000100#top",
        "https://links.example.com/m?id=1",
    ],
)
def test_a_permalink_of_another_form_teaches_nothing(link: str) -> None:
    assert link_base(link, "C1", "1700000000.000100") is None
