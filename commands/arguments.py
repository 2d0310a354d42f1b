"""Reading people, groups and words out of slash-command text.

Slack escapes mentions in command text (the manifest sets ``should_escape``): a person
arrives as ``<@U024BE7LH|bob>``, a user group as ``<!subteam^S0614TZR7|@dba-team>``, and
``& < >`` as ``&amp; &lt; &gt;``. People's words are kept in that encoding (``SlackText``).
"""

from __future__ import annotations

import re

from bot.basics.errors import UsageError
from bot.basics.languages import language_code
from bot.basics.slack_patterns import USER_MENTION, USERGROUP_MENTION
from bot.basics.slack_text import SlackText
from bot.flows.escalation.targets import EscalationTarget

_HANDLE = re.compile(r"^@([a-z0-9][a-z0-9._-]*)$", re.IGNORECASE)
_WORD = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.IGNORECASE)


def first_word(args: str) -> tuple[str, str]:
    """``"comms <@U1> rest"`` -> ``("comms", "<@U1> rest")``."""
    word, _, rest = args.strip().partition(" ")
    return word, rest.strip()


def user_mention(text: str, what: str = "Name a person") -> str:
    """The user id of a ``<@U...>`` mention; UsageError for anything else."""
    match = USER_MENTION.match(text.strip())
    if not match:
        raise UsageError(f"{what} with an @-mention, like @alice.")
    return match.group(1)


def escalation_target(text: str) -> EscalationTarget:
    """A person, a user group (mention or ``@handle``), or by name an escalation policy or an
    on-call schedule."""
    if match := USER_MENTION.match(text):
        return EscalationTarget("user", match.group(1))
    if match := USERGROUP_MENTION.match(text):
        return EscalationTarget("usergroup", match.group(1), match.group(2) or match.group(1))
    if match := _HANDLE.match(text):
        return EscalationTarget("usergroup", match.group(1).lower())
    if _WORD.match(text):
        return EscalationTarget("name", text.lower())
    raise UsageError(
        "Escalate to an @person, an @user-group, or the name of an escalation policy or an "
        "on-call schedule."
    )


TEXT_MAX = 3000


def statement(args: str, what: str) -> SlackText:
    """Free text for the record, as Slack sent it: not empty, not longer than a Slack message
    should be."""
    text = SlackText(args.strip())
    if not text:
        raise UsageError(f"Say {what}.")
    if len(text) > TEXT_MAX:
        raise UsageError(f"Keep it under {TEXT_MAX} characters.")
    return text


def optional_owner(args: str) -> tuple[str | None, str]:
    """``"<@U1|bob> fix it"`` -> ``("U1", "fix it")``; no leading mention -> ``(None, args)``."""
    word, rest = first_word(args)
    if match := USER_MENTION.match(word):
        return match.group(1), rest
    return None, args.strip()


def language_option(asked: str) -> str:
    """The code ``--lang`` was given (``fr``, ``pt-br``); UsageError for anything else."""
    code = language_code(asked)
    if code is None:
        raise UsageError(
            f"`{asked[:20]}` is not a language code: give `--lang` an ISO 639-1 code,"
            " optionally with a region, like `fr`, `en` or `pt-br`."
        )
    return code
