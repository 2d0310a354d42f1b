"""``warroom dev`` (bot/admin/demo/dev.py) as a person runs it: the manual's example files
(examples/), the addresses it prints, the emulator's preview used over HTTP as a browser
does (its form: a slash command typed, a button pressed), an alert posted to the webhook it
prints reaching the fake phone of the person its policy pages, and Ctrl-C ending it with 0."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.admin.demo.dev import read_workspace
from bot.cli import DEV_NEEDS_THE_EMULATOR

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# The manual's example files, by the variables getting-started names them with.
SETTINGS = {
    "WARROOM_SERVICES": "services.yaml",
    "WARROOM_ALERT_ROUTES": "alert-routes.yaml",
    "WARROOM_ONCALL_SCHEDULES": "oncall-schedules.yaml",
    "WARROOM_ESCALATION_POLICIES": "escalation-policies.yaml",
    "WARROOM_CONTACTS": "contacts.yaml",
}
# The policy's first level names this person, whose contacts push at once (examples/).
PAGED = "U024BE7LH"
CHECKOUT_CHANNEL = "C0123456789"
WAIT = 60.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def newcomer_environment() -> dict[str, str]:
    """This run's environment without a database, Slack or warroom settings of its own, and
    the example files named."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name != "DATABASE_URL" and not name.startswith(("WARROOM_", "SLACK_"))
    }
    return {**kept, **{name: str(EXAMPLES / file) for name, file in SETTINGS.items()}}


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """``warroom dev`` running, and the addresses it printed by what they are."""
    with (tmp_path / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "dev"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=tmp_path,
            env=newcomer_environment(),
        )
        try:
            yield process, printed(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def printed(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    said: dict[str, str] = {}
    for line in process.stdout:
        if line.startswith("Ctrl-C"):
            return said
        label, _, rest = line.partition(": ")
        if rest:
            said[label] = rest.strip()
    pytest.fail(f"warroom dev ended before saying where to look: {said}")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return str(answer.read().decode())


def shown(url: str) -> str:
    """The page's words, as a person reads them (its tags left out)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", get(url)))


def post_form(url: str, fields: dict[str, str]) -> tuple[int, str]:
    """The preview's form sent as a browser sends it: its status and where it leads."""
    body = urllib.parse.urlencode(fields).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=30) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location", "")


def until(check: Callable[[], str | None], what: str) -> str:
    """``check``'s first answer that is not None, asked again until WAIT seconds pass."""
    deadline = time.monotonic() + WAIT
    while (found := check()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT:.0f} s for {what}")
        time.sleep(0.3)
    return found


def test_dev_runs_the_manuals_files_against_the_preview_and_the_phones(
    dev: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, said = dev
    emulator = said["Slack emulator (channels; act as a person, type /incident start …)"]
    phones, web = said["Phones' inboxes"], said["Web view (sign-in off)"]
    webhook = said["Alert webhook"]
    assert said["Database"].startswith("sqlite:///") and "warroom-dev-" in said["Database"]
    # The channels the settings name, by their ids, and #general.
    index = get(emulator)
    for channel in (CHECKOUT_CHANNEL, "C0PAYMENTS"):
        assert f'href="/preview/{channel}"' in index
    general = re.search(r'href="/preview/(C\w+)">#general<', index)
    assert general is not None
    assert "warroom" in get(web)

    # /incident start typed in #general's preview as a person the settings name.
    status, location = post_form(
        f"{emulator}preview/{general[1]}",
        {"user": "U0ALICE", "text": "/incident start Checkout is failing", "send": "1"},
    )
    assert status == 303 and "note=/incident+sent" in location
    until(
        lambda: "present" if "#inc-1-checkout-is-failing<" in get(emulator) else None,
        "the incident's channel in the emulator's channel list",
    )
    said_in_general = f"{emulator}preview/{general[1]}?as=U0ALICE"
    until(
        lambda: "said" if "INC-1 declared" in shown(said_in_general) else None,
        "the declaration said in #general",
    )

    # An alert for checkout, to the webhook and token printed: its policy pages U024BE7LH.
    url, token = re.fullmatch(r"(\S+) \(Authorization: Bearer (\w+)\)", webhook).groups()  # type: ignore[union-attr]
    request = urllib.request.Request(
        url,
        data=json.dumps(alertmanager_alert()).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 202
    inbox = until(
        lambda: page if "CheckoutErrors" in (page := get(phones)) else None,
        "the page on the fake phone",
    )
    assert f"{PAGED}&#x27;s ntfy app" in inbox and "push (priority 5)" in inbox
    # Their rules page by Slack DM too: the app's DM with them is on the front page.
    dm = f'href="/preview/D{PAGED[1:]}"'
    until(lambda: "listed" if dm in get(emulator) else None, "the page's Slack DM listed")

    # Acknowledge pressed on the alert's message in the preview, as the paged person.
    checkout = f"{emulator}preview/{CHECKOUT_CHANNEL}"
    acknowledge = until(
        lambda: (
            m[1]
            if (m := re.search(r'name="press" value="([^"]+)"[^>]*>Acknowledge', get(checkout)))
            else None
        ),
        "the alert's message with its Acknowledge button",
    )
    status, location = post_form(checkout, {"user": PAGED, "press": acknowledge})
    assert status == 303 and "note=Pressed+Acknowledge" in location
    until(
        lambda: "yes" if f"Acknowledged by @{PAGED}" in shown(checkout) else None,
        "the alert's message to say who acknowledged it",
    )

    # What no browser of the preview sends is refused in words, nothing done.
    assert post_form(checkout, {"user": PAGED, "press": "1.2 9 9"})[0] == 400
    assert post_form(checkout, {"user": "U0NOBODY", "text": "hello"})[0] == 400
    status, location = post_form(checkout, {"user": PAGED, "text": "/nope"})
    assert status == 303 and "not+a+slash+command+of+this+app" in location

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def alertmanager_alert() -> dict[str, object]:
    """Alertmanager's webhook (version 4), one firing alert labelled service: checkout
    (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)."""
    labels = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="CheckoutErrors"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "warroom",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": "Checkout error rate above 5%"},
                "startsAt": "2026-11-29T05:30:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com/graph",
                "fingerprint": "c0ffee0000000001",
            }
        ],
    }


