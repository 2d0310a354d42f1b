"""``warroom serve`` configured as the README says: every variable of its table set, one process.

Bolt reads some of those variables by itself (``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET``
put a Bolt app built without ``oauth_settings`` into its own OAuth installation mode), and the
other tests pass settings directly, so only a process with the whole environment shows what a
person who followed the README gets. Every service named is a fake on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib
import pytest
import yaml

from bot.keys import bolt_key
from emulator import FakePagerDuty, SlackEmulator
from emulator.statuspage import FakeStatuspage
from emulator.trackers import FakeGitHub, FakeJira, FakeLinear
from emulator.vonage import application_key
from tests.conftest import ALICE, BOB, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.processes import free_port, serve
from tests.helpers.web_view import browser, sign_in_at
from tests.status_page import PNG_1X1

REPO = Path(__file__).resolve().parents[2]
API_TOKEN = secrets.token_hex(16)
TRACKER_TOKEN = "tracker-token"
LINEAR_TEAM = "team-ops"


def configuration_variables() -> list[str]:
    """The variables the README's configuration table lists, in its order."""
    table = (REPO / "docs" / "configuration.md").read_text()
    return [
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1])
    ]


@dataclass
class Vendors:
    pagerduty: FakePagerDuty
    github: FakeGitHub
    jira: FakeJira
    linear: FakeLinear
    statuspage: FakeStatuspage


@asynccontextmanager
async def vendors() -> AsyncIterator[Vendors]:
    """Every service besides Slack that the configuration names, faked on 127.0.0.1."""
    async with AsyncExitStack() as stack:
        yield Vendors(
            pagerduty=await stack.enter_async_context(FakePagerDuty()),
            github=await stack.enter_async_context(
                FakeGitHub(token=TRACKER_TOKEN, repos={"acme/payments"})
            ),
            jira=await stack.enter_async_context(
                FakeJira(email="bot@acme.example", token=TRACKER_TOKEN, projects={"OPS"})
            ),
            linear=await stack.enter_async_context(
                FakeLinear(api_key=TRACKER_TOKEN, teams={LINEAR_TEAM: "ENG"})
            ),
            statuspage=await stack.enter_async_context(
                FakeStatuspage(components={"cmp1": "Checkout"})
            ),
        )


def slack_variables(slack: SlackEmulator, public_url: str) -> dict[str, str]:
    """Slack's side, sign-in included: the set-up that used to switch Bolt to OAuth."""
    # README "Running it against Slack", step 4: the bot is invited to the announce channel.
    announce = slack.create_channel("incidents", creator=ALICE, members=[ALICE, slack.bot_user_id])
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_APP_CONFIG_TOKEN": slack.app_config_token,
        "SLACK_API_URL": slack.base_url,
        "SLACK_CLIENT_ID": slack.oidc_client_id,
        "SLACK_CLIENT_SECRET": slack.oidc_client_secret,
        "SLACK_OIDC_AUTHORIZE_URL": slack.authorize_url,
        "WARROOM_ANNOUNCE_CHANNEL": announce.id,
        "WARROOM_WEB_AUTH": "slack",
        "WARROOM_SESSION_SECRET": secrets.token_hex(32),
        "WARROOM_SESSION_HOURS": "12",
        "WARROOM_PUBLIC_URL": public_url,
        "WARROOM_API_TOKEN": API_TOKEN,
        "WARROOM_ADMINS": "U0OPERATOR",
    }


def logo_file(folder: Path) -> Path:
    """A 1x1 PNG (the smallest valid one) as the company's logo."""
    logo = folder / "logo.png"
    logo.write_bytes(PNG_1X1)
    return logo


