"""The switching guide (docs/importing.md) followed word for word, as a team leaving Opsgenie
follows it from a fresh clone: a fresh database, only the variables the manual names, every
command run as the operator types it (``python -m bot ...`` in a process of its own) and
``warroom serve`` as a real process.

1. **Repoint**: ``warroom integrations create --service checkout --kind opsgenie``; the
   monitoring script keeps Opsgenie's Alert API and changes only its URL and key.
2. **Import**: ``warroom import opsgenie --out oncall/ --users-map people.csv --save saved/``
   against a fake Opsgenie (emulator/opsgenie.py, Opsgenie's documented REST API) holding the
   checkout team, its schedule (Carol), its escalation and Carol's notification rule (an SMS
   at once).
3. **Shadow a week**: serve with the imported files and ``WARROOM_SHADOW=on``; the script's
   alerts reach warroom and Opsgenie alike (Opsgenie's log says it notified Carol);
   nobody's phone is reached by warroom; ``warroom shadow compare --opsgenie --since 7d``
   agrees on every alert and exits 0.
4. **Switch**: the import run a last time (``--compare 56 --save``), shadow mode off: the
   script's next alert reaches Carol's phone by SMS (a fake Twilio), from warroom.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from bench.harness import free_port
from bot.store.db import create_engine, session_scope
from bot.store.models import Notification
from emulator import FakeTwilio, SlackEmulator
from emulator.opsgenie import API_KEY, FakeOpsgenie, OpsgenieAccount
from tests.alerting.test_vendor_apis import OpsgenieClient
from tests.conftest import CAROL
from tests.helpers.processes import bot_env, serve
from tests.helpers.waiting import eventually
from tests.oncall.importing.running import Ran, warroom_cli

CAROL_ID = "2f8f6e25-1a8e-4a53-9c3c-6f0a1fbb2a10"
CAROL_EMAIL = "carol@example.com"
CAROL_PHONE = "+15555550199"
TEAM = "6bd3e6a1-1b27-4bfa-8a35-2c5f3d9a0e12"
SCHEDULE = "d875a1f4-9b4e-4219-a803-0c26936d18e0"
ESCALATION = "9a9f0e8c-2f9d-4c47-9a6a-1f2a3b4c5d70"
# A bound for a hang, not a pace: four steps of processes on a loaded machine.
TEST_LIMIT = 600.0


def account() -> OpsgenieAccount:
    """The checkout team's Opsgenie account, in the shapes Opsgenie's API documents: Carol on
    a weekly rotation alone, an escalation paging the schedule at once, the team's API
    integration, and Carol's "New Alert" rule: an SMS at once."""
    carol = {"type": "user", "id": CAROL_ID, "username": CAROL_EMAIL}
    started = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%dT00:00:00Z")
    return OpsgenieAccount(
        users=[
            {
                "id": CAROL_ID,
                "username": CAROL_EMAIL,
                "fullName": "Carol Chen",
                "role": {"id": "User", "name": "User"},
                "timeZone": "UTC",
                "blocked": False,
                "verified": True,
            }
        ],
        teams=[
            {
                "id": TEAM,
                "name": "Checkout",
                "description": "The shop's checkout",
                "members": [{"user": carol, "role": "admin"}],
            }
        ],
        schedules=[
            {
                "id": SCHEDULE,
                "name": "Checkout Primary",
                "description": "",
                "timezone": "UTC",
                "enabled": True,
                "ownerTeam": {"id": TEAM, "name": "Checkout"},
                "rotations": [
                    {
                        "id": "0f1e2d3c-4b5a-4968-8776-655443322110",
                        "name": "weekly",
                        "startDate": started,
                        "type": "weekly",
                        "length": 1,
                        "participants": [carol],
                    }
                ],
            }
        ],
        escalations=[
            {
                "id": ESCALATION,
                "name": "Checkout Escalation",
                "description": "",
                "ownerTeam": {"id": TEAM, "name": "Checkout"},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "schedule",
                            "id": SCHEDULE,
                            "name": "Checkout Primary",
                        },
                    }
                ],
            }
        ],
        integrations=[
            {
                "id": "173e8e6a-a481-4b9b-8619-5c31d9a6e5db",
                "name": "Checkout Monitoring",
                "enabled": True,
                "type": "API",
                "teamId": TEAM,
            }
        ],
        notification_rules={
            CAROL_ID: [
                {
                    "id": "01a1b2c3-0000-4000-8000-0000000000c1",
                    "name": "New Alert",
                    "actionType": "create-alert",
                    "criteria": {"type": "match-all"},
                    "order": 1,
                    "steps": [
                        {
                            "id": "c1",
                            "sendAfter": {"timeAmount": 0, "timeUnit": "minutes"},
                            "contact": {"method": "sms", "to": "1-5555550199"},
                            "enabled": True,
                        }
                    ],
                    "enabled": True,
                }
            ]
        },
    )


