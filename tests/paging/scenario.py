"""What the paging tests share: a SEV1 policy that escalates to an on-call schedule on which
Carol is on call, and the contacts file the operator writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import select

from bot.admin.demo.emulated import phones_environ
from bot.config import Settings
from bot.store.db import session_scope
from bot.store.models import Notification, PersonPage, TimelineEntry
from emulator import Channel, FakeNtfy, FakeTwilio
from tests.conftest import CAROL, CAROL_PUSHOVER_KEY, Warroom
from tests.helpers.incidents import command, open_incident

# Tuesday 3 March 2026, 03:00 in Paris: Carol's night on call.
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
# Carol's phone rings through Pushover at once; a Slack DM 2 minutes on.
PUSHOVER_CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"ring": {"pushover": CAROL_PUSHOVER_KEY}},
            "rules": [
                {"after": "0s", "notify": ["ring"]},
                {"after": "2m", "notify": ["slack"]},
            ],
        }
    }
}
POLICIES = {
    "policies": {
        "primary": {"levels": [{"targets": [{"schedule": "night"}]}]},
    },
    "severities": {"SEV1": "primary"},
}
SCHEDULES = {
    "schedules": {
        "night": {
            "timezone": "Europe/Paris",
            "layers": [
                {
                    "name": "all",
                    "start": "2026-03-01 00:00",
                    "rotation": "weekly",
                    "members": [CAROL],
                }
            ],
        }
    }
}


def paging_settings(
    tmp_path: Path,
    contacts: dict[str, Any],
    policies_file: dict[str, Any] = POLICIES,
    schedules_file: dict[str, Any] = SCHEDULES,
    **environ: str,
) -> dict[str, Any]:
    """Settings as an operator writes them: the policy, the schedule, the contacts file and
    the services' variables (``environ``)."""
    policies = tmp_path / "policies.yaml"
    policies.write_text(yaml.safe_dump(policies_file))
    schedules = tmp_path / "schedules.yaml"
    schedules.write_text(yaml.safe_dump(schedules_file))
    contacts_file = tmp_path / "contacts.yaml"
    contacts_file.write_text(yaml.safe_dump(contacts))
    settings = Settings.from_env(
        {
            "WARROOM_ESCALATION_POLICIES": str(policies),
            "WARROOM_ONCALL_SCHEDULES": str(schedules),
            "WARROOM_CONTACTS": str(contacts_file),
            **environ,
        }
    )
    return {
        "escalation__policies": settings.escalation.policies,
        "oncall__schedules": settings.oncall.schedules,
        "paging": settings.paging,
        "hooks": settings.hooks,
        "vonage": settings.vonage,
        "web__public_url": settings.web.public_url,
        # The background runner stays out of the way; tests run due jobs themselves.
        "runtime__scheduler_interval": 3600.0,
    }


def phone_environ(twilio: FakeTwilio, ntfy: FakeNtfy, public_url: str) -> dict[str, str]:
    """The variables an operator sets for ntfy and Twilio, pointed at the fakes (as the demo
    and ``warroom dev`` set them)."""
    return {**phones_environ(ntfy, twilio), "WARROOM_PUBLIC_URL": public_url}


async def declare_sev1(warroom: Warroom) -> Channel:
    channel = await open_incident(warroom, "Checkout API returns 500s")
    await command(warroom, channel, "sev 1")
    return channel


async def notifications(warroom: Warroom) -> list[Notification]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Notification).order_by(Notification.id))).all())


async def person_pages(warroom: Warroom) -> list[PersonPage]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(PersonPage).order_by(PersonPage.id))).all())


async def entries(warroom: Warroom, kind: str) -> list[dict[str, Any]]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(TimelineEntry).where(TimelineEntry.kind == kind).order_by(TimelineEntry.id)
        )
        return [dict(row.facts or {}) for row in rows.all()]
