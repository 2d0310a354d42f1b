"""The Slack app manifest: paste its YAML at api.slack.com/apps to create warroom's app."""

from __future__ import annotations

from typing import Any

import yaml

from bot.slack.shortcuts import ADD_TO_TIMELINE, DECLARE_FROM_MESSAGE

BOT_SCOPES = [
    "commands",
    "chat:write",
    "channels:manage",
    "channels:read",
    "channels:history",
    "channels:join",
    "groups:read",
    "groups:history",
    "groups:write",
    "reactions:read",
    "reactions:write",
    "pins:write",
    "bookmarks:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "files:write",
    "canvases:write",
]
# Sign in with Slack (the web view) asks for these on behalf of the person signing in.
USER_SCOPES = ["openid", "profile", "email"]
BOT_EVENTS = [
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "channel_archive",
    "group_archive",
]


def build_manifest(base_url: str | None, *, name: str = "warroom") -> dict[str, Any]:
    """The manifest as data; with no ``base_url`` the app uses Socket Mode."""
    socket_mode = base_url is None
    events_url = None if socket_mode else base_url.rstrip("/") + "/slack/events"
    command: dict[str, Any] = {
        "command": "/incident",
        "description": "Declare and manage incidents",
        "usage_hint": "start <title> | note <text> | timeline | resolve [summary] | help",
        "should_escape": True,
    }
    event_subscriptions: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events_url:
        command["url"] = events_url
        event_subscriptions["request_url"] = events_url
        interactivity["request_url"] = events_url
    oauth_config: dict[str, Any] = {"scopes": {"bot": BOT_SCOPES, "user": USER_SCOPES}}
    if base_url:
        oauth_config["redirect_urls"] = [base_url.rstrip("/") + "/auth/slack/callback"]
    return {
        "_metadata": {"major_version": 1},
        "display_information": {
            "name": name,
            "description": "Opens the war room, keeps the record, drafts the postmortem.",
            "background_color": "#1d1c1d",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
            "shortcuts": [
                {
                    "name": "Add to incident timeline",
                    "type": "message",
                    "callback_id": ADD_TO_TIMELINE,
                    "description": "Mark this message as a moment in the incident's timeline",
                },
                {
                    "name": "Declare incident from this message",
                    "type": "message",
                    "callback_id": DECLARE_FROM_MESSAGE,
                    "description": "Open an incident, detected at this message's time",
                },
            ],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(base_url: str | None) -> str:
    """The manifest as YAML text."""
    return yaml.safe_dump(build_manifest(base_url), sort_keys=False, allow_unicode=True)