def vendor_variables(fakes: Vendors) -> dict[str, str]:
    return {
        "PAGERDUTY_EVENTS_URL": fakes.pagerduty.events_url,
        "PAGERDUTY_TIMEOUT": "5",
        "WARROOM_TRACKER": "github",
        "WARROOM_TRACKER_FILE_ON_POSTMORTEM": "false",
        "WARROOM_TRACKER_TIMEOUT": "5",
        "WARROOM_GITHUB_TOKEN": TRACKER_TOKEN,
        "WARROOM_GITHUB_REPO": "acme/payments",
        "WARROOM_GITHUB_WEBHOOK_SECRET": "github-hook-secret",
        "WARROOM_GITHUB_API_URL": fakes.github.url,
        "WARROOM_JIRA_URL": fakes.jira.url,
        "WARROOM_JIRA_EMAIL": "bot@acme.example",
        "WARROOM_JIRA_API_TOKEN": TRACKER_TOKEN,
        "WARROOM_JIRA_PROJECT": "OPS",
        "WARROOM_JIRA_ISSUE_TYPE": "Task",
        "WARROOM_JIRA_WEBHOOK_SECRET": "jira-hook-secret",
        "WARROOM_LINEAR_API_KEY": TRACKER_TOKEN,
        "WARROOM_LINEAR_TEAM": LINEAR_TEAM,
        "WARROOM_LINEAR_WEBHOOK_SECRET": "linear-hook-secret",
        "WARROOM_LINEAR_API_URL": f"{fakes.linear.url}/graphql",
        "STATUSPAGE_PAGE_ID": fakes.statuspage.page_id,
        "STATUSPAGE_API_KEY": fakes.statuspage.api_key,
        "STATUSPAGE_COMPONENTS": "Checkout=cmp1",
        "STATUSPAGE_API_URL": fakes.statuspage.api_url,
    }


