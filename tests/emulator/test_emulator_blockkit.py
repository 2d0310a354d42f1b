"""The emulator refuses Block Kit that Slack refuses (emulator/blockkit.py).

Unit tests of the validator take each documented limit exactly at the limit (accepted) and one
past it (refused, with Slack's message and JSON pointer). The over-HTTP tests drive the fake
Web API with the real slack_sdk client, as the bot does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from emulator import SlackEmulator
from emulator.blockkit import bare, message_problems, truncate_text, view_problems
from emulator.blockkit_schema import MESSAGE_TEXT_MAX, TRUNCATION_MESSAGE
from tests.helpers.fake_bot import refused, serving

ALICE = "U0ALICE"
X = "x"


# -- builders ----------------------------------------------------------------------------------
def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def modal(*blocks: Any, **fields: Any) -> dict[str, Any]:
    view = {"type": "modal", "title": pt("Declare"), "submit": pt("Go"), "blocks": list(blocks)}
    return view | fields


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def section(text: str = "hello") -> dict[str, Any]:
    return {"type": "section", "text": md(text)}


def actions(*elements: Any) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def input_block(element: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "input", "label": pt("Label"), "element": element} | fields


def button(**fields: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt("Ack")} | fields


def option(value: str = "a", **fields: Any) -> dict[str, Any]:
    return {"text": pt(value), "value": value} | fields


def options(count: int) -> list[dict[str, Any]]:
    return [option(f"v{index}") for index in range(count)]


def select(**fields: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "options": [option()]} | fields


def grouped(groups: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "option_groups": groups} | fields


def group(label: str = "G", count: int = 1) -> dict[str, Any]:
    return {"label": pt(label), "options": options(count)}


def checkboxes(**fields: Any) -> dict[str, Any]:
    return {"type": "checkboxes", "action_id": "check", "options": [option()]} | fields


def radios(**fields: Any) -> dict[str, Any]:
    return {"type": "radio_buttons", "action_id": "radio", "options": [option()]} | fields


def text_input(**fields: Any) -> dict[str, Any]:
    return {"type": "plain_text_input", "action_id": "title"} | fields


def image(**fields: Any) -> dict[str, Any]:
    return {"type": "image", "alt_text": "a cat", "image_url": "https://e.example/cat.png"} | fields


def confirm(**fields: Any) -> dict[str, Any]:
    return {"title": pt("Sure?"), "text": pt("Really"), "confirm": pt("Yes"), "deny": pt("No")} | (
        fields
    )


def url(length: int) -> str:
    prefix = "https://e.example/"
    return prefix + X * (length - len(prefix))


def msg(*blocks: Any) -> list[str]:
    return message_problems(list(blocks))


def view(value: dict[str, Any]) -> list[str]:
    return view_problems(value)


def error(reason: str, pointer: str) -> str:
    return f"[ERROR] {reason} [json-pointer:{pointer}]"


# -- string lengths: at the limit accepted, one over refused -----------------------------------
Check = Callable[[int], list[str]]
LENGTHS: list[tuple[str, int, Check, str]] = [
    (
        "section text",
        3000,
        lambda n: msg({"type": "section", "text": md(X * n)}),
        "/blocks/0/text/text",
    ),
    (
        "section field",
        2000,
        lambda n: msg({"type": "section", "fields": [md(X * n)]}),
        "/blocks/0/fields/0/text",
    ),
    (
        "header text",
        150,
        lambda n: msg({"type": "header", "text": pt(X * n)}),
        "/blocks/0/text/text",
    ),
    ("block_id", 255, lambda n: msg(divider() | {"block_id": X * n}), "/blocks/0/block_id"),
    (
        "context text object",
        3000,
        lambda n: msg({"type": "context", "elements": [md(X * n)]}),
        "/blocks/0/elements/0/text",
    ),
    (
        "input label",
        2000,
        lambda n: view(modal(input_block(text_input(), label=pt(X * n)))),
        "/view/blocks/0/label/text",
    ),
    (
        "input hint",
        2000,
        lambda n: view(modal(input_block(text_input(), hint=pt(X * n)))),
        "/view/blocks/0/hint/text",
    ),
    ("image alt_text", 2000, lambda n: msg(image(alt_text=X * n)), "/blocks/0/alt_text"),
    ("image_url", 3000, lambda n: msg(image(image_url=url(n))), "/blocks/0/image_url"),
    ("image title", 2000, lambda n: msg(image(title=pt(X * n))), "/blocks/0/title/text"),
    (
        "button text",
        75,
        lambda n: msg(actions(button(text=pt(X * n)))),
        "/blocks/0/elements/0/text/text",
    ),
    (
        "button value",
        2000,
        lambda n: msg(actions(button(value=X * n))),
        "/blocks/0/elements/0/value",
    ),
    ("button url", 3000, lambda n: msg(actions(button(url=url(n)))), "/blocks/0/elements/0/url"),
    (
        "button action_id",
        255,
        lambda n: msg(actions(button(action_id=X * n))),
        "/blocks/0/elements/0/action_id",
    ),
    (
        "button accessibility_label",
        75,
        lambda n: msg(actions(button(accessibility_label=X * n))),
        "/blocks/0/elements/0/accessibility_label",
    ),
    (
        "select placeholder",
        150,
        lambda n: view(modal(input_block(select(placeholder=pt(X * n))))),
        "/view/blocks/0/element/placeholder/text",
    ),
    (
        "text input placeholder",
        150,
        lambda n: view(modal(input_block(text_input(placeholder=pt(X * n))))),
        "/view/blocks/0/element/placeholder/text",
    ),
    (
        "text input action_id",
        255,
        lambda n: view(modal(input_block(text_input(action_id=X * n)))),
        "/view/blocks/0/element/action_id",
    ),
    (
        "option text",
        75,
        lambda n: msg(actions(select(options=[option(text=pt(X * n))]))),
        "/blocks/0/elements/0/options/0/text/text",
    ),
    (
        "option value",
        150,
        lambda n: msg(actions(select(options=[option(X * n, text=pt("a"))]))),
        "/blocks/0/elements/0/options/0/value",
    ),
    (
        "option description",
        75,
        lambda n: view(modal(input_block(checkboxes(options=[option(description=pt(X * n))])))),
        "/view/blocks/0/element/options/0/description/text",
    ),
    (
        "option group label",
        75,
        lambda n: msg(actions(grouped([group(X * n)]))),
        "/blocks/0/elements/0/option_groups/0/label/text",
    ),
    (
        "confirm title",
        100,
        lambda n: msg(actions(button(confirm=confirm(title=pt(X * n))))),
        "/blocks/0/elements/0/confirm/title/text",
    ),
    (
        "confirm text",
        300,
        lambda n: msg(actions(button(confirm=confirm(text=md(X * n))))),
        "/blocks/0/elements/0/confirm/text/text",
    ),
    (
        "confirm button",
        30,
        lambda n: msg(actions(button(confirm=confirm(confirm=pt(X * n))))),
        "/blocks/0/elements/0/confirm/confirm/text",
    ),
    (
        "confirm deny",
        30,
        lambda n: msg(actions(button(confirm=confirm(deny=pt(X * n))))),
        "/blocks/0/elements/0/confirm/deny/text",
    ),
    ("modal title", 24, lambda n: view(modal(title=pt(X * n))), "/view/title/text"),
    ("modal submit", 24, lambda n: view(modal(submit=pt(X * n))), "/view/submit/text"),
    ("modal close", 24, lambda n: view(modal(close=pt(X * n))), "/view/close/text"),
    (
        "private_metadata",
        3000,
        lambda n: view(modal(private_metadata=X * n)),
        "/view/private_metadata",
    ),
    ("callback_id", 255, lambda n: view(modal(callback_id=X * n)), "/view/callback_id"),
    ("external_id", 255, lambda n: view(modal(external_id=X * n)), "/view/external_id"),
    (
        "home private_metadata",
        3000,
        lambda n: view({"type": "home", "blocks": [], "private_metadata": X * n}),
        "/view/private_metadata",
    ),
    (
        "initial_value within max_length",
        20,
        lambda n: view(modal(input_block(text_input(max_length=20, initial_value=X * n)))),
        "/view/blocks/0/element/initial_value",
    ),
    (
        "initial_value without max_length",
        3000,
        lambda n: view(modal(input_block(text_input(initial_value=X * n)))),
        "/view/blocks/0/element/initial_value",
    ),
]


@pytest.mark.parametrize(
    ("limit", "check", "pointer"),
    [case[1:] for case in LENGTHS],
    ids=[case[0] for case in LENGTHS],
)
def test_string_limits(limit: int, check: Check, pointer: str) -> None:
    assert check(limit) == []
    over = check(limit + 1)
    assert error(f"must be less than {limit + 1} characters", pointer) in over


# -- item counts -------------------------------------------------------------------------------
COUNTS: list[tuple[str, int, Check, str]] = [
    ("message blocks", 50, lambda n: msg(*[divider()] * n), "/blocks"),
    ("modal blocks", 100, lambda n: view(modal(*[divider()] * n)), "/view/blocks"),
    (
        "home blocks",
        100,
        lambda n: view({"type": "home", "blocks": [divider()] * n}),
        "/view/blocks",
    ),
    (
        "section fields",
        10,
        lambda n: msg({"type": "section", "fields": [md("f")] * n}),
        "/blocks/0/fields",
    ),
    (
        "context elements",
        10,
        lambda n: msg({"type": "context", "elements": [md("c")] * n}),
        "/blocks/0/elements",
    ),
    (
        "actions elements",
        25,
        lambda n: msg(actions(*[button(action_id=f"b{index}") for index in range(n)])),
        "/blocks/0/elements",
    ),
    (
        "select options",
        100,
        lambda n: msg(actions(select(options=options(n)))),
        "/blocks/0/elements/0/options",
    ),
    (
        "select option_groups",
        100,
        lambda n: msg(actions(grouped([group(f"g{index}") for index in range(n)]))),
        "/blocks/0/elements/0/option_groups",
    ),
    (
        "options of a group",
        100,
        lambda n: msg(actions(grouped([group("g", n)]))),
        "/blocks/0/elements/0/option_groups/0/options",
    ),
    (
        "multi-select options",
        100,
        lambda n: msg(actions(select(type="multi_static_select", options=options(n)))),
        "/blocks/0/elements/0/options",
    ),
    (
        "checkboxes options",
        10,
        lambda n: view(modal(input_block(checkboxes(options=options(n))))),
        "/view/blocks/0/element/options",
    ),
    (
        "radio button options",
        10,
        lambda n: view(modal(input_block(radios(options=options(n))))),
        "/view/blocks/0/element/options",
    ),
]


@pytest.mark.parametrize(
    ("limit", "check", "pointer"),
    [case[1:] for case in COUNTS],
    ids=[case[0] for case in COUNTS],
)
def test_item_limits(limit: int, check: Check, pointer: str) -> None:
    assert check(limit) == []
    assert error(f"no more than {limit} items allowed", pointer) in check(limit + 1)


@pytest.mark.parametrize(("field", "low"), [("max_length", 1), ("min_length", 0)])
def test_text_input_length_bounds(field: str, low: int) -> None:
    def check(value: int) -> list[str]:
        return view(modal(input_block(text_input(**{field: value}))))

    assert check(3000) == [] and check(low) == []
    pointer = f"/view/blocks/0/element/{field}"
    assert error(f"must be between {low} and 3000", pointer) in check(3001)
    assert error(f"must be between {low} and 3000", pointer) in check(low - 1)


# -- structure ---------------------------------------------------------------------------------
def test_the_slack_wording_of_a_text_problem() -> None:
    # As Slack answered for a long section text (bolt-python #1016-era reports).
    assert msg(section(X * 3001)) == [
        error("failed to match all allowed schemas", "/blocks/0/text"),
        error("must be less than 3001 characters", "/blocks/0/text/text"),
    ]
    assert bare(msg(section(X * 3001))[1]) == (
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    )


def test_text_objects() -> None:
    assert msg(section("")) == [
        error("failed to match all allowed schemas", "/blocks/0/text"),
        error("must be more than 0 characters", "/blocks/0/text/text"),
    ]
    assert msg({"type": "section", "text": pt("x") | {"emoji": True}}) == []
    assert error("invalid additional property: emoji", "/blocks/0/text") in msg(
        {"type": "section", "text": md("x") | {"emoji": True}}
    )
    assert msg({"type": "section", "text": md("x") | {"verbatim": True}}) == []
    assert error("must be one of: plain_text, mrkdwn", "/blocks/0/text/type") in msg(
        {"type": "section", "text": {"type": "markdown", "text": "x"}}
    )
    # header text (and button text, labels, titles) must be plain_text
    assert error("must be one of: plain_text", "/blocks/0/text/type") in msg(
        {"type": "header", "text": md("x")}
    )
    assert error("must provide an object", "/blocks/0/text") in msg(
        {"type": "section", "text": "plain string"}
    )


def test_blocks_and_their_fields() -> None:
    assert msg(divider(), section(), image(), {"type": "header", "text": pt("H")}) == []
    assert error("must define either `text` or `fields`", "/blocks/0") in msg({"type": "section"})
    assert error("unsupported type: markdown", "/blocks/0/type") in msg(
        {"type": "markdown", "text": "x"}
    )
    assert error("missing required field: type", "/blocks/0") in msg({"text": md("x")})
    assert error("must provide an object", "/blocks/0") in msg("divider")
    assert error("must provide an array", "/blocks") in message_problems({"type": "divider"})
    assert error("invalid additional property: action_id", "/blocks/0") in msg(
        divider() | {"action_id": "a"}
    )
    assert error("must provide exactly one of image_url or slack_file", "/blocks/0") in msg(
        {"type": "image", "alt_text": "no source"}
    )


def test_context_elements() -> None:
    element = {"type": "image", "image_url": "https://e.example/a.png", "alt_text": "a"}
    assert msg({"type": "context", "elements": [element, md("m"), pt("p")]}) == []
    assert error("unsupported type: button", "/blocks/0/elements/0/type") in msg(
        {"type": "context", "elements": [button()]}
    )


def test_block_ids_are_unique_within_a_message_or_view() -> None:
    assert msg(divider() | {"block_id": "a"}, divider() | {"block_id": "b"}) == []
    duplicate = error("duplicate block_id: a", "/blocks/1/block_id")
    assert duplicate in msg(divider() | {"block_id": "a"}, section() | {"block_id": "a"})
    assert error("duplicate block_id: a", "/view/blocks/1/block_id") in view(
        modal(divider() | {"block_id": "a"}, divider() | {"block_id": "a"})
    )


def test_input_blocks_belong_to_views() -> None:
    block = input_block(text_input())
    assert view(modal(block)) == []
    assert msg(block) == [error("unsupported type: input", "/blocks/0/type")]
    assert error("missing required field: element", "/view/blocks/0") in view(
        modal({"type": "input", "label": pt("L")})
    )
    assert error("unsupported type: button", "/view/blocks/0/element/type") in view(
        modal(input_block(button()))
    )


def test_buttons() -> None:
    assert msg(actions(button(style="primary"), button(style="danger", action_id="d"))) == []
    assert error("must be one of: primary, danger", "/blocks/0/elements/0/style") in msg(
        actions(button(style="green"))
    )
    assert error("missing required field: text", "/blocks/0/elements/0") in msg(
        actions({"type": "button", "action_id": "a"})
    )
    assert error("duplicate action_id: a", "/blocks/0/elements/1/action_id") in msg(
        actions(button(action_id="a"), button(action_id="a"))
    )
    assert error("invalid additional property: block_id", "/blocks/0/elements/0") in msg(
        actions(button(block_id="b"))
    )
    assert msg({"type": "section", "text": md("x"), "accessory": button()}) == []


def overflow(**fields: Any) -> dict[str, Any]:
    return {"type": "overflow", "action_id": "more", "options": options(2)} | fields


def test_overflow_menus_take_one_to_five_plain_text_options() -> None:
    """Slack's overflow menu page: in a section's accessory or an actions block, "up to five
    option objects" (plain_text; a `url` allowed there alone), `confirm`; nothing else."""
    linked = option("docs", url="https://e.example/runbook")
    confirm = {
        "title": pt("Sure?"),
        "text": pt("All of them"),
        "confirm": pt("Yes"),
        "deny": pt("No"),
    }
    assert msg(actions(overflow(options=[*options(4), linked], confirm=confirm))) == []
    assert (
        msg({"type": "section", "text": md("x"), "accessory": overflow(options=options(1))}) == []
    )
    assert error("no more than 5 items allowed", "/blocks/0/elements/0/options") in msg(
        actions(overflow(options=options(6)))
    )
    assert error("no fewer than 1 items allowed", "/blocks/0/elements/0/options") in msg(
        actions(overflow(options=[]))
    )
    assert error("missing required field: options", "/blocks/0/elements/0") in msg(
        actions({"type": "overflow", "action_id": "more"})
    )
    assert error("missing required field: value", "/blocks/0/elements/0/options/0") in msg(
        actions(overflow(options=[{"text": pt("a")}]))
    )
    assert error("must be one of: plain_text", "/blocks/0/elements/0/options/0/text/type") in msg(
        actions(overflow(options=[option("a", text=md("*a*"))]))
    )
    assert error("invalid additional property: placeholder", "/blocks/0/elements/0") in msg(
        actions(overflow(placeholder=pt("More")))
    )
    # Only in sections and actions blocks: not an input's element, not a context's.
    assert error("unsupported type: overflow", "/view/blocks/0/element/type") in view(
        modal(input_block(overflow()))
    )