def logged_in_opsgenie(opsgenie: FakeOpsgenie, number: int, alias: str, message: str) -> None:
    """The alert as Opsgenie's log keeps it (it received it too): Carol notified by SMS a
    second after it was created, then acknowledged."""
    created = datetime.now(UTC)
    ident = f"70413a06-38d6-4c85-92b8-5ebc900e{number:04d}"
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    notified = (created + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    opsgenie.account.alerts.append(
        {
            "id": ident,
            "tinyId": str(number),
            "alias": alias,
            "message": message,
            "status": "closed",
            "acknowledged": True,
            "createdAt": stamp,
            "updatedAt": stamp,
            "priority": "P2",
            "report": {"ackTime": 120_000},
        }
    )
    opsgenie.account.recipients[ident] = [
        {
            "user": {"id": CAROL_ID, "username": CAROL_EMAIL},
            "state": "notified",
            "method": "SMS",
            "createdAt": notified,
            "updatedAt": notified,
        }
    ]


async def step(*args: str, env: dict[str, str], codes: tuple[int, ...] = (0,)) -> Ran:
    ran = await warroom_cli(*args, env=env)
    assert ran.code in codes, (args, ran.out, ran.err)
    return ran


async def test_the_switching_guide_four_steps_from_a_fresh_clone(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), FakeOpsgenie(account()) as opsgenie:
        port = free_port()
        public_url = f"http://127.0.0.1:{port}"
        operator = {"DATABASE_URL": database_url, "WARROOM_PUBLIC_URL": public_url}
        await step("db", "upgrade", env=operator)

        # 1. Repoint: the integration's URL and key, shown once.
        made = await step(
            "integrations", "create", "--service", "checkout", "--kind", "opsgenie", env=operator
        )
        url = re.search(r"^URL: (\S+)", made.out, re.M)
        key = re.search(r"^key: (\S+)", made.out, re.M)
        assert url and key, made.out
        script = OpsgenieClient(url[1], key[1])

        # 2. Import, saved so that it outlives the vendor.
        people = tmp_path / "people.csv"
        people.write_text(f"email,slack_user_id\n{CAROL_EMAIL},{CAROL}\n")
        oncall, saved = tmp_path / "oncall", tmp_path / "saved"
        vendor = {**operator, "OPSGENIE_API_KEY": API_KEY}
        imported = await step(
            "import", "opsgenie", "--out", str(oncall), "--users-map", str(people),
            "--save", str(saved), "--api-url", opsgenie.root,
            env=vendor, codes=(0, 3),
        )  # fmt: skip
        files = {path.name for path in oncall.iterdir()}
        assert {"schedules.yaml", "policies.yaml", "services.yaml", "contacts.yaml"} <= files
        assert any(saved.iterdir()), imported.out
        assert "checkout" in (oncall / "services.yaml").read_text()

        async with FakeTwilio() as twilio:
            serving = {
                **bot_env(slack, database_url),
                "WARROOM_PUBLIC_URL": public_url,
                "WARROOM_ONCALL_SCHEDULES": str(oncall / "schedules.yaml"),
                "WARROOM_ESCALATION_POLICIES": str(oncall / "policies.yaml"),
                "WARROOM_SERVICES": str(oncall / "services.yaml"),
                "WARROOM_CONTACTS": str(oncall / "contacts.yaml"),
                "TWILIO_ACCOUNT_SID": twilio.account_sid,
                "TWILIO_AUTH_TOKEN": twilio.auth_token,
                "TWILIO_FROM": twilio.numbers[0],
                "TWILIO_API_URL": twilio.root,
            }

            # 3. Shadow: warroom computes every page and reaches nobody.
            shadow = {**serving, "WARROOM_SHADOW": "on"}
            async with serve(shadow, tmp_path / "shadow.log", port=port) as bot:
                slack.events_url = bot.events_url
                for number in (1, 2, 3):
                    alias, message = f"checkout-{number}", f"Checkout error rate {number}"
                    await script.call("/v2/alerts", {"message": message, "alias": alias})
                    logged_in_opsgenie(opsgenie, number, alias, message)
                await shadowed(database_url, 3)
            assert twilio.phone(CAROL_PHONE).messages == [], "a shadow reaches nobody"
            compared = await step(
                "shadow", "compare", "--opsgenie", "--since", "7d", "--users-map", str(people),
                "--api-url", opsgenie.root, env=vendor,
            )  # fmt: skip
            assert "Agreement: 3 of 3 alerts agree (100%)" in compared.out, compared.out

            # 4. Switch: the import a last time, shadow mode off; warroom pages.
            await step(
                "import", "opsgenie", "--out", str(oncall), "--force", "--users-map",
                str(people), "--save", str(saved), "--compare", "56", "--api-url",
                opsgenie.root, env=vendor, codes=(0, 3),
            )  # fmt: skip
            async with serve(serving, tmp_path / "switched.log", port=port) as bot:
                slack.events_url = bot.events_url
                await script.call("/v2/alerts", {"message": "Checkout down", "alias": "down"})
                await texted(twilio, "Checkout down")


async def shadowed(database_url: str, alerts: int) -> None:
    """Until serve has applied the week's alerts, each kept as a shadow (whom it would have
    notified), read from the record as the web view reads it."""
    engine = create_engine(database_url)
    try:

        async def applied() -> bool:
            async with session_scope(engine) as session:
                kept = await session.exec(
                    select(Notification.alert_group_id).where(col(Notification.state) == "shadow")
                )
                return len(set(kept.all())) == alerts

        await eventually(applied, 60, f"{alerts} alerts kept as shadows")
    finally:
        await engine.dispose()


async def texted(twilio: FakeTwilio, words: str) -> None:
    async def arrived() -> bool:
        return any(words in body for body in twilio.phone(CAROL_PHONE).messages)

    await eventually(arrived, 60, f"Carol's SMS saying {words!r}")
