"""People opening the app's App Home, and the Home tab the app published for each of them."""

from __future__ import annotations

from typing import Any

from emulator.api_conversations import dm_channel
from emulator.lifecycle import LifecycleEmulator
from emulator.models import BotResponse, new_ts

# The App Home's tabs (``tab`` in app_home_opened) and the manifest setting that enables each.
TABS = {"home": "home_tab_enabled", "messages": "messages_tab_enabled"}
APP_HOME_OPENED = "app_home_opened"


class AppHomeEmulator(LifecycleEmulator):
    """The App Home as a person uses it: opening its tabs, reading the Home tab."""

    async def open_app_home(self, user: str, *, tab: str = "home") -> BotResponse | None:
        """``user`` opens the app's App Home at ``tab`` (``home`` or ``messages``).

        Slack sends ``app_home_opened`` "each time a user enters into the App Home space", with
        ``user``, ``channel`` (the app's direct messages with them), ``tab`` and ``event_ts``,
        and, on a Home tab that "has had a view published at least once before", ``view``: its
        current state, hash included (https://docs.slack.dev/reference/events/app_home_opened).
        Only an app subscribed to the event (its manifest's ``bot_events``) is sent it, and
        only for a tab its manifest enables (``features.app_home``,
        https://docs.slack.dev/reference/app-manifest): a tab it does not have is not there to
        open. None when nothing was sent.
        """
        if tab not in TABS:
            raise ValueError(f"an App Home has the tabs {', '.join(TABS)}, not {tab!r}")
        if user not in self.users:
            raise LookupError(f"unknown user {user!r}; add_user() it first")
        if APP_HOME_OPENED not in self.bot_events or not self.app_home.get(TABS[tab]):
            return None
        if not self.can_deliver():
            return None
        event: dict[str, Any] = {
            "type": APP_HOME_OPENED,
            "user": user,
            "channel": dm_channel(self, user).id,
            "tab": tab,
            "event_ts": new_ts(),
        }
        if tab == "home" and user in self.home_views:
            event["view"] = dict(self.home_views[user])
        return await self.send_event(event)

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab the app last published for ``user`` (views.publish), if any."""
        return self.home_views.get(user)

    def home_lines(self, user: str) -> list[str]:
        """The text of ``user``'s Home tab, block by block: headers, sections (their fields
        each on their own) and context lines, as the person reads them top to bottom."""
        view = self.home_views.get(user) or {}
        lines: list[str] = []
        for block in view.get("blocks") or []:
            texts = [block.get("text"), *(block.get("fields") or [])]
            texts += list(block.get("elements") or [])
            # A button's text is an object of its own: a person reads the block's words.
            lines += [
                t["text"] for t in texts if isinstance(t, dict) and isinstance(t.get("text"), str)
            ]
        return lines
