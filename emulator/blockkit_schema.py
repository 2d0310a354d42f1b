"""What Slack's Block Kit pages allow, as the emulator's checks (``blockkit``) read it: the
limits (blocks a message or a view, characters a text object, an option, an id) and the fields
each object may carry, and where each element type may appear. The pages are named in
``blockkit``'s docstring and beside each number.
"""

from __future__ import annotations

MESSAGE_MAX_BLOCKS = 50  # https://docs.slack.dev/reference/block-kit/blocks
VIEW_MAX_BLOCKS = 100  # same page, and the modal view object's `blocks` field
# chat.postMessage: "Provide no more than 40,000 characters or risk truncation"; Slack cuts
# the text and answers the `message_truncated` warning (changelog 2018-04, cited above).
MESSAGE_TEXT_MAX = 40_000
TRUNCATION_WARNING = "message_truncated"
TRUNCATION_MESSAGE = (
    "[WARN] Your message was truncated but still posted. "
    "The `text` field accepts up to 40,000 characters."
)
TEXT_OBJECT_MAX = 3000  # text object: "The minimum length is 1 and maximum length is 3000"
BLOCK_ID_MAX = 255  # every block page: "Maximum length for this field is 255 characters"
ACTION_ID_MAX = 255  # every element page: "Maximum length is 255 characters"
PLACEHOLDER_MAX = 150  # select menus and plain-text input: placeholder text
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
OPTION_URL_MAX = 3000
OVERFLOW_MAX_OPTIONS = 5  # overflow menu: "An array of up to five option objects"
TEXT_INPUT_MAX = 3000  # plain-text input: min_length 0..3000, max_length 1..3000

# Fields each object may carry, from the "Fields" table of its page. Anything else is
# refused, as Slack does ("invalid additional property").
TEXT_FIELDS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
OPTION_FIELDS = {"text", "value", "description", "url"}
CONFIRM_FIELDS = {"title", "text", "confirm", "deny", "style"}
MODAL_FIELDS = {
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "clear_on_close",
    "notify_on_close",
    "external_id",
    "submit_disabled",
}
HOME_FIELDS = {"type", "blocks", "private_metadata", "callback_id", "external_id"}
RICH_TEXT_ELEMENTS = {
    "rich_text_section",
    "rich_text_list",
    "rich_text_preformatted",
    "rich_text_quote",
}
# Where each element type may appear (the "Works with blocks" of the element pages).
SECTION_ACCESSORIES = {
    "button",
    "static_select",
    "multi_static_select",
    "users_select",
    "datepicker",
    "checkboxes",
    "radio_buttons",
    "overflow",
    "image",
}
ACTIONS_ELEMENTS = {
    "button",
    "overflow",
    "static_select",
    "multi_static_select",
    "users_select",
    "datepicker",
    "checkboxes",
    "radio_buttons",
}
INPUT_ELEMENTS = {
    "plain_text_input",
    "number_input",
    "static_select",
    "multi_static_select",
    "users_select",
    "datepicker",
    "checkboxes",
    "radio_buttons",
}
