"""``/incident action [--file[=tracker]] [--due <day>] [@owner] <task>``: a follow-up task for
the postmortem, due when ``--due`` says (its owner is reminded); and the "File as issue" button
on its message, "Merge" on it (and on its owner's App Home), and "Mark done" on the
reminder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.basics.slack_ids import FollowUpMessage
from bot.basics.slack_text import SlackText
from bot.basics.trackers import TrackerSpecError, TrackerTarget, parse_target
from bot.flows.follow_ups.filing import file_from_button
from bot.flows.follow_ups.merging import channel_of, merge_from_button
from bot.flows.follow_ups.owners import mark_follow_up_done, record_action
from bot.flows.home.publishing import publish_home
from bot.flows.replies import outcome
from bot.record.follow_ups.follow_ups import pressed_ref
from bot.services import Services
from commands.arguments import first_word, optional_owner, statement
from commands.base import CommandRequest, Subcommand
from commands.buttons import Press, answer_press, apply_kept_press, press_in_line

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


async def handle_merge_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """*Merge*, on a follow-up's message in its incident's channel or beside the follow-up on
    its owner's App Home: answer Slack, keep the press in the incident channel's line (a Home
    has no channel: its follow-up's incident's), where ``apply_merge_press`` applies it."""
    await ack()
    action = (body.get("actions") or [{}])[0]
    ref = pressed_ref(str(action.get("value") or ""))
    user_id = str((body.get("user") or {}).get("id") or "")
    container = body.get("container") or {}
    if ref is None or not user_id:
        return
    on_home = container.get("type") == "view"
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    if on_home:
        channel_id = await channel_of(context["services"], ref) or ""
    if not channel_id:
        return
    press = Press(
        action_id=FollowUpMessage.MERGE,
        value_id=int(ref.rpartition(":")[2]),
        user_id=user_id,
        channel_id=channel_id,
        message_ts=str(container.get("message_ts") or ""),
        response_url=str(body.get("response_url") or ""),
        ref=ref,
        on_home=on_home,
    )
    await press_in_line(context, press, body)


async def apply_merge_press(services: Services, payload: dict[str, Any]) -> None:
    """*Merge*: one task with the other it is possibly the same as; the channel is told, or
    the person told privately why not (on the App Home: at its top, published afresh)."""

    async def merge(press: Press) -> None:
        work = merge_from_button(
            services,
            channel_id=press.channel_id,
            ref=press.ref or f"action_item:{press.value_id}",
            by=press.user_id,
        )
        if not press.on_home:
            return await work
        refused = await outcome(services, work)
        await publish_home(
            services,
            team_id=None,
            user_id=press.user_id,
            event_id=f"merge:{press.ref}:{uuid.uuid4().hex}",
            notice=refused,
        )
        return None

    await apply_kept_press(services, payload, merge)


SUBCOMMAND = Subcommand(
    name="action",
    usage="action [--file[=tracker]] [--due <day>] [@owner] <task>",
    summary="Add a follow-up task (with its owner) to the postmortem; --due: its owner is "
    "reminded; --file files it as an issue",
    handler=action,
    validate=validate,
)
