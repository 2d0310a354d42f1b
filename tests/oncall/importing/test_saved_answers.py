"""``warroom import <vendor> --save DIR`` then ``--from DIR`` with the vendor gone: the import
outlives the vendor (Opsgenie's API stops answering on 2027-04-05).

Each vendor's fake (over real HTTP on 127.0.0.1) answers the live import, which also writes
every answer into DIR; the fake is then shut, so nothing answers at its address, and the
import from DIR writes the same files and says the same, with no key given."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.admin.arguments import add_import_arguments
from bot.admin.importing.importing import Request, import_request
from bot.config import Settings
from emulator import opsgenie_samples as samples
from emulator.grafana_oncall import FakeGrafanaOnCall
from emulator.opsgenie import API_KEY, FakeOpsgenie, OpsgenieAccount
from emulator.pagerduty_account import documented_account
from emulator.pagerduty_rest import FakePagerDutyRest
from tests.oncall.importing.running import Ran, warroom_cli
from tests.oncall.importing.test_grafana_oncall import add_senders

YEAR = datetime.now(UTC).year + 1
COMPARE = ("--compare", "2", "--compare-from", f"{YEAR}-03-27 00:00 UTC")
GRAFANA_KEY = "glsa_saved-answers-secret"

Run = Callable[..., Awaitable[Ran]]


def opsgenie_users(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(
        "email,slack_user_id\n"
        + "".join(f"{email},U0{name.split()[0].upper()}\n" for _, email, name in samples.PEOPLE)
    )
    return path


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


async def imported(vendor: str, tmp_path: Path, name: str, *args: str, **env: str) -> Ran:
    """``warroom import VENDOR --out tmp/NAME ARGS`` (the database a SQLite file)."""
    return await warroom_cli(
        "import",
        vendor,
        "--out",
        str(tmp_path / name),
        *args,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}", **env},
    )


async def test_an_opsgenie_import_saved_imports_again_with_opsgenie_gone(tmp_path: Path) -> None:
    saved, users = tmp_path / "saved", opsgenie_users(tmp_path)
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        address = opsgenie.root
        live = await imported(
            "opsgenie",
            tmp_path,
            "live",
            *("--api-url", address, "--users-map", str(users), "--save", str(saved)),
            *COMPARE,
            OPSGENIE_API_KEY=API_KEY,
        )
        asked = {(r.path, tuple(sorted(r.query.items()))) for r in opsgenie.received}
    assert live.code == 3, live.err
    # Nothing answers at the vendor's address now, and no key is given.
    again = await imported(
        "opsgenie",
        tmp_path,
        "offline",
        *("--users-map", str(users), "--from", str(saved)),
        *COMPARE,
    )
    assert again.code == live.code, again.err
    assert files(tmp_path / "offline") == files(tmp_path / "live")
    assert again.out.replace("/offline", "/live") == live.out
    assert again.out.splitlines()[-1] == "no disagreement"
    # A file per request (the on-call questions of --compare too), and the manifest.
    answers = [path for path in saved.iterdir() if path.name != "import.json"]
    assert len(answers) == len(asked)
    manifest = json.loads((saved / "import.json").read_text())
    assert manifest["vendor"] == "opsgenie" and manifest["api_url"] == address
    teams = json.loads(next(saved.glob("GET_v2_teams-*.json")).read_text())
    assert (teams["method"], teams["request"], teams["status"]) == ("GET", "/v2/teams", 200)
    assert teams["body"]["data"][0]["name"]
    # The key is in no file: headers are not kept.
    assert not [path.name for path in saved.iterdir() if API_KEY in path.read_text()]


async def test_a_request_the_folder_holds_no_answer_to_is_named(tmp_path: Path) -> None:
    saved, users = tmp_path / "saved", opsgenie_users(tmp_path)
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        live = await imported(
            "opsgenie",
            tmp_path,
            "live",
            *("--api-url", opsgenie.root, "--users-map", str(users), "--save", str(saved)),
            OPSGENIE_API_KEY=API_KEY,
        )
    assert live.code == 3, live.err
    next(saved.glob("GET_v2_escalations-*.json")).unlink()
    again = await imported(
        "opsgenie", tmp_path, "offline", "--users-map", str(users), "--from", str(saved)
    )
    assert again.code == 1
    assert "holds no saved answer to GET /v2/escalations" in again.err, again.err
    assert not (tmp_path / "offline").exists()
    # A key or an address with --from is refused: the folder says where it came from.
    mixed = await imported(
        "opsgenie", tmp_path, "x", "--from", str(saved), "--api-url", "https://x.example"
    )
    assert mixed.code == 2 and "--from reads a saved folder" in mixed.err
    # A folder of another vendor's answers is refused, naming both.
    other = await imported("pagerduty", tmp_path, "y", "--from", str(saved))
    assert other.code == 1 and "holds answers of opsgenie, not pagerduty" in other.err


async def test_a_pagerduty_import_saved_imports_again_with_pagerduty_gone(
    tmp_path: Path,
) -> None:
    account = documented_account(YEAR)
    users = tmp_path / "users.csv"
    users.write_text("".join(f"{u['email']},U0PD{n:04d}\n" for n, u in enumerate(account.users)))
    saved = tmp_path / "saved"
    async with FakePagerDutyRest(account) as fake:
        args = ("--api-url", fake.root, "--token", fake.token, "--save", str(saved))
        live = await imported("pagerduty", tmp_path, "live", "--users-map", str(users), *args)
    assert live.code in (0, 3), live.err
    again = await imported(
        "pagerduty", tmp_path, "offline", "--users-map", str(users), "--from", str(saved)
    )
    assert again.code == live.code, again.err
    assert files(tmp_path / "offline") == files(tmp_path / "live")
    assert not [p.name for p in saved.iterdir() if fake.token in p.read_text()]


async def test_a_grafana_oncall_import_saved_imports_again_with_grafana_gone(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.csv"
    users.write_text(
        "email,slack_user_id\n"
        + "".join(f"{n}@example.com,U0{n.upper()}\n" for n in ("alice", "bob", "carol", "dave"))
    )
    saved = tmp_path / "saved"
    async with FakeGrafanaOnCall(GRAFANA_KEY, page_size=4) as grafana:
        grafana.load("team")  # schedules, chains, overrides; and senders to repoint
        add_senders(grafana)
        args = ("--api-url", grafana.root, "--users-map", str(users), "--save", str(saved))
        live = await imported(
            "grafana-oncall", tmp_path, "live", *args, GRAFANA_ONCALL_API_TOKEN=GRAFANA_KEY
        )
    assert live.code in (0, 3), live.err
    again = await imported(
        "grafana-oncall", tmp_path, "offline", "--users-map", str(users), "--from", str(saved)
    )
    assert again.code == live.code, again.err
    assert files(tmp_path / "offline") == files(tmp_path / "live")
    assert again.out.replace("/offline", "/live") == live.out
    assert "Deploy script" in (tmp_path / "offline" / "import-report.md").read_text()
    assert not [p.name for p in saved.iterdir() if GRAFANA_KEY in p.read_text()]


def parsed(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_import_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("vendor", "address"),
    [("opsgenie", "https://api.eu.opsgenie.com"), ("pagerduty", "https://api.eu.pagerduty.com")],
)
def test_region_eu_reads_the_vendors_eu_service(vendor: str, address: str, tmp_path: Path) -> None:
    # Opsgenie's API Overview: "If using the EU instance of Opsgenie, the URL needs to be
    # https://api.eu.opsgenie.com"; PagerDuty's EU service region answers api.eu.pagerduty.com.
    settings = Settings.from_env({})
    now = datetime.now(UTC)
    out = str(tmp_path / "out")
    eu = import_request(
        parsed(vendor, "--out", out, "--region", "eu", "--token", "k"), settings, now
    )
    assert isinstance(eu, Request) and eu.api_url == address
    us = import_request(parsed(vendor, "--out", out, "--token", "k"), settings, now)
    assert isinstance(us, Request) and "eu." not in us.api_url
    # --api-url wins (a proxy, or the tests' fake).
    mine = parsed(
        vendor, "--out", out, "--region", "eu", "--api-url", "http://127.0.0.1:9", "--token", "k"
    )
    chosen = import_request(mine, settings, now)
    assert isinstance(chosen, Request) and chosen.api_url == "http://127.0.0.1:9"


def test_grafana_oncall_has_no_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parsed("grafana-oncall", "--out", str(tmp_path / "o"), "--region", "eu", "--token", "k")
    assert import_request(args, Settings.from_env({}), datetime.now(UTC)) == 2
    assert "Grafana OnCall's regions are none: give --api-url" in capsys.readouterr().err


async def test_an_opsgenie_import_through_the_eu_choice_and_its_json_report(
    tmp_path: Path,
) -> None:
    users = opsgenie_users(tmp_path)
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await imported(
            "opsgenie",
            tmp_path,
            "out",
            *("--region", "eu", "--api-url", opsgenie.root, "--users-map", str(users), "--json"),
            OPSGENIE_API_KEY=API_KEY,
        )
    assert ran.code == 3, ran.err
    report = json.loads(ran.out)
    assert report["vendor"] == "opsgenie" and report["outcome"] == "approximate"
    # People are named as the web view names them, their Slack id beside.
    who = [o["who"] for o in report["overrides"] if o["who"] is not None]
    assert {"slack_user": "U0GRACE", "name": "Grace Gupta"} in who
    assert {item["carried"] for item in report["items"]} >= {"exact", "approximate"}


async def test_opsgenie_heartbeats_services_and_integrations_are_carried(tmp_path: Path) -> None:
    # The fake serves the Heartbeat API's and the Integration API's documented examples
    # (emulator/opsgenie_samples.py): https://docs.opsgenie.com/docs/heartbeat-api,
    # https://docs.opsgenie.com/docs/integration-api.
    users = opsgenie_users(tmp_path)
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await imported(
            "opsgenie",
            tmp_path,
            "out",
            *("--api-url", opsgenie.root, "--users-map", str(users), "--json"),
            OPSGENIE_API_KEY=API_KEY,
            WARROOM_PUBLIC_URL="https://warroom.example.com",
        )
    assert ran.code == 3, ran.err
    out = tmp_path / "out"
    # The files warroom reads: the SRE team owns the Platform Escalation, so it is a service
    # paging it; the enabled heartbeats, the team's one with that policy.
    services = yaml.safe_load((out / "services.yaml").read_text())
    assert services == {
        "services": [
            {"name": "sre", "description": "Site reliability", "policy": "platform-escalation"}
        ]
    }
    beats = yaml.safe_load((out / "heartbeats.yaml").read_text())
    assert beats == {
        "heartbeats": [
            {"name": "heartbeatname", "interval": "10m", "policy": "platform-escalation"},
            {"name": "nightly-export", "interval": "24h"},
        ]
    }
    report = json.loads(ran.out)
    by_name = {sender["vendor_name"]: sender for sender in report["integrations"]}
    # No key is made: the command to make it, and where the sender goes.
    assert by_name["Default API"]["command"] == (
        "warroom integrations create --service sre --kind opsgenie --name default-api"
    )
    assert by_name["Default API"]["url"] == "https://warroom.example.com"
    assert by_name["Prometheus Alerts"]["kind"] == "alertmanager"
    assert by_name["Prometheus Alerts"]["command"].startswith(
        "warroom integrations create --service SERVICE --kind alertmanager"
    )
    assert by_name["Signal Sciences"]["command"] is None
    assert "warroom answers no SignalSciences integration" in by_name["Signal Sciences"]["why"]
    assert "Datadog" not in by_name  # disabled: nothing to repoint
    text = (out / "import-report.md").read_text()
    assert "## Integrations to repoint" in text
    assert (
        "| Default API | API | `warroom integrations create --service sre --kind opsgenie "
        "--name default-api` | https://warroom.example.com |" in text
    )
    heartbeat_items = {i["name"]: i["carried"] for i in report["items"] if i["kind"] == "heartbeat"}
    assert heartbeat_items == {
        "HeartbeatName": "exact",
        "Nightly Export": "exact",
        "Old Cron": "not carried",
    }


async def test_pagerduty_services_integrations_and_notification_rules_are_carried(
    tmp_path: Path,
) -> None:
    # The fake serves PagerDuty's OpenAPI description's examples (GET /services with
    # include[]=integrations, GET /users/{id}/notification_rules with urgency=all and
    # include[]=contact_methods): emulator/fixtures/pagerduty_rest_api.json.
    account = documented_account(YEAR)
    users = tmp_path / "users.csv"
    users.write_text("".join(f"{u['email']},U0PD{n:04d}\n" for n, u in enumerate(account.users)))
    async with FakePagerDutyRest(account) as fake:
        ran = await imported(
            "pagerduty",
            tmp_path,
            "out",
            *("--api-url", fake.root, "--token", fake.token, "--users-map", str(users), "--json"),
            WARROOM_PUBLIC_URL="https://warroom.example.com",
        )
    assert ran.code == 3, ran.err
    out = tmp_path / "out"
    services = yaml.safe_load((out / "services.yaml").read_text())["services"]
    assert [(s["name"], s.get("policy"), s["pagerduty_service_id"]) for s in services] == [
        ("my-application-service", "engineering-escalation-policy", "PIJ90N7"),
        ("status-site", "follow-the-sun-psunep1", "PSVC002"),
    ]
    # Earline's rules: e-mail at once and SMS after 5 minutes (high), e-mail after 10 (low);
    # the push rule has nothing warroom can carry.
    contacts = yaml.safe_load((out / "contacts.yaml").read_text())["people"]
    earline = contacts["U0PD0000"]
    assert earline["contacts"] == {
        "mail": {"email": account.contact_methods[account.users[0]["id"]][0]["address"]},
        "sms": {"sms": "+15555550123"},
    }
    assert earline["rules"] == [
        {"after": "0s", "notify": ["mail"]},
        {"after": "5m", "notify": ["sms"]},
    ]
    assert earline["low_urgency_rules"] == [{"after": "10m", "notify": ["mail"]}]
    report = json.loads(ran.out)
    rules = report["notification_rules"]
    assert rules[0]["who"] == {"slack_user": "U0PD0000", "name": account.users[0]["name"]}
    assert "+15555550123" not in ran.out  # numbers stay in contacts.yaml
    senders = {s["vendor_name"]: s for s in report["integrations"]}
    assert senders["Datadog"]["command"] == (
        "warroom integrations create --service my-application-service --kind pagerduty "
        "--name datadog"
    )
    assert senders["Datadog"]["url"] == "https://warroom.example.com/v2/enqueue"
    push = [i for i in report["items"] if i["kind"] == "notification rule"]
    assert push and push[0]["carried"] == "not carried" and "push" in push[0]["detail"]
    text = (out / "import-report.md").read_text()
    assert (
        "`contacts.yaml` holds the contact methods and notification rules of 1 person(s) (" in text
    )


async def test_opsgenie_notification_rules_become_contact_rules(tmp_path: Path) -> None:
    # User Notification Rule API (https://docs.opsgenie.com/docs/notification-rule-api):
    # each user's rules listed, each create-alert rule read whole with its steps.
    users = opsgenie_users(tmp_path)
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await imported(
            "opsgenie",
            tmp_path,
            "out",
            *("--api-url", opsgenie.root, "--users-map", str(users), "--json"),
            OPSGENIE_API_KEY=API_KEY,
        )
        asked = [r.path for r in opsgenie.received if "notification-rules/" in r.path]
    assert ran.code == 3, ran.err
    # Only the rule for new alerts is read whole (not the one for acknowledged alerts).
    assert asked == [
        f"/v2/users/{samples.ALICE}/notification-rules/01a1b2c3-0000-4000-8000-000000000001"
    ]
    people = yaml.safe_load((tmp_path / "out" / "contacts.yaml").read_text())["people"]
    assert people == {
        "U0ALICE": {
            "contacts": {
                "mail": {"email": "alice@example.com"},
                "sms": {"sms": "+15555550123"},
                "call": {"voice": "+15555550123"},
            },
            "rules": [
                {"after": "0s", "notify": ["mail"]},
                {"after": "5m", "notify": ["sms"]},
                {"after": "10m", "notify": ["call"]},
            ],
            # Opsgenie's rule for every alert pages a P3 alert the same (no urgency there).
            "low_urgency_rules": [
                {"after": "0s", "notify": ["mail"]},
                {"after": "5m", "notify": ["sms"]},
                {"after": "10m", "notify": ["call"]},
            ],
        }
    }
    report = json.loads(ran.out)
    assert report["notification_rules"][0]["who"] == {
        "slack_user": "U0ALICE",
        "name": "Alice Adams",
    }
    left_out = [i for i in report["items"] if i["kind"] == "notification rule"]
    assert [(i["name"], i["carried"]) for i in left_out] == [("New Alert", "not carried")]
    assert "mobile" in left_out[0]["detail"]


async def test_a_folder_saved_before_forwarding_rules_were_read_imports_without_them(
    tmp_path: Path,
) -> None:
    """Opsgenie stops in April 2027: a folder saved by a warroom that did not ask for the
    forwarding rules yet still imports, the same files but no leave (none is made up)."""
    saved, users = tmp_path / "saved", opsgenie_users(tmp_path)
    account = OpsgenieAccount.sample(YEAR)
    account.forwarding_rules = [
        {
            "fromUser": {"id": samples.FRANK, "username": "frank@example.com"},
            "toUser": {"id": samples.GRACE, "username": "grace@example.com"},
            "startDate": f"{YEAR}-07-01T00:00:00Z",
            "endDate": f"{YEAR}-07-15T00:00:00Z",
            "id": "rule-1",
        }
    ]
    async with FakeOpsgenie(account) as opsgenie:
        live = await imported(
            "opsgenie",
            tmp_path,
            "live",
            *("--api-url", opsgenie.root, "--users-map", str(users), "--save", str(saved)),
            OPSGENIE_API_KEY=API_KEY,
        )
    assert live.code == 3, live.err
    assert "forwarding rule" in (tmp_path / "live" / "import-report.md").read_text()
    next(saved.glob("GET_v2_forwarding-rules-*.json")).unlink()
    again = await imported(
        "opsgenie", tmp_path, "offline", "--users-map", str(users), "--from", str(saved)
    )
    assert again.code == 3, again.err
    report = (tmp_path / "offline" / "import-report.md").read_text()
    assert "forwarding rule" not in report
    assert (tmp_path / "offline" / "schedules.yaml").read_bytes() == (
        tmp_path / "live" / "schedules.yaml"
    ).read_bytes()