def test_dev_without_the_emulator_says_where_to_get_it(tmp_path: Path) -> None:
    """As from the wheel, which holds no emulator: one line, exit 1, nothing started."""
    hidden = (
        "import sys; sys.modules['emulator'] = None; from bot.cli import main;"
        " sys.exit(main(['dev']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hidden],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=newcomer_environment(),
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == DEV_NEEDS_THE_EMULATOR + "\n"
    assert result.stdout == "" and not list(tmp_path.iterdir())


def test_the_workspace_is_the_people_channels_and_groups_the_settings_name(
    tmp_path: Path,
) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "routes:\n  - {name: db, match: {severity: CRITICAL}, action: post, channel: '#ops'}\n"
    )
    workspace = read_workspace({**newcomer_environment(), "WARROOM_ALERT_ROUTES": str(routes)})
    assert set(workspace.people) == {"U024BE7LH", "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"}
    assert workspace.channels == {"C0123456789", "C0PAYMENTS", "ops"}
    assert workspace.groups == {"payments-team", "dba-team", "payments-leads", "payments-oncall"}
    assert workspace.routing_key_envs == {"PAGERDUTY_KEY_PAYMENTS"}
    assert workspace.pushover_keys == {"uQiRzpo4DXghDmr9QzzfQu27cmVRsG"}
    assert workspace.owners["Zr4hVq9LxT2mWc7NbK1pYs8EdJ3fGa6u"] == "U024BE7LH"
