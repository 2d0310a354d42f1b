"""Block Kit validation for the Slack emulator: refuse the payloads real Slack refuses.

Slack checks the `blocks` of a message (chat.postMessage, chat.update, chat.postEphemeral,
response_url posts) and the `view` of views.open/update/push against its Block Kit schema. A
payload that breaks it is answered with `invalid_blocks` (messages) or `invalid_arguments`
(views), each problem listed in `response_metadata.messages` as
"[ERROR] <reason> [json-pointer:<where>]". This module finds those problems; the api_*
modules, the response_url handler and the client turn them into Slack's answers.
The limits and the fields it checks against are in ``blockkit_schema``; the checks of elements
and composition objects in ``blockkit_elements``.

Every rule comes from Slack's documentation; the page is named where the rule is applied:

- https://docs.slack.dev/reference/block-kit/blocks (50 blocks a message, 100 a view)
- https://docs.slack.dev/reference/block-kit/composition-objects/text-object
- https://docs.slack.dev/reference/views/modal-views and
  https://api.slack.com/reference/surfaces/views (modal and home view objects)
- https://api.slack.com/changelog/2018-04-truncating-really-long-messages (40,000 characters)

The reasons copy Slack's wording where its answers have been seen in public reports:
"must be less than 3001 characters", "no more than 25 items allowed", "must provide an
object", "missing required field: name", "invalid additional property: block_id",
"unsupported type: ...", "must define `submit` to use an `input` block in modals", and the
"failed to match all allowed schemas" line Slack puts before a problem inside a text object
or a view (e.g. https://github.com/adobe/spacecat-api-service/issues/176,
https://github.com/grafana-cold-storage/oncall/pull/210). Other wordings are the emulator's.

When the documentation leaves a case open the emulator refuses (project rule): unknown
block and element types, unknown properties (Slack refuses them: "invalid additional
property"), and element types the emulator does not model (time pickers, conversation
selects, ...) are all refused as "unsupported type".

Lengths are counted the way the pages say, in characters: Python's len() of the string.

slack_sdk.models.blocks is not used: its validate_json() raises at the first problem, without
a JSON pointer, and checks only some of these limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.blockkit_elements import ERROR, ElementChecker, line
from emulator.blockkit_schema import (
    ACTIONS_ELEMENTS,
    HOME_FIELDS,
    INPUT_ELEMENTS,
    MESSAGE_MAX_BLOCKS,
    MESSAGE_TEXT_MAX,
    MODAL_FIELDS,
    RICH_TEXT_ELEMENTS,
    SECTION_ACCESSORIES,
    VIEW_MAX_BLOCKS,
)


@dataclass(frozen=True)
class Refusal:
    """Block Kit that Slack refused outside a Web API answer, kept for tests to assert on.

    `via`: "response_url", "ack" (a slash command's acknowledgement body) or
    "view_ack:update" / "view_ack:push" (a view_submission's response_action); `error`: what
    Slack answers (a response_url's HTTP 400 body); `messages`: the problem lines.
    """

    via: str
    error: str
    messages: tuple[str, ...]


def message_problems(blocks: Any) -> list[str]:
    """Problems Slack reports for the `blocks` of a message, pointers from `/blocks`.

    Input blocks are refused: they belong to modals and Home tabs; a message with one is
    answered `invalid_blocks` (https://github.com/slackapi/python-slack-sdk/issues/1257).
    """
    checker = _Checker("message")
    checker.blocks(blocks, "/blocks", MESSAGE_MAX_BLOCKS)
    return checker.problems


def view_problems(view: Any) -> list[str]:
    """Problems Slack reports for a modal or Home tab view, pointers from `/view`.

    https://docs.slack.dev/reference/views/modal-views: `type` modal, `title` required,
    title/close/submit plain_text of at most 24 characters, `submit` required when an input
    block is in `blocks`, at most 100 blocks, `private_metadata` at most 3000 characters,
    `callback_id` at most 255. https://docs.slack.dev/reference/methods/views.open:
    `external_id` "has a max length of 255 characters". Home tab views
    (https://api.slack.com/reference/surfaces/views) have `type` home and no title or
    buttons.
    """
    checker = _Checker("modal")
    checker.view(view, "/view")
    if checker.problems:
        # Slack matches a view against several view schemas and says so first.
        return [line("failed to match all allowed schemas", "/view"), *checker.problems]
    return checker.problems


def home_view_problems(view: Any) -> list[str]:
    """Problems Slack reports for the `view` of views.publish, pointers from `/view`: a Home
    tab view (https://docs.slack.dev/reference/views/home-tab-views: `type` home, `blocks` at
    most 100, `private_metadata` at most 3000 characters, `callback_id` at most 255), its
    blocks held to the rules of every view. views.publish "Create[s] or update[s] the view that
    comprises an app's Home tab" (https://docs.slack.dev/reference/methods/views.publish): a
    modal is refused there."""
    problems = view_problems(view)
    if problems or not isinstance(view, dict) or view.get("type") == "home":
        return problems
    return [
        line("failed to match all allowed schemas", "/view"),
        line("must be one of: home", "/view/type"),
    ]


def truncate_text(text: str) -> tuple[str, bool]:
    """`text` as Slack stores it (at most 40,000 characters) and whether it was cut.

    https://api.slack.com/changelog/2018-04-truncating-really-long-messages: applies to
    chat.postMessage, chat.postEphemeral, response URLs and other ways to post.
    """
    if len(text) <= MESSAGE_TEXT_MAX:
        return text, False
    return text[:MESSAGE_TEXT_MAX], True


def bare(problem: str) -> str:
    """A problem as listed in the top-level `errors` of chat.* answers: without "[ERROR] "."""
    return problem.removeprefix(ERROR)


class _Checker(ElementChecker):
    """Walks one message's blocks or one view and collects Slack-style problem lines (the
    elements in them checked by ``ElementChecker``)."""

    # -- blocks --------------------------------------------------------------------------------
    def blocks(self, value: Any, pointer: str, max_blocks: int) -> list[Any]:
        if not isinstance(value, list):
            self.fail(pointer, "must provide an array")
            return []
        if len(value) > max_blocks:
            self.fail(pointer, f"no more than {max_blocks} items allowed")
        for index, block in enumerate(value):
            self.block(block, f"{pointer}/{index}")
        return value

    def block(self, value: Any, pointer: str) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return
        kind = value.get("type")
        checks = {
            "section": self.section,
            "header": self.header,
            "context": self.context,
            "actions": self.actions,
            "divider": self.divider,
            "input": self.input,
            "image": self.image_block,
            "rich_text": self.rich_text,
        }
        if kind is None:
            self.fail(pointer, "missing required field: type")
        elif kind not in checks or (kind == "input" and self.surface == "message"):
            self.fail(f"{pointer}/type", f"unsupported type: {kind}")
        else:
            checks[kind](value, pointer)
            self.block_id(value, pointer)

    def section(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/section-block: `text` at most
        3000 characters, `fields` at most 10 items of at most 2000; one of the two required."""
        fields = ("type", "text", "block_id", "fields", "accessory", "expand")
        self.object(block, pointer, allowed=fields)
        if "text" not in block and "fields" not in block:
            self.fail(pointer, "must define either `text` or `fields`")
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", 3000)
        for index, item in enumerate(self.array(block, "fields", pointer, 10, min_items=1) or []):
            self.text(item, f"{pointer}/fields/{index}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory", SECTION_ACCESSORIES, set())
        self.boolean(block, "expand", pointer)

    def header(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/header-block: `text` plain_text
        of at most 150 characters."""
        self.object(block, pointer, allowed=("type", "text", "block_id"), required=("text",))
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", 150, plain_only=True)

    def context(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/context-block: image elements
        and text objects, "Maximum number of items is 10"."""
        self.object(
            block, pointer, allowed=("type", "elements", "block_id"), required=("elements",)
        )
        for index, item in enumerate(self.array(block, "elements", pointer, 10, min_items=1) or []):
            at = f"{pointer}/elements/{index}"
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "image":
                self.element(item, at, {"image"}, set())
            elif kind in ("plain_text", "mrkdwn"):
                self.text(item, at)
            elif isinstance(item, dict) and kind is not None:
                self.fail(f"{at}/type", f"unsupported type: {kind}")
            else:
                self.object(item, at, allowed=(), required=("type",))

    def actions(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/actions-block: "There is a
        maximum of 25 elements in each action block" (also
        https://api.slack.com/reference/block-kit/blocks#actions)."""
        self.object(
            block, pointer, allowed=("type", "elements", "block_id"), required=("elements",)
        )
        action_ids: set[str] = set()
        for index, item in enumerate(self.array(block, "elements", pointer, 25, min_items=1) or []):
            self.element(item, f"{pointer}/elements/{index}", ACTIONS_ELEMENTS, action_ids)

    def divider(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/divider-block: only `type` and
        `block_id`."""
        self.object(block, pointer, allowed=("type", "block_id"))

    def input(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/input-block: `label` and `hint`
        plain_text of at most 2000 characters, `element` required."""
        fields = ("type", "label", "element", "dispatch_action", "block_id", "hint", "optional")
        self.object(block, pointer, allowed=fields, required=("label", "element"))
        if "label" in block:
            self.text(block["label"], f"{pointer}/label", 2000, plain_only=True)
        if "hint" in block:
            self.text(block["hint"], f"{pointer}/hint", 2000, plain_only=True)
        if "element" in block:
            self.element(block["element"], f"{pointer}/element", INPUT_ELEMENTS, set())
        self.boolean(block, "dispatch_action", pointer)
        self.boolean(block, "optional", pointer)

    def image_block(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/image-block: `alt_text` at most
        2000 characters, `image_url` at most 3000 or `slack_file`, `title` plain_text of at
        most 2000."""
        fields = ("type", "alt_text", "image_url", "slack_file", "title", "block_id")
        self.object(block, pointer, allowed=fields, required=("alt_text",))
        self.string(block, "alt_text", pointer, 2000, min_len=1)
        self.string(block, "image_url", pointer, 3000, min_len=1)
        if ("image_url" in block) == ("slack_file" in block):
            self.fail(pointer, "must provide exactly one of image_url or slack_file")
        if "title" in block:
            self.text(block["title"], f"{pointer}/title", 2000, plain_only=True)

    def rich_text(self, block: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/blocks/rich-text-block: `elements` of
        rich_text_section, rich_text_list, rich_text_preformatted and rich_text_quote.
        Checked structurally only: their inner elements are not modelled."""
        self.object(
            block, pointer, allowed=("type", "elements", "block_id"), required=("elements",)
        )
        for index, item in enumerate(self.array(block, "elements", pointer, 10**6) or []):
            at = f"{pointer}/elements/{index}"
            if not isinstance(item, dict):
                self.fail(at, "must provide an object")
            elif item.get("type") not in RICH_TEXT_ELEMENTS:
                self.fail(f"{at}/type", f"unsupported type: {item.get('type')}")
            elif not isinstance(item.get("elements"), list):
                self.fail(at, "missing required field: elements")

    # -- views ---------------------------------------------------------------------------------
    def view(self, value: Any, pointer: str) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return
        kind = value.get("type")
        if kind not in ("modal", "home"):
            if kind is None:
                self.fail(pointer, "missing required field: type")
            else:
                self.fail(f"{pointer}/type", f"unsupported type: {kind}")
            return
        self.surface = "modal" if kind == "modal" else "home"
        if kind == "modal":
            self.object(value, pointer, allowed=MODAL_FIELDS, required=("type", "title", "blocks"))
            for key in ("title", "close", "submit"):
                if key in value:
                    self.text(value[key], f"{pointer}/{key}", 24, plain_only=True)
            self.boolean(value, "clear_on_close", pointer)
            self.boolean(value, "notify_on_close", pointer)
            self.boolean(value, "submit_disabled", pointer)
        else:
            self.object(value, pointer, allowed=HOME_FIELDS, required=("type", "blocks"))
        self.string(value, "private_metadata", pointer, 3000)
        self.string(value, "callback_id", pointer, 255)
        self.string(value, "external_id", pointer, 255)
        if "blocks" not in value:
            return
        blocks = self.blocks(value["blocks"], f"{pointer}/blocks", VIEW_MAX_BLOCKS)
        if kind == "modal" and "submit" not in value:
            for index, block in enumerate(blocks):
                if isinstance(block, dict) and block.get("type") == "input":
                    self.fail(
                        f"{pointer}/blocks/{index}/input",
                        "must define `submit` to use an `input` block in modals",
                    )
                    break