def test_initial_options_must_match_an_option_exactly() -> None:
    choices = [option("a"), option("b")]
    assert msg(actions(select(options=choices, initial_option=option("b")))) == []
    near = option("b") | {"text": pt("B")}
    assert error(
        "must exactly match one of the options", "/blocks/0/elements/0/initial_option"
    ) in (msg(actions(select(options=choices, initial_option=near))))
    groups = [group("g", 2)]
    assert msg(actions(grouped(groups, initial_option=option("v1")))) == []
    boxes = checkboxes(options=choices, initial_options=[option("a")])
    assert view(modal(input_block(boxes))) == []
    boxes = checkboxes(options=choices, initial_options=[option("c")])
    pointer = "/view/blocks/0/element/initial_options/0"
    assert error("must exactly match one of the options", pointer) in view(
        modal(input_block(boxes))
    )
    assert error(
        "must exactly match one of the options", "/view/blocks/0/element/initial_option"
    ) in view(modal(input_block(radios(initial_option=option("z")))))


def test_selects_take_options_or_groups_and_plain_text() -> None:
    both = select(option_groups=[group()])
    assert error(
        "must provide exactly one of options or option_groups", "/blocks/0/elements/0"
    ) in (msg(actions(both)))
    mrkdwn = select(options=[{"text": md("*a*"), "value": "a"}])
    assert error("must be one of: plain_text", "/blocks/0/elements/0/options/0/text/type") in msg(
        actions(mrkdwn)
    )
    # checkboxes and radio buttons may use mrkdwn, descriptions included
    fancy = option("a", text=md("*a*"), description=md("_why_"))
    assert view(modal(input_block(checkboxes(options=[fancy])))) == []
    # url is only for overflow menus
    assert error("invalid additional property: url", "/blocks/0/elements/0/options/0") in msg(
        actions(select(options=[option(url="https://e.example")]))
    )


