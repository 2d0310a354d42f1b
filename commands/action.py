"""``/incident action [--file[=tracker]] [--due <day>] [@owner] <task>``: a follow-up task for
the postmortem, due when ``--due`` says (its owner is reminded); and the "File as issue" button
on its message, and "Mark done" on the reminder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.basics.trackers import TrackerSpecError, TrackerTarget, parse_target
from bot.flows.follow_ups.filing import file_from_button
from bot.flows.follow_ups.merging import merge_from_button
from bot.flows.follow_ups.owners import mark_follow_up_done, record_action
from bot.services import Services
from commands.arguments import first_word, optional_owner, statement
from commands.base import CommandRequest, Subcommand
from commands.buttons import Press, answer_press, apply_kept_press

FILE_FLAG = "--file"
DUE_FLAG = "--due"
# A due date of several words is quoted; Slack's clients may send typographic quotes.
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}
DUE_USAGE = (
    "Give `--due` a day: `--due fri`, `--due tomorrow`, `--due 2026-12-04`, or words in"
    ' quotes: `--due "Dec 4 10:00"`.'
)


@dataclass(frozen=True)
class ActionArgs:
    owner: str | None
    task: SlackText
    file: bool
    tracker: TrackerTarget | None
    # When it is due, as typed: read in the incident's zone once its incident is known.
    due: str | None = None


def _due_text(args: str) -> tuple[str, str]:
    """What follows ``--due``: one word, or words in quotes; and the rest."""
    args = args.strip()
    close = _QUOTES.get(args[:1])
    if close is None:
        word, rest = first_word(args)
        if not word or word.startswith("--"):
            raise UsageError(DUE_USAGE)
        return word, rest
    end = args.find(close, 1)
    if end <= 1:
        raise UsageError(DUE_USAGE)
    return args[1:end], args[end + 1 :].strip()


def validate(args: str) -> ActionArgs:
    """The flags and the owner, in any order before the task."""
    file, tracker, due, owner = False, None, None, None
    while True:
        word, rest = first_word(args)
        if word == FILE_FLAG or word.startswith(FILE_FLAG + "="):
            if file:
                raise UsageError(f"Give {FILE_FLAG} once.")
            file, args = True, rest
            if spec := word.removeprefix(FILE_FLAG).removeprefix("="):
                try:
                    tracker = parse_target(spec)
                except TrackerSpecError as error:
                    raise UsageError(f"--file={spec}: {error}") from None
        elif word == DUE_FLAG:
            if due is not None:
                raise UsageError(f"Give {DUE_FLAG} once.")
            due, args = _due_text(rest)
        elif owner is None and (named := optional_owner(word)[0]) is not None:
            owner, args = named, rest
        else:
            break
    task = statement(args, "what should be done, like `/incident action @bob --due fri add a test`")
    return ActionArgs(owner, task, file, tracker, due)


async def action(request: CommandRequest, services: Services) -> str | None:
    parsed = validate(request.args)
    return await record_action(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        owner=parsed.owner,
        text=parsed.task,
        due=parsed.due,
        file=parsed.file,
        asked=parsed.tracker,
    )


async def handle_mark_done_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The "Mark done" button of a follow-up's reminder, in its owner's DM (no incident
    channel's line): mark it done, or say it was already."""

    async def mark(services: Services, press: Press) -> str | None:
        return await mark_follow_up_done(
            services,
            item_id=press.value_id,
            by=press.user_id,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    await answer_press(ack, body, context, mark, name="mark a follow-up done")


async def apply_file_press(services: Services, payload: dict[str, Any]) -> None:
    await apply_kept_press(
        services,
        payload,
        lambda press: file_from_button(
            services, channel_id=press.channel_id, item_id=press.value_id, by=press.user_id
        ),
    )


async def apply_merge_press(services: Services, payload: dict[str, Any]) -> None:
    """*Merge* on a follow-up's message: one task with the earlier one it is possibly the same
    as; the channel is told, or the person told privately why not."""

    async def merge(press: Press) -> None:
        await merge_from_button(
            services, channel_id=press.channel_id, item_id=press.value_id, by=press.user_id
        )

    await apply_kept_press(services, payload, merge)


SUBCOMMAND = Subcommand(
    name="action",
    usage="action [--file[=tracker]] [--due <day>] [@owner] <task>",
    summary="Add a follow-up task (with its owner) to the postmortem; --due: its owner is "
    "reminded; --file files it as an issue",
    handler=action,
    validate=validate,
)
