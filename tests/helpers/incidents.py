"""Declaring an incident the way people do, and running commands in its channel: the one
helper every test that needs an incident uses."""

from __future__ import annotations

from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Incident
from emulator import Channel, Message, SlackEmulator
from tests.conftest import ALICE, Warroom


async def declare_incident(
    slack: SlackEmulator,
    title: str = "Checkout down",
    *,
    user: str = ALICE,
    pinned: bool = False,
    as_slack_sends: bool = False,
    timeout: float = 30.0,
) -> Channel:
    """``/incident start <title>`` from #general as ``user``; the new incident's channel once
    Slack has made it (and once its header is pinned if ``pinned``).

    ``title`` is typed (the emulator escapes it as Slack does), or with ``as_slack_sends`` sent
    as it is, already in Slack's encoding (a labelled link, which the composer cannot type)."""
    general = slack.channel_by_name("general")
    assert general is not None
    before = set(slack.channels)
    if as_slack_sends:
        ack = await slack.send_command(
            "", slack_text=f"start {title}", user=user, channel=general.id
        )
    else:
        ack = await slack.send_command(f"start {title}", user=user, channel=general.id)
    assert ack.status == 200, ack
    channel: Channel = await slack.wait_for(
        lambda: next(
            (c for i, c in slack.channels.items() if i not in before and c.name.startswith("inc-")),
            None,
        ),
        timeout=timeout,
    )
    if pinned:
        await slack.wait_for(lambda: channel.pins, timeout=timeout)
    return channel


async def open_incident(
    warroom: Warroom, title: str = "Checkout down", *, user: str = ALICE
) -> Channel:
    """Declare an incident from #general; its channel once the header is pinned."""
    return await declare_incident(warroom.slack, title, user=user, pinned=True)


async def settle(warroom: Warroom) -> None:
    """Let the work set off by a request finish, and the jobs it scheduled run."""
    await warroom.finish_background()
    await warroom.run_jobs()


async def command(warroom: Warroom, channel: Channel, text: str, user: str = ALICE) -> None:
    """Run ``/incident <text>`` in ``channel`` as ``user``, then settle."""
    await warroom.slack.send_command(text, user=user, channel=channel.id)
    await settle(warroom)


async def post_saying(
    slack: SlackEmulator, channel: Channel, text: str, timeout: float = 30.0
) -> Message:
    """Wait for a message in ``channel`` that says ``text``; the first that does."""
    message: Message = await slack.wait_for(
        lambda: next((m for m in channel.messages if text in m.text), None), timeout=timeout
    )
    return message


async def the_incident(warroom: Warroom) -> Incident:
    """The one incident in the bot's database (fails if there are none or several)."""
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(Incident))).one()