def warroom_variables(tmp_path: Path, port: int) -> dict[str, str]:
    policies = tmp_path / "policies.yaml"
    policies.write_text(
        yaml.safe_dump({"policies": {"payments": {"levels": [{"targets": [{"user": BOB}]}]}}})
    )
    routes = tmp_path / "routes.yaml"
    routes.write_text(yaml.safe_dump({"default": {"action": "open", "severity": "SEV3"}}))
    heartbeats = tmp_path / "heartbeats.yaml"
    heartbeats.write_text(
        yaml.safe_dump(
            {"heartbeats": [{"name": "nightly-export", "interval": "24h", "policy": "payments"}]}
        )
    )
    services = tmp_path / "services.yaml"
    services.write_text(
        yaml.safe_dump(
            {"services": [{"name": "checkout", "policy": "payments", "owners": [{"user": BOB}]}]}
        )
    )
    schedules = tmp_path / "schedules.yaml"
    weekly = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    schedules.write_text(
        yaml.safe_dump(
            {
                "schedules": {
                    "payments-primary": {
                        "timezone": "Europe/Paris",
                        "layers": [{**weekly, "members": [BOB]}],
                    }
                }
            }
        )
    )
    types = tmp_path / "incident-types.yaml"
    types.write_text(
        yaml.safe_dump(
            {
                "fields": {
                    "customer_impact": {
                        "type": "select",
                        "label": "Customer impact",
                        "options": ["none", "degraded", "outage"],
                    }
                },
                "types": {"customer-facing": {"description": "Customers can see it"}},
            }
        )
    )
    workflows = tmp_path / "workflows.yaml"
    workflows.write_text(
        yaml.safe_dump(
            {
                "workflows": {
                    "customer-heads-up": {
                        "on": "incident.declared",
                        "when": {"type": "customer-facing"},
                        "do": [{"post": {"text": "Customers may see {{ incident.title }}"}}],
                    }
                }
            }
        )
    )
    (tmp_path / "templates").mkdir()
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(yaml.safe_dump({"default_rules": [{"after": "0s", "notify": ["slack"]}]}))
    hooks = tmp_path / "hooks.yaml"
    bridge = {"url": "http://127.0.0.1:9/page", "secret_env": "WARROOM_BRIDGE_SECRET"}
    hooks.write_text(yaml.safe_dump({"destinations": {"bridge": bridge}}))
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "PORT": str(port),
        "WARROOM_TIMEZONE": "Europe/Paris",
        "WARROOM_DEFAULT_SEVERITY": "SEV3",
        "WARROOM_CHANNEL_PREFIX": "inc",
        "WARROOM_TEMPLATES_DIR": str(tmp_path / "templates"),
        "WARROOM_MAX_BODY_BYTES": "1048576",
        "WARROOM_BODY_READ_SECONDS": "10",
        "WARROOM_REACTIONS": "pushpin=key_event,mag=investigation,bulb=root_cause",
        "WARROOM_RECEIPT_REACTION": "ballot_box_with_check",
        "WARROOM_LOG_LEVEL": "INFO",
        "WARROOM_LOG_FORMAT": "json",
        "WARROOM_UPDATE_REMINDER": "30m",
        "WARROOM_UPDATE_INTERVALS": "SEV1=15m,SEV2/monitoring=1h,SEV4/monitoring=off",
        "WARROOM_ROLES": "liaison",
        "WARROOM_ESCALATION_POLICIES": str(policies),
        "WARROOM_ONCALL_SCHEDULES": str(schedules),
        "WARROOM_ONCALL_ICAL_REFRESH": "15m",
        "WARROOM_ICAL_ALLOWED_HOSTS": "calendar.internal,127.0.0.1",
        "WARROOM_ONCALL_ICAL_PARSE_SECONDS": "120",
        "WARROOM_INCIDENT_TYPES": str(types),
        "WARROOM_WORKFLOWS": str(workflows),
        "WARROOM_WEBHOOK_TIMEOUT": "10",
        "WARROOM_SCHEDULER_INTERVAL": "0.2",
        "WARROOM_JOB_CONCURRENCY": "1",
        "WARROOM_REPLICAS": "1",
        "WARROOM_COMMAND_HOLD": "0.5",
        "WARROOM_COMMAND_ANSWER_BUDGET": "0.5",
        "WARROOM_PARSE_SECONDS": "5",
        "WARROOM_DATABASE_LOCK_TIMEOUT": "10",
        "WARROOM_DATABASE_STATEMENT_TIMEOUT": "60",
        "WARROOM_COMMAND_RETRY_WINDOW": "60",
        "WARROOM_PARSE_WORKERS": "2",
        "WARROOM_PARSE_INLINE_BYTES": "65536",
        "WARROOM_PAGER_PROCESS": "off",
        "WARROOM_PAGER_METRICS_PORT": "9465",
        "WARROOM_METRICS_TOKEN": secrets.token_hex(16),
        "WARROOM_METRICS_PORT": str(free_port()),
        "WARROOM_SLACK_RATE_WINDOW": "60",
        "WARROOM_ALERT_TOKEN": secrets.token_hex(16),
        "WARROOM_ALERT_ROUTES": str(routes),
        "WARROOM_HEARTBEATS": str(heartbeats),
        "WARROOM_SERVICES": str(services),
        "WARROOM_SHADOW": "off",
        "WARROOM_SHADOW_CHANNEL": "C0123456789",
        "WARROOM_CHANGE_CHANNELS": "C0123456789,C0DEPLOYS1",
        "WARROOM_CHANGE_HOURS": "12",
        "WARROOM_ALERT_MAX_BODY_BYTES": "1048576",
        "WARROOM_ALERT_RATE_PER_MINUTE": "1200",
        "WARROOM_POSTMORTEM_STYLE": "default",
        "WARROOM_LANGUAGE": "en",
        "WARROOM_PUBLIC_GRACE": "2m",
        "WARROOM_PUBLIC_LANGUAGES": "en,fr",
        "WARROOM_STATUS_COMPANY": "Acme Payments",
        "WARROOM_STATUS_LOGO": str(logo_file(tmp_path)),
        "WARROOM_STATUS_LINK": "https://acme.example",
        "WARROOM_STATUS_SUBSCRIPTIONS": "true",
        "WARROOM_SUBSCRIBE_PER_CLIENT_HOUR": "5",
        "WARROOM_SUBSCRIBE_PER_ADDRESS_DAY": "3",
        "WARROOM_SUBSCRIBE_PENDING_MAX": "1000",
        "WARROOM_SUBSCRIBE_CONFIRM_WITHIN": "48h",
        "WARROOM_SUBSCRIBE_WEBHOOK_ALLOWED_HOSTS": "hooks.internal,127.0.0.1",
        "WARROOM_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16",
        "WARROOM_BOUNCE_DOMAIN": "bounces.status.example.com",
        "WARROOM_BOUNCE_SECRET": secrets.token_hex(32),
        "WARROOM_BOUNCE_SMTP_PORT": str(free_port()),
        "WARROOM_BOUNCE_SMTP_HOST": "127.0.0.1",
        "WARROOM_BOUNCE_SMTP_SESSIONS": "10",
        "WARROOM_SUBSCRIBE_PENDING_PER_CLIENT": "10",
        "WARROOM_SUBSCRIBE_SEND_CONCURRENCY": "8",
        "WARROOM_SUBSCRIBE_WEBHOOKS_MAX": "500",
        "WARROOM_SUBSCRIBE_WEBHOOK_TIMEOUT": "10",
        "WARROOM_SUBSCRIBE_WEBHOOKS_PER_CLIENT": "5",
        "WARROOM_FOLLOW_UP_REMINDER": "24h",
        "WARROOM_LESSONS_DM": "24h",
        # Nothing answers there: a draft would say the model did not answer.
        "WARROOM_AI_URL": "http://127.0.0.1:9/v1",
        "WARROOM_AI_MODEL": "llama3.1:8b",
        "WARROOM_AI_KEY": secrets.token_hex(16),
        "WARROOM_AI_PRIVATE": "off",
        "WARROOM_AI_TIMEOUT": "5",
        # Read by `warroom import` only; serve must start with them set all the same.
        "OPSGENIE_API_KEY": secrets.token_hex(16),
        "PAGERDUTY_API_TOKEN": secrets.token_hex(16),
        "GRAFANA_ONCALL_API_TOKEN": secrets.token_hex(16),
        # Paging: methods set up (nobody here is paged beyond Slack).
        "WARROOM_CONTACTS": str(contacts),
        "WARROOM_NTFY_URL": "http://127.0.0.1:9",
        "WARROOM_NTFY_TOKEN": secrets.token_hex(16),
        "WARROOM_PUSHOVER_TOKEN": secrets.token_hex(15),
        "WARROOM_PUSHOVER_API_URL": "http://127.0.0.1:9",
        # Watched from outside: a ping an hour at most here (none answers: logged, counted).
        "WARROOM_WATCHDOG_URL": "http://127.0.0.1:9/ping/warroom",
        "WARROOM_WATCHDOG_AUTHORIZATION": "Bearer " + secrets.token_hex(16),
        "WARROOM_WATCHDOG_INTERVAL": "1h",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_URL": "http://127.0.0.1:9",
        "WARROOM_VONAGE_APPLICATION_ID": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        "WARROOM_VONAGE_PRIVATE_KEY_FILE": str(application_key(tmp_path)[0]),
        "WARROOM_VONAGE_API_KEY": "abcd1234",
        "WARROOM_VONAGE_SIGNATURE_SECRET": secrets.token_hex(16),
        "WARROOM_VONAGE_FROM": "+15005550007",
        "WARROOM_VONAGE_API_URL": "http://127.0.0.1:9",
        "WARROOM_SMTP_URL": "smtp://127.0.0.1:9",
        "WARROOM_SMTP_FROM": "warroom@example.com",
        "WARROOM_SMTP_PLAINTEXT": "true",
        "WARROOM_PHONE_COUNTRIES": "US,CA,FR",
        "WARROOM_CODES_PER_HOUR": "3",
        "WARROOM_CODES_PER_DAY": "6",
        "WARROOM_TEST_PAGE_EVERY": "1m",
        "WARROOM_PAGING_WEBHOOKS": str(hooks),
        "WARROOM_BRIDGE_SECRET": secrets.token_hex(16),
        "WARROOM_PAGING_DRILL": "mon 10:00 Europe/Paris",
        "WARROOM_PAGING_DRILL_WAIT": "2m",
        "WARROOM_PAGING_DELIVERY_WAIT": "3m",
        "WARROOM_MAINTENANCE_ALLOWED": "U0OPERATOR",
        "WARROOM_MAINTENANCE_MAX": "168h",
        "WARROOM_MCP_CALLS_PER_MINUTE": "60",
        "WARROOM_AI_VERIFY": "on",
        "WARROOM_WRAP_UP_WAIT": "15m",
        "WARROOM_CAUSES": "on",
        "WARROOM_CAUSES_MIN_INTERVAL": "10m",
        # Bolt's OAuth mode keeps installations under $HOME: never the real one.
        "HOME": str(tmp_path),
    }