def test_plain_text_input() -> None:
    assert view(modal(input_block(text_input(min_length=5, max_length=5)))) == []
    assert error("must not be more than max_length", "/view/blocks/0/element/min_length") in view(
        modal(input_block(text_input(min_length=6, max_length=5)))
    )
    assert error("must provide an integer", "/view/blocks/0/element/max_length") in view(
        modal(input_block(text_input(max_length="20")))
    )


def test_date_pickers() -> None:
    """https://docs.slack.dev/reference/block-kit/block-elements/date-picker-element"""
    picker = {"type": "datepicker", "action_id": "due"}
    assert view(modal(input_block(picker | {"initial_date": "2026-03-13"}))) == []
    assert msg(actions(picker), {"type": "section", "text": md("x"), "accessory": picker}) == []
    pointer = "/view/blocks/0/element/initial_date"
    for wrong in ("2026-3-13", "2026-02-30", "13/03/2026", 20260313):
        problems = view(modal(input_block(picker | {"initial_date": wrong})))
        assert error("must be a date in the format YYYY-MM-DD", pointer) in problems, wrong
    assert error("invalid additional property: min_date", "/view/blocks/0/element") in view(
        modal(input_block(picker | {"min_date": "2026-01-01"}))
    )


def test_views() -> None:
    assert view(modal()) == []
    assert view({"type": "home", "blocks": [section()]}) == []
    no_title = {"type": "modal", "blocks": []}
    assert view(no_title) == [
        error("failed to match all allowed schemas", "/view"),
        error("missing required field: title", "/view"),
    ]
    assert error("unsupported type: dialog", "/view/type") in view({"type": "dialog"})
    assert error("must provide an object", "/view") in view_problems("modal")
    assert error("invalid additional property: title", "/view") in view(
        {"type": "home", "blocks": [], "title": pt("Home")}
    )
    no_submit = {
        "type": "modal",
        "title": pt("T"),
        "blocks": [divider(), input_block(text_input())],
    }
    assert error(
        "must define `submit` to use an `input` block in modals", "/view/blocks/1/input"
    ) in view(no_submit)
    assert view(no_submit | {"submit": pt("Go")}) == []


