"""The Slack app manifest: `warroom manifest --create` makes the app from it, or paste its YAML
at api.slack.com/apps ("From an app manifest").

It keeps to the limits of Slack's manifest schema 1.0.0 (slackapi/manifest-schema,
``schemas/manifest.schema.1.0.0.json``; https://docs.slack.dev/reference/app-manifest): a
shortcut's name has at most 24 characters, a slash command at most 32, and so on. Slack refuses
the whole manifest when one field breaks a limit; ``emulator.manifest_rules`` checks them
and the tests run it on both modes' output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from bot.basics.slack_ids import Shortcut

# What the bot calls, and why each scope is here. Nothing asked for "just in case": the bot never
# joins a channel itself (it is invited), so channels:join is not requested.
BOT_SCOPES = [
    "commands",  # /incident, /oncall, /alerts
    "chat:write",  # chat.postMessage / chat.update (DMs too: the app's Messages tab)
    "channels:manage",  # conversations.create / invite / setTopic on public channels
    "channels:read",  # conversations.members, member_joined_channel, channel_archive
    "channels:history",  # conversations.history / replies, message.channels events
    "groups:read",  # the same for private incident channels
    "groups:history",
    "groups:write",
    "reactions:read",  # reaction_added / reaction_removed promote messages
    "reactions:write",  # the receipt reaction
    "pins:write",  # the pinned incident header
    "users:read",  # users.info: names and time zones
    "users:read.email",  # users.lookupByEmail: `warroom import` matches a vendor's users by email
    "usergroups:read",  # usergroups.list / usergroups.users.list: @group handles
    "usergroups:write",  # usergroups.users.update: a schedule's group follows who is on call
    "files:write",  # files_upload_v2: text files shared in the channel
    "canvases:write",  # conversations.canvases.create / canvases.edit
    "bookmarks:write",  # bookmarks.add: a workflow's links (a video bridge, a runbook)
]
# No user scopes: Sign in with Slack (the web view) asks for openid, profile and email in an
# OAuth flow of its own (bot.web.auth), and Slack refuses them beside these in one flow ("scope
# conflict", https://api.slack.com/authentication/sign-in-with-slack). It needs only the
# redirect URL below.
BOT_EVENTS = [
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "channel_archive",  # channels:read, like channel_rename and channel_unarchive
    "group_archive",  # groups:read, like group_rename and group_unarchive
    "channel_unarchive",
    "group_unarchive",
    "channel_rename",
    "group_rename",
    # No scope needed: the app's own lifecycle (bot/flows/installation.py).
    "app_uninstalled",
    "tokens_revoked",
    # No scope needed either: someone opened the App Home (bot/slack/home.py publishes its
    # Home tab; https://docs.slack.dev/reference/events/app_home_opened).
    "app_home_opened",
]
# The slash commands (commands/): Slack delivers only those the manifest declares, each with its
# own Request URL (https://docs.slack.dev/interactivity/implementing-slash-commands). Command
# text arrives escaped (mentions as <@U…|name>), which commands/arguments.py reads.
SLASH_COMMANDS = [
    {
        "command": "/incident",
        "description": "Declare and manage incidents",
        "usage_hint": "start <title> | note <text> | timeline | resolve [summary] | help",
        "should_escape": True,
    },
    {
        "command": "/oncall",
        "description": "Who is on call; overrides, swaps and leave",
        "usage_hint": "[schedule] | override [@person] <schedule> <start> to <end> | "
        "swap @person <schedule> <date> | cancel <id> | leave add <first>..<last> | help",
        "should_escape": True,
    },
    {
        "command": "/alerts",
        "description": "Your open alerts; acknowledge or resolve several",
        "usage_hint": "[list] | ack --mine | ack <id> <id>… | resolve <id> <id>… | help",
        "should_escape": True,
    },
]

# The App Home (https://docs.slack.dev/reference/app-manifest, ``features.app_home``): the
# Home tab lists the person's incidents, the week's and who is on call
# (bot/flows/home/publishing.py); the Messages tab holds the app's direct messages, read-only:
# nobody writes to the bot there.
APP_HOME = {
    "home_tab_enabled": True,
    "messages_tab_enabled": True,
    "messages_tab_read_only_enabled": True,
}
# Where `warroom serve` receives Sign in with Slack's answer (bot.web.auth.CALLBACK_PATH).
SIGN_IN_CALLBACK_PATH = "/auth/slack/callback"


def sign_in_redirect_url(base_url: str) -> str:
    """The Sign in with Slack redirect URL of a warroom reached at ``base_url``."""
    return base_url.rstrip("/") + SIGN_IN_CALLBACK_PATH


def build_manifest(
    base_url: str | None, *, name: str = "warroom", redirect_urls: Sequence[str] = ()
) -> dict[str, Any]:
    """The manifest as data; with no ``base_url`` the app uses Socket Mode.

    The OAuth redirect URLs (Sign in with Slack) are ``redirect_urls`` plus, in HTTP mode, the
    callback under ``base_url``; a Socket Mode app has none unless given, and then signing in
    to the web view cannot work.
    """
    events_url = None if base_url is None else base_url.rstrip("/") + "/slack/events"
    commands = [dict(command) for command in SLASH_COMMANDS]
    # Fresh lists: a caller that edits the manifest must not edit the module's constants.
    event_subscriptions: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events_url:
        for command in commands:
            command["url"] = events_url
        event_subscriptions["request_url"] = events_url
        interactivity["request_url"] = events_url
    return {
        "_metadata": {"major_version": 1},
        "display_information": {
            "name": name,
            "description": "Opens the war room, keeps the record, drafts the postmortem.",
            "background_color": "#1d1c1d",
        },
        "features": {
            "app_home": dict(APP_HOME),
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
            "shortcuts": _shortcuts(),
        },
        "oauth_config": _oauth_config(base_url, redirect_urls),
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": base_url is None,
            "token_rotation_enabled": False,
        },
    }


def _shortcuts() -> list[dict[str, str]]:
    """The message shortcuts: a message added to the timeline, an incident declared at one."""
    return [
        {
            "name": "Add to incident timeline",
            "type": "message",
            "callback_id": Shortcut.ADD_TO_TIMELINE.value,
            "description": "Mark this message as a moment in the incident's timeline",
        },
        {
            "name": "Declare incident",
            "type": "message",
            "callback_id": Shortcut.DECLARE_FROM_MESSAGE.value,
            "description": "Open an incident, detected at this message's time",
        },
    ]


def _oauth_config(base_url: str | None, redirect_urls: Sequence[str]) -> dict[str, Any]:
    """The bot's scopes, and the OAuth redirect URLs: ``redirect_urls`` and, in HTTP mode,
    the sign-in callback under ``base_url``."""
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    # Slack wants them unique: the same URL from --url and WARROOM_PUBLIC_URL is listed once.
    redirects = [*redirect_urls, *([sign_in_redirect_url(base_url)] if base_url else [])]
    if redirects:
        oauth_config["redirect_urls"] = list(dict.fromkeys(redirects))
    return oauth_config


def manifest_yaml(base_url: str | None, *, redirect_urls: Sequence[str] = ()) -> str:
    """The manifest as YAML text."""
    manifest = build_manifest(base_url, redirect_urls=redirect_urls)
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