async def incident_api(url: str, reference: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{url}/api/incidents/{reference}", headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_serve_with_every_readme_variable_answers_commands_and_records_events(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    port = free_port()
    async with vendors() as fakes:
        env = {
            **slack_variables(slack, f"http://127.0.0.1:{port}"),
            **vendor_variables(fakes),
            **warroom_variables(tmp_path, port),
        }
        assert [name for name in configuration_variables() if name not in env] == []
        async with serve(env, tmp_path / "serve.log", port=port) as bot:
            slack.events_url = bot.events_url
            general = slack.channel_by_name("general")
            assert general is not None
            ack = await slack.send_command(
                "start Checkout returns 500s", user=ALICE, channel=general.id
            )
            assert ack.status == 200
            # In Bolt's OAuth mode the command went no further: no installation was found.
            channel = await slack.wait_for(
                lambda: next(
                    (c for c in slack.channels.values() if c.name.startswith("inc-1")), None
                ),
                timeout=15,
            )
            await slack.wait_for(lambda: channel.pins, timeout=15)
            said = await slack.post_message(channel.id, "Payments pods restarting", user=BOB)
            await slack.add_reaction(channel.id, said.ts, "pushpin", user=BOB)
            # The bot's receipt: it handled the reaction (never the case in Bolt's OAuth mode).
            await slack.wait_for(
                lambda: slack.bot_user_id in said.reactions.get("ballot_box_with_check", []),
                timeout=15,
            )
            incident = await incident_api(bot.url, "INC-1")
            # The heartbeats file was read: a check-in with the alert token is recorded.
            token = env["WARROOM_ALERT_TOKEN"]
            async with (
                aiohttp.ClientSession() as client,
                client.post(
                    f"{bot.url}/heartbeats/nightly-export",
                    headers={"Authorization": f"Bearer {token}"},
                ) as beat,
            ):
                assert beat.status == 200, await beat.text()
            # Sign-in works beside it, asking for its own scopes in its own flow.
            async with browser() as session:
                authorize = await sign_in_at(session, bot.url, slack, ALICE)
                async with session.get(f"{bot.url}/incidents/INC-1") as page:
                    assert page.status == 200, await page.text()
                # The status page has the company's name and serves its logo itself.
                async with session.get(f"{bot.url}/status") as status:
                    assert "Acme Payments" in await status.text()
                async with session.get(f"{bot.url}/status/logo") as logo:
                    assert logo.content_type == "image/png"
                    assert await logo.read() == logo_file(tmp_path).read_bytes()
            announce = slack.channels[env["WARROOM_ANNOUNCE_CHANNEL"]]
            await slack.wait_for(lambda: announce.messages, timeout=15)
            # The bounce listener answers where it was told to, and takes only its own.
            bounces = int(env["WARROOM_BOUNCE_SMTP_PORT"])
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=bounces) as smtp:
                await smtp.ehlo()
                assert "size" in smtp.esmtp_extensions
                await smtp.mail("")
                refused = await smtp.execute_command(b"RCPT", b"TO:<someone@example.com>")
                assert refused.code == 550
    scope = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)["scope"]
    assert scope == ["openid profile email"]
    lines = [(line["kind"], line["text"]) for line in incident["timeline"]]
    assert ("key_event", "Payments pods restarting") in lines, lines


async def test_bolt_sees_no_oauth_variables_and_they_stay_for_the_rest(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in one process, quicker: Bolt is built for one workspace with the settings'
    token, and the variables hidden from it while it was built are back afterwards."""
    monkeypatch.setenv("HOME", str(tmp_path))  # Bolt's OAuth mode would write there
    monkeypatch.setenv("SLACK_CLIENT_ID", slack.oidc_client_id)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", slack.oidc_client_secret)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-settings-token")
    async with running_warroom(slack, sqlite_url) as warroom:
        bolt = warroom.app[bolt_key]
        assert bolt.oauth_flow is None and bolt.installation_store is None
        assert os.environ["SLACK_CLIENT_ID"] == slack.oidc_client_id
        assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-not-the-settings-token"
        channel = await open_incident(warroom)
    assert channel.name.startswith("inc-1")
