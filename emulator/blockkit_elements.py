"""The checks of Block Kit's elements (buttons, menus, inputs, pickers, images) and of the
composition objects in them (text, option, option group, confirm), for the emulator's
validator (``emulator.blockkit``, whose docstring says where each rule comes from and how
problems are worded): ``ElementChecker`` collects the problem lines; ``blockkit`` walks the
blocks and views around the elements with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from emulator.blockkit_schema import (
    ACTION_ID_MAX,
    BLOCK_ID_MAX,
    CONFIRM_FIELDS,
    OPTION_DESCRIPTION_MAX,
    OPTION_FIELDS,
    OPTION_TEXT_MAX,
    OPTION_URL_MAX,
    OPTION_VALUE_MAX,
    OVERFLOW_MAX_OPTIONS,
    PLACEHOLDER_MAX,
    TEXT_FIELDS,
    TEXT_INPUT_MAX,
    TEXT_OBJECT_MAX,
)

Surface = Literal["message", "modal", "home"]
ERROR = "[ERROR] "


def line(reason: str, pointer: str) -> str:
    """A problem as Slack lists it: "[ERROR] <reason> [json-pointer:<where>]"."""
    return f"{ERROR}{reason} [json-pointer:{pointer}]"


# A date picker's `initial_date`: "YYYY-MM-DD".
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ElementChecker:
    """Collects Slack-style problem lines about one message's or view's elements and the
    objects in them (``emulator.blockkit`` walks the blocks around them)."""

    def __init__(self, surface: Surface) -> None:
        self.surface: Surface = surface
        self.problems: list[str] = []
        self.block_ids: set[str] = set()

    def fail(self, pointer: str, reason: str) -> None:
        self.problems.append(line(reason, pointer))

    # -- primitives --------------------------------------------------------------------------
    def object(
        self,
        value: Any,
        pointer: str,
        *,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """`value` if it is an object; unknown and missing fields are reported."""
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return None
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                self.fail(pointer, f"invalid additional property: {key}")
        for key in required:
            if key not in value:
                self.fail(pointer, f"missing required field: {key}")
        return value

    def string(
        self, obj: dict[str, Any], key: str, pointer: str, max_len: int, *, min_len: int = 0
    ) -> str | None:
        if key not in obj:
            return None
        value, at = obj[key], f"{pointer}/{key}"
        if not isinstance(value, str):
            self.fail(at, "must provide a string")
            return None
        if len(value) > max_len:
            self.fail(at, f"must be less than {max_len + 1} characters")
        if len(value) < min_len:
            self.fail(at, f"must be more than {min_len - 1} characters")
        return value

    def array(
        self, obj: dict[str, Any], key: str, pointer: str, max_items: int, *, min_items: int = 0
    ) -> list[Any] | None:
        if key not in obj:
            return None
        value, at = obj[key], f"{pointer}/{key}"
        if not isinstance(value, list):
            self.fail(at, "must provide an array")
            return None
        if len(value) > max_items:
            self.fail(at, f"no more than {max_items} items allowed")
        if len(value) < min_items:
            self.fail(at, f"no fewer than {min_items} items allowed")
        return value

    def boolean(self, obj: dict[str, Any], key: str, pointer: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.fail(f"{pointer}/{key}", "must provide a boolean")

    def integer(self, obj: dict[str, Any], key: str, pointer: str, low: int, high: int) -> None:
        if key not in obj:
            return
        value, at = obj[key], f"{pointer}/{key}"
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(at, "must provide an integer")
        elif not low <= value <= high:
            self.fail(at, f"must be between {low} and {high}")

    def choice(self, obj: dict[str, Any], key: str, pointer: str, allowed: tuple[str, ...]) -> None:
        if key in obj and obj[key] not in allowed:
            self.fail(f"{pointer}/{key}", f"must be one of: {', '.join(allowed)}")

    def block_id(self, block: dict[str, Any], pointer: str) -> None:
        """block_id: at most 255 characters, unique in the message or view (block pages:
        "block_id should be unique for each message or view")."""
        value = self.string(block, "block_id", pointer, BLOCK_ID_MAX, min_len=1)
        if value is None:
            return
        if value in self.block_ids:
            self.fail(f"{pointer}/block_id", f"duplicate block_id: {value}")
        self.block_ids.add(value)

    # -- composition objects -------------------------------------------------------------------
    def text(
        self,
        value: Any,
        pointer: str,
        max_len: int = TEXT_OBJECT_MAX,
        *,
        plain_only: bool = False,
    ) -> None:
        """A text object (https://docs.slack.dev/reference/block-kit/composition-objects/
        text-object): `type` plain_text or mrkdwn, `text` 1 to 3000 characters (less where
        the containing field says so), `emoji` only on plain_text, `verbatim` only on mrkdwn.
        """
        before = len(self.problems)
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        kind = value.get("type") if isinstance(value, dict) else None
        allowed = TEXT_FIELDS.get(kind) if isinstance(kind, str) else None
        obj = self.object(
            value, pointer, allowed=allowed or {"type", "text"}, required=("type", "text")
        )
        if obj is not None:
            if "type" in obj and kind not in kinds:
                self.fail(f"{pointer}/type", f"must be one of: {', '.join(kinds)}")
            self.string(obj, "text", pointer, min(max_len, TEXT_OBJECT_MAX), min_len=1)
            self.boolean(obj, "emoji", pointer)
            self.boolean(obj, "verbatim", pointer)
        if len(self.problems) > before:
            self.problems.insert(before, line("failed to match all allowed schemas", pointer))

    def option(
        self, value: Any, pointer: str, *, mrkdwn: bool, url: bool = False
    ) -> dict[str, Any] | None:
        """https://docs.slack.dev/reference/block-kit/composition-objects/option-object:
        `text` at most 75 characters (mrkdwn only in checkboxes and radio buttons), `value`
        at most 150, `description` at most 75. `url` (at most 3000) "is only available in
        overflow menus" (``url``): anywhere else it is refused."""
        allowed = OPTION_FIELDS if url else OPTION_FIELDS - {"url"}
        obj = self.object(value, pointer, allowed=allowed, required=("text", "value"))
        if obj is None:
            return None
        if "text" in obj:
            self.text(obj["text"], f"{pointer}/text", OPTION_TEXT_MAX, plain_only=not mrkdwn)
        self.string(obj, "value", pointer, OPTION_VALUE_MAX, min_len=1)
        if "description" in obj:
            self.text(
                obj["description"],
                f"{pointer}/description",
                OPTION_DESCRIPTION_MAX,
                plain_only=not mrkdwn,
            )
        self.string(obj, "url", pointer, OPTION_URL_MAX, min_len=1)
        return obj

    def options(
        self,
        element: dict[str, Any],
        pointer: str,
        max_items: int,
        *,
        mrkdwn: bool,
        url: bool = False,
    ) -> list[Any]:
        """The `options` of an element, checked; the valid option objects are returned."""
        found = self.array(element, "options", pointer, max_items, min_items=1) or []
        return [
            option
            for index, item in enumerate(found)
            if (option := self.option(item, f"{pointer}/options/{index}", mrkdwn=mrkdwn, url=url))
        ]

    def option_groups(self, element: dict[str, Any], pointer: str) -> list[Any]:
        """https://docs.slack.dev/reference/block-kit/composition-objects/option-group-object:
        at most 100 groups, `label` plain_text of at most 75 characters, 1 to 100 options."""
        groups = self.array(element, "option_groups", pointer, 100, min_items=1) or []
        found: list[Any] = []
        for index, item in enumerate(groups):
            at = f"{pointer}/option_groups/{index}"
            group = self.object(
                item, at, allowed=("label", "options"), required=("label", "options")
            )
            if group is None:
                continue
            if "label" in group:
                self.text(group["label"], f"{at}/label", 75, plain_only=True)
            found += self.options(group, at, 100, mrkdwn=False)
        return found

    def confirm(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/composition-objects/
        confirmation-dialog-object: `title` at most 100, `text` at most 300, `confirm` and
        `deny` at most 30 characters, `style` primary or danger."""
        if "confirm" not in element:
            return
        at = f"{pointer}/confirm"
        obj = self.object(
            element["confirm"], at, allowed=CONFIRM_FIELDS, required=CONFIRM_FIELDS - {"style"}
        )
        if obj is None:
            return
        for key, limit in (("title", 100), ("confirm", 30), ("deny", 30)):
            if key in obj:
                self.text(obj[key], f"{at}/{key}", limit, plain_only=True)
        if "text" in obj:  # the page's own example uses mrkdwn here
            self.text(obj["text"], f"{at}/text", 300)
        self.choice(obj, "style", at, ("primary", "danger"))

    def initial(self, element: dict[str, Any], pointer: str, options: list[Any]) -> None:
        """initial_option(s): "exactly matches one of the options" (select menu, checkbox and
        radio button pages); a near miss is refused."""
        if "initial_option" in element:
            at = f"{pointer}/initial_option"
            if not isinstance(element["initial_option"], dict):
                self.fail(at, "must provide an object")
            elif element["initial_option"] not in options:
                self.fail(at, "must exactly match one of the options")
        if "initial_options" in element:
            chosen = self.array(element, "initial_options", pointer, 10**6) or []
            for index, item in enumerate(chosen):
                if item not in options:
                    self.fail(
                        f"{pointer}/initial_options/{index}",
                        "must exactly match one of the options",
                    )

    # -- elements ------------------------------------------------------------------------------
    def element(
        self, value: Any, pointer: str, allowed_types: set[str], action_ids: set[str]
    ) -> str | None:
        """One block element; returns its type when it is one the emulator knows."""
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return None
        kind = value.get("type")
        if kind is None:
            self.fail(pointer, "missing required field: type")
            return None
        if kind not in allowed_types:
            self.fail(f"{pointer}/type", f"unsupported type: {kind}")
            return None
        checks = {
            "button": self.button,
            "static_select": self.static_select,
            "multi_static_select": self.multi_static_select,
            "checkboxes": self.checkboxes,
            "radio_buttons": self.radio_buttons,
            "plain_text_input": self.plain_text_input,
            "number_input": self.number_input,
            "users_select": self.users_select,
            "datepicker": self.datepicker,
            "overflow": self.overflow,
            "image": self.image_element,
        }
        checks[kind](value, pointer)
        if (action_id := value.get("action_id")) is not None and kind != "image":
            if isinstance(action_id, str) and action_id in action_ids:
                # Element pages: "Should be unique among all other action_ids in the
                # containing block."
                self.fail(f"{pointer}/action_id", f"duplicate action_id: {action_id}")
            action_ids.add(str(action_id))
        return str(kind)

    def action_id(self, element: dict[str, Any], pointer: str) -> None:
        self.string(element, "action_id", pointer, ACTION_ID_MAX, min_len=1)

    def button(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/button-element: `text`
        plain_text of at most 75 characters, `value` at most 2000, `url` at most 3000,
        `style` primary or danger, `accessibility_label` at most 75."""
        fields = ("type", "text", "action_id", "url", "value", "style", "confirm")
        self.object(element, pointer, allowed=(*fields, "accessibility_label"), required=("text",))
        if "text" in element:
            self.text(element["text"], f"{pointer}/text", 75, plain_only=True)
        self.action_id(element, pointer)
        self.string(element, "url", pointer, 3000, min_len=1)
        self.string(element, "value", pointer, 2000, min_len=1)
        self.choice(element, "style", pointer, ("primary", "danger"))
        self.string(element, "accessibility_label", pointer, 75, min_len=1)
        self.confirm(element, pointer)

    def overflow(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element:
        `options` required, "An array of up to five option objects" (plain_text, each a
        `url` allowed), `action_id`, `confirm`; "must be used inside of the section block or
        actions block". Nothing else: no placeholder, no initial option."""
        fields = ("type", "action_id", "options", "confirm")
        self.object(element, pointer, allowed=fields, required=("options",))
        self.action_id(element, pointer)
        self.options(element, pointer, OVERFLOW_MAX_OPTIONS, mrkdwn=False, url=True)
        self.confirm(element, pointer)

    def _select(self, element: dict[str, Any], pointer: str, *, multi: bool) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element and
        .../multi-select-menu-element (static options): `options` at most 100 or
        `option_groups` at most 100 ("If option_groups is specified, this field should not
        be"), plain_text options, `placeholder` plain_text of at most 150 characters."""
        common = ("type", "action_id", "options", "option_groups", "confirm", "focus_on_load")
        extra = ("initial_options", "max_selected_items") if multi else ("initial_option",)
        self.object(element, pointer, allowed=(*common, "placeholder", *extra))
        self.action_id(element, pointer)
        has_options, has_groups = "options" in element, "option_groups" in element
        if has_options == has_groups:
            self.fail(pointer, "must provide exactly one of options or option_groups")
        options = self.options(element, pointer, 100, mrkdwn=False) if has_options else []
        if has_groups:
            options += self.option_groups(element, pointer)
        self.initial(element, pointer, options)
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )
        self.integer(element, "max_selected_items", pointer, 1, 100)
        self.boolean(element, "focus_on_load", pointer)
        self.confirm(element, pointer)

    def static_select(self, element: dict[str, Any], pointer: str) -> None:
        self._select(element, pointer, multi=False)

    def multi_static_select(self, element: dict[str, Any], pointer: str) -> None:
        self._select(element, pointer, multi=True)

    def checkboxes(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element:
        "A maximum of 10 options are allowed"; `initial_options` exactly match options."""
        fields = ("type", "action_id", "options", "initial_options", "confirm", "focus_on_load")
        self.object(element, pointer, allowed=fields, required=("options",))
        self.action_id(element, pointer)
        self.initial(element, pointer, self.options(element, pointer, 10, mrkdwn=True))
        self.boolean(element, "focus_on_load", pointer)
        self.confirm(element, pointer)

    def radio_buttons(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/radio-button-group-element:
        at most 10 options; `initial_option` exactly matches one of them."""
        fields = ("type", "action_id", "options", "initial_option", "confirm", "focus_on_load")
        self.object(element, pointer, allowed=fields, required=("options",))
        self.action_id(element, pointer)
        self.initial(element, pointer, self.options(element, pointer, 10, mrkdwn=True))
        self.boolean(element, "focus_on_load", pointer)
        self.confirm(element, pointer)

    def number_input(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/number-input-element:
        `is_decimal_allowed` required; `initial_value`, `min_value` and `max_value` are
        strings ("cannot be greater than max_value"); `placeholder` at most 150 characters;
        input blocks of modals only. A whole-number input given a decimal is refused."""
        fields = (
            "type",
            "is_decimal_allowed",
            "action_id",
            "initial_value",
            "min_value",
            "max_value",
            "dispatch_action_config",
            "focus_on_load",
            "placeholder",
        )
        self.object(element, pointer, allowed=fields, required=("is_decimal_allowed",))
        self.action_id(element, pointer)
        self.boolean(element, "is_decimal_allowed", pointer)
        self.boolean(element, "focus_on_load", pointer)
        numbers = {}
        for key in ("initial_value", "min_value", "max_value"):
            if key not in element:
                continue
            raw = element[key]
            try:
                numbers[key] = float(raw) if isinstance(raw, str) else None
            except ValueError:
                numbers[key] = None
            if numbers[key] is None:
                self.fail(f"{pointer}/{key}", "must be a number, as a string")
            elif not element.get("is_decimal_allowed") and not float(raw).is_integer():
                self.fail(f"{pointer}/{key}", "must be a whole number (is_decimal_allowed false)")
        low, high = numbers.get("min_value"), numbers.get("max_value")
        if low is not None and high is not None and low > high:
            self.fail(f"{pointer}/min_value", "cannot be greater than max_value")
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )

    def users_select(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
        (select menu of users): `initial_user` a user id, `placeholder` plain_text of at most
        150 characters, `confirm`, `focus_on_load`."""
        fields = ("type", "action_id", "initial_user", "confirm", "focus_on_load", "placeholder")
        self.object(element, pointer, allowed=fields)
        self.action_id(element, pointer)
        self.string(element, "initial_user", pointer, 32, min_len=1)
        self.boolean(element, "focus_on_load", pointer)
        self.confirm(element, pointer)
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )

    def datepicker(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/date-picker-element:
        `initial_date` "in the format YYYY-MM-DD" (a real date), `placeholder` plain_text of
        at most 150 characters, `confirm`, `focus_on_load`; works in section, actions and
        input blocks."""
        fields = ("type", "action_id", "initial_date", "confirm", "focus_on_load", "placeholder")
        self.object(element, pointer, allowed=fields)
        self.action_id(element, pointer)
        if "initial_date" in element:
            initial = element["initial_date"]
            try:
                valid = isinstance(initial, str) and bool(_ISO_DAY.match(initial))
                valid = valid and date.fromisoformat(initial) is not None
            except ValueError:
                valid = False
            if not valid:
                self.fail(f"{pointer}/initial_date", "must be a date in the format YYYY-MM-DD")
        self.boolean(element, "focus_on_load", pointer)
        self.confirm(element, pointer)
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )

    def plain_text_input(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element:
        `min_length` 0 to 3000, `max_length` 1 to 3000, `placeholder` at most 150 characters.
        The page does not bound `initial_value`; a value longer than the input accepts
        (`max_length`, else 3000) is refused, as Slack refuses schema misses on it."""
        fields = (
            "type",
            "action_id",
            "initial_value",
            "multiline",
            "min_length",
            "max_length",
            "dispatch_action_config",
            "focus_on_load",
            "placeholder",
        )
        self.object(element, pointer, allowed=fields)
        self.action_id(element, pointer)
        self.integer(element, "min_length", pointer, 0, TEXT_INPUT_MAX)
        self.integer(element, "max_length", pointer, 1, TEXT_INPUT_MAX)
        low, high = element.get("min_length"), element.get("max_length")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.fail(f"{pointer}/min_length", "must not be more than max_length")
        limit = high if isinstance(high, int) and 1 <= high <= TEXT_INPUT_MAX else TEXT_INPUT_MAX
        self.string(element, "initial_value", pointer, limit)
        self.boolean(element, "multiline", pointer)
        self.boolean(element, "focus_on_load", pointer)
        if "dispatch_action_config" in element:
            at = f"{pointer}/dispatch_action_config"
            config = self.object(
                element["dispatch_action_config"], at, allowed=("trigger_actions_on",)
            )
            if config is not None:
                for index, item in enumerate(self.array(config, "trigger_actions_on", at, 2) or []):
                    if item not in ("on_enter_pressed", "on_character_entered"):
                        self.fail(f"{at}/trigger_actions_on/{index}", "unsupported value")
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )

    def image_element(self, element: dict[str, Any], pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/image-element: `alt_text`
        and either `image_url` or `slack_file`."""
        fields = ("type", "alt_text", "image_url", "slack_file")
        self.object(element, pointer, allowed=fields, required=("alt_text",))
        self.string(element, "alt_text", pointer, 2000, min_len=1)
        self.string(element, "image_url", pointer, 3000, min_len=1)
        if ("image_url" in element) == ("slack_file" in element):
            self.fail(pointer, "must provide exactly one of image_url or slack_file")
