"""``/incident action [--file[=tracker]] [@owner] <task>``: a follow-up task for the postmortem,
and the "File as issue" button on its message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.basics.errors import UsageError
from bot.basics.trackers import TrackerSpecError, TrackerTarget, parse_target
from bot.flows.filing import file_from_button
from bot.flows.findings import record_action
from bot.services import Services
from commands.arguments import first_word, optional_owner, statement
from commands.base import CommandRequest, Subcommand
from commands.buttons import apply_kept_press

FILE_FLAG = "--file"


@dataclass(frozen=True)
class ActionArgs:
    owner: str | None
    task: str
    file: bool
    tracker: TrackerTarget | None


def validate(args: str) -> ActionArgs:
    word, rest = first_word(args)
    file, tracker = False, None
    if word == FILE_FLAG or word.startswith(FILE_FLAG + "="):
        file, args = True, rest
        if spec := word.removeprefix(FILE_FLAG).removeprefix("="):
            try:
                tracker = parse_target(spec)
            except TrackerSpecError as error:
                raise UsageError(f"--file={spec}: {error}") from None
    owner, task = optional_owner(args)
    task = statement(task, "what should be done, like `/incident action @bob add a test`")
    return ActionArgs(owner, task, file, tracker)


async def action(request: CommandRequest, services: Services) -> None:
    parsed = validate(request.args)
    await record_action(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        owner=parsed.owner,
        text=parsed.task,
        file=parsed.file,
        asked=parsed.tracker,
    )


async def apply_file_press(services: Services, payload: dict[str, Any]) -> None:
    await apply_kept_press(
        services,
        payload,
        lambda press: file_from_button(
            services, channel_id=press.channel_id, item_id=press.value_id, by=press.user_id
        ),
    )


SUBCOMMAND = Subcommand(
    name="action",
    usage="action [--file[=tracker]] [@owner] <task>",
    summary="Add a follow-up task (with its owner) to the postmortem; --file files it as an issue",
    handler=action,
    validate=validate,
)