def test_rich_text_is_accepted_structurally() -> None:
    rich = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}],
    }
    assert msg(rich) == []
    assert error("unsupported type: rich_text_table", "/blocks/0/elements/0/type") in msg(
        {"type": "rich_text", "elements": [{"type": "rich_text_table", "elements": []}]}
    )


def test_truncate_text() -> None:
    assert truncate_text(X * MESSAGE_TEXT_MAX) == (X * MESSAGE_TEXT_MAX, False)
    cut, truncated = truncate_text("é" * (MESSAGE_TEXT_MAX + 1))
    assert truncated and cut == "é" * MESSAGE_TEXT_MAX


# -- over HTTP, with the slack_sdk client ------------------------------------------------------
@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as slack:
        slack.add_user(ALICE, "alice", "Alice Adams")
        slack.create_channel("general", creator=ALICE, members=[slack.bot_user_id])
        yield slack


@pytest.fixture
def web_client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)


def general(emu: SlackEmulator) -> str:
    channel = emu.channel_by_name("general")
    assert channel is not None
    return channel.id


async def refused_with(call: Any) -> dict[str, Any]:
    """Slack's answer to a refused call: HTTP 200 with ``ok: false`` and its details."""
    error = await refused(call)
    assert error.response.status_code == 200
    return dict(error.response.data)


async def test_views_open_refuses_a_long_option_description(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    def declare(description: str) -> dict[str, Any]:
        visibility = checkboxes(options=[option("private", description=pt(description))])
        return modal(input_block(text_input(), block_id="title"), input_block(visibility))

    answer = await refused_with(
        web_client.views_open(trigger_id=emu.issue_trigger_id(ALICE), view=declare(X * 76))
    )
    assert answer["ok"] is False and answer["error"] == "invalid_arguments"
    pointer = "/view/blocks/1/element/options/0/description/text"
    assert (
        error("must be less than 76 characters", pointer)
        in (answer["response_metadata"]["messages"])
    )
    assert not emu.views

    opened = await web_client.views_open(
        trigger_id=emu.issue_trigger_id(ALICE), view=json.dumps(declare(X * 75))
    )
    assert opened["view"]["id"] in emu.views


async def test_views_update_and_push_check_the_view(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    opened = await web_client.views_open(trigger_id=emu.issue_trigger_id(ALICE), view=modal())
    view_id = opened["view"]["id"]
    answer = await refused_with(
        web_client.views_update(view_id=view_id, view=modal(title=pt(X * 25)))
    )
    assert answer["error"] == "invalid_arguments"
    assert (
        error("must be less than 25 characters", "/view/title/text")
        in (answer["response_metadata"]["messages"])
    )
    assert emu.views[view_id]["title"] == pt("Declare")
    pushed = web_client.views_push(
        trigger_id=emu.issue_trigger_id(ALICE), view=modal(private_metadata=X * 3001)
    )
    answer = await refused_with(pushed)
    assert (
        error("must be less than 3001 characters", "/view/private_metadata")
        in (answer["response_metadata"]["messages"])
    )


async def test_a_message_of_51_blocks_is_refused(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    channel = general(emu)
    answer = await refused_with(
        web_client.chat_postMessage(channel=channel, text="t", blocks=[divider()] * 51)
    )
    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [
        error("no more than 50 items allowed", "/blocks")
    ]
    assert answer["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert not emu.channels[channel].messages

    posted = await web_client.chat_postMessage(channel=channel, text="t", blocks=[divider()] * 50)
    assert len(emu.channels[channel].find(posted["ts"]).blocks or []) == 50  # type: ignore[union-attr]


async def test_blocks_of_every_message_method_are_checked(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    channel = general(emu)
    bad = [{"type": "header", "text": pt(X * 151)}]
    ephemeral = await refused_with(
        web_client.chat_postEphemeral(channel=channel, user=ALICE, text="t", blocks=bad)
    )
    assert ephemeral["error"] == "invalid_blocks" and not emu.ephemeral
    posted = await web_client.chat_postMessage(channel=channel, text="t", blocks=[section()])
    update = await refused_with(
        web_client.chat_update(channel=channel, ts=posted["ts"], blocks=bad)
    )
    assert update["error"] == "invalid_blocks"
    assert (
        error("must be less than 151 characters", "/blocks/0/text/text")
        in (update["response_metadata"]["messages"])
    )
    assert emu.channels[channel].find(posted["ts"]).blocks == [section()]  # type: ignore[union-attr]
    not_json = await refused_with(
        web_client.chat_update(channel=channel, ts=posted["ts"], blocks="[{not json")
    )
    assert not_json["error"] == "invalid_blocks_format"
    not_list = await refused_with(
        web_client.chat_postMessage(channel=channel, text="t", blocks=json.dumps(section()))
    )
    assert not_list["error"] == "invalid_blocks_format"


async def test_text_over_40000_characters_is_truncated_with_a_warning(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    channel = general(emu)
    posted = await web_client.chat_postMessage(channel=channel, text=X * (MESSAGE_TEXT_MAX + 1))
    assert posted["ok"] is True and posted["warning"] == "message_truncated"
    assert posted["response_metadata"]["warnings"] == ["message_truncated"]
    assert posted["response_metadata"]["messages"] == [TRUNCATION_MESSAGE]
    stored = emu.channels[channel].find(posted["ts"])
    assert stored is not None and stored.text == X * MESSAGE_TEXT_MAX
    assert posted["message"]["text"] == X * MESSAGE_TEXT_MAX

    exact = await web_client.chat_postMessage(channel=channel, text=X * MESSAGE_TEXT_MAX)
    assert "warning" not in exact.data

    ephemeral = await web_client.chat_postEphemeral(
        channel=channel, user=ALICE, text=X * (MESSAGE_TEXT_MAX + 1)
    )
    assert ephemeral["warning"] == "message_truncated"
    assert emu.ephemeral[-1].text == X * MESSAGE_TEXT_MAX

    too_long = await refused_with(
        web_client.chat_update(channel=channel, ts=exact["ts"], text=X * (MESSAGE_TEXT_MAX + 1))
    )
    assert too_long["error"] == "msg_too_long"


async def test_response_url_refuses_blocks_with_http_400(emu: SlackEmulator) -> None:
    channel = general(emu)
    url = f"{emu.root_url}/response/{emu.new_response_url_id(channel, ALICE)}"
    async with aiohttp.ClientSession(trust_env=False) as session:
        bad = {"text": "t", "blocks": [divider()] * 51}
        async with session.post(url, json=bad) as resp:
            assert (resp.status, await resp.text()) == (400, "invalid_blocks")
        long = {"text": X * (MESSAGE_TEXT_MAX + 1), "blocks": [section()]}
        async with session.post(url, json=long) as resp:
            assert (resp.status, await resp.text()) == (200, "ok")
    assert [(e.text, e.blocks) for e in emu.ephemeral] == [(X * MESSAGE_TEXT_MAX, [section()])]
    assert [(r.via, r.error) for r in emu.refusals] == [("response_url", "invalid_blocks")]
    assert emu.refusals[0].messages == (error("no more than 50 items allowed", "/blocks"),)


# -- the bot's acknowledgements ----------------------------------------------------------------
class Bot:
    """A bot answering every request with `reply` (signatures are not checked here)."""

    def __init__(self) -> None:
        self.reply: Callable[[], web.Response] = lambda: web.Response(text="")

    async def handle(self, _request: web.Request) -> web.Response:
        return self.reply()


@pytest.fixture
async def bot(emu: SlackEmulator) -> AsyncIterator[Bot]:
    fake = Bot()
    async with serving(emu, fake.handle):
        yield fake


async def test_a_command_ack_with_refused_blocks_shows_nothing(
    emu: SlackEmulator, bot: Bot
) -> None:
    bot.reply = lambda: web.json_response({"text": "t", "blocks": [input_block(text_input())]})
    await emu.send_command("declare", user=ALICE, channel="general")
    assert not emu.ephemeral
    assert [(r.via, r.error) for r in emu.refusals] == [("ack", "invalid_blocks")]
    assert emu.refusals[0].messages == (error("unsupported type: input", "/blocks/0/type"),)

    bot.reply = lambda: web.json_response({"text": "ok", "blocks": [section()]})
    await emu.send_command("declare", user=ALICE, channel="general")
    assert [(e.text, e.via) for e in emu.ephemeral] == [("ok", "ack")]


async def test_a_view_ack_with_a_refused_view_leaves_the_modal(
    emu: SlackEmulator, web_client: AsyncWebClient, bot: Bot
) -> None:
    opened = await web_client.views_open(trigger_id=emu.issue_trigger_id(ALICE), view=modal())
    view_id = opened["view"]["id"]
    no_submit = {"type": "modal", "title": pt("Next"), "blocks": [input_block(text_input())]}
    bot.reply = lambda: web.json_response({"response_action": "push", "view": no_submit})
    await emu.submit_view(view_id, {}, user=ALICE)
    assert list(emu.views) == [view_id]
    assert [(r.via, r.error) for r in emu.refusals] == [("view_ack:push", "invalid_arguments")]
    pointer = "/view/blocks/0/input"
    assert error("must define `submit` to use an `input` block in modals", pointer) in (
        emu.refusals[0].messages
    )

    updated = modal(title=pt("Updated"))
    bot.reply = lambda: web.json_response({"response_action": "update", "view": updated})
    await emu.submit_view(view_id, {}, user=ALICE)
    assert emu.views[view_id]["title"] == pt("Updated")


async def test_views_open_refuses_a_view_over_250_kb(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    """views.open's error table: `view_too_large`, "greater than 250kb" (250,000 bytes)."""

    def select_of(n: int) -> dict[str, Any]:
        choices = [option(f"{k:02d}" + X * 73) for k in range(100)]
        element = {"type": "static_select", "action_id": f"pick{n}", "options": choices}
        return input_block(element, block_id=f"field{n}")

    big = modal(*(select_of(n) for n in range(13)))
    assert len(json.dumps(big).encode()) > 250_000
    answer = await refused_with(
        web_client.views_open(trigger_id=emu.issue_trigger_id(ALICE), view=big)
    )
    assert answer["error"] == "view_too_large"
    assert not emu.views
    fits = modal(*(select_of(n) for n in range(10)))
    assert len(json.dumps(fits).encode()) < 250_000
    opened = await web_client.views_open(trigger_id=emu.issue_trigger_id(ALICE), view=fits)
    assert opened["view"]["id"] in emu.views
