"""The workflows file: what it reads as, and every problem named (as `warroom serve` and
`warroom workflows check` say them)."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.record.incident.incident_types import parse_incident_types
from bot.record.workflows.conditions import Facts
from bot.record.workflows.definitions import WorkflowError, load_workflows, parse_workflows
from emulator import SlackEmulator
from tests.conftest import ALICE, running_warroom

README = Path(__file__).parents[2] / "docs" / "workflows.md"
TYPES = {
    "fields": {
        "customer_impact": {
            "type": "select",
            "label": "Customer impact",
            "options": ["none", "degraded", "outage"],
        },
        "affected_users": {"type": "number", "label": "Affected users"},
    },
    "types": {
        "customer-facing": {"description": "Customers see it"},
        "security": {"private": True},
    },
}
ISSUE_EXAMPLE = """
workflows:
  exec-heads-up:
    on: incident.declared
    when:
      all:
        - severity: [SEV1]
        - type: customer-facing
    do:
      - invite: {usergroup: exec}
      - post: {channel: C0EXECUPD1, text: "Exec heads-up: {{ incident.title }}"}
"""


def facts(**given: object) -> Facts:
    base: dict[str, object] = {
        "severity": "SEV1",
        "status": "investigating",
        "type": "customer-facing",
        "private": False,
    }
    return Facts(**{**base, **given})  # type: ignore[arg-type]


def test_the_issues_example_loads_and_reads_in_plain_english() -> None:
    workflows = parse_workflows(yaml.safe_load(ISSUE_EXAMPLE))
    flow = workflows.get("exec-heads-up")
    assert flow is not None
    assert flow.reads() == (
        "When an incident is declared with severity SEV1 and type customer-facing: "
        "invite @exec, post in channel C0EXECUPD1"
    )
    assert workflows.matching("incident.declared", facts()) == [flow]
    assert workflows.matching("incident.declared", facts(severity="SEV2")) == []
    assert workflows.matching("incident.resolved", facts()) == []
    # A workflow's own change starts nothing.
    assert workflows.matching("incident.declared", facts(), cause="workflow:other") == []


def test_nested_conditions_fields_and_labels() -> None:
    workflows = parse_workflows(
        {
            "workflows": {
                "w": {
                    "on": "alert.received",
                    "when": {
                        "any": [
                            {"field": "customer_impact", "in": ["degraded", "outage"]},
                            {"all": [{"labels": {"team": "payments"}}, {"not": {"private": True}}]},
                        ]
                    },
                    "do": [{"set_severity": "sev1"}],
                }
            }
        }
    )
    on = "alert.received"
    assert workflows.matching(on, facts(fields={"customer_impact": "Outage"}))
    assert workflows.matching(on, facts(labels={"team": "payments"}))
    assert not workflows.matching(on, facts(labels={"team": "payments"}, private=True))
    assert not workflows.matching(on, facts(fields={"customer_impact": "none"}))


def test_every_problem_is_named() -> None:
    with pytest.raises(WorkflowError) as raised:
        parse_workflows(
            {
                "workflows": {
                    "a": {
                        "on": "incident.exploded",
                        "when": {"colour": "red"},
                        "do": [
                            {"post": {"text": "{{ incident.titel }}"}},
                            {"webhook": {"url": "http://hooks.example.com/x", "secret_env": "S"}},
                            {"launch": {}},
                        ],
                    }
                }
            }
        )
    said = "\n".join(raised.value.problems)
    assert "unknown trigger 'incident.exploded'" in said
    assert "unknown condition 'colour'" in said
    assert "the template does not render" in said and "titel" in said
    assert "url: an https:// address (http:// only to 127.0.0.1)" in said
    assert "unknown action 'launch'" in said


def test_a_bookmark_link_longer_than_slack_takes_is_refused_at_the_check(
    tmp_path: Path,
) -> None:
    """Slack takes a bookmark link of at most 2,048 characters: a longer one cannot be cut
    (it would lead elsewhere), so `warroom workflows check` names the workflow and field."""
    link = "https://runbooks.example/pay?" + "q" * (2100 - 29)
    path = tmp_path / "long.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "workflows": {
                    "runbook-link": {
                        "on": "incident.declared",
                        "do": [{"bookmark": {"title": "Runbook", "link": link}}],
                    }
                }
            }
        )
    )
    run = [sys.executable, "-m", "bot", "workflows", "check", str(path)]
    refused = subprocess.run(run, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert (
        "workflow 'runbook-link': do #1 (bookmark): link: 2,100 characters, and Slack takes "
        "a bookmark link of at most 2,048"
    ) in refused.stderr, refused.stderr
    assert link not in refused.stderr  # named, not repeated whole


def test_what_the_other_files_own_is_checked_against_them() -> None:
    workflows = parse_workflows(
        {
            "workflows": {
                "b": {
                    "on": "incident.declared",
                    "when": {
                        "all": [
                            {"field": "customer_impact", "equals": "catastrophic"},
                            {"field": "affected_users", "equals": "many"},
                            {"field": "colour", "is_set": True},
                            {"type": "secrity"},
                        ]
                    },
                    "do": [
                        {"post": {"text": "{{ incident.fields.nope }}"}},
                        {"escalate": "nobody"},
                        {"invite": {"schedule": "ghost"}},
                        {"webhook": {"url": "https://h.example.com", "secret_env": "HOOK"}},
                    ],
                }
            }
        }
    )
    problems = workflows.problems_with(
        parse_incident_types(TYPES), policies=["payments"], schedules=[], secrets={"HOOK": ""}
    )
    said = "\n".join(problems)
    assert "field customer_impact is a select of none, degraded, outage" in said
    assert "it can never be 'catastrophic'" in said
    assert "field affected_users is a number" in said
    assert "unknown field 'colour'" in said
    assert "no incident type 'secrity'" in said
    assert "'dict object' has no attribute 'nope'" in said
    assert "no escalation policy named 'nobody'" in said
    assert "no on-call schedule named 'ghost'" in said
    assert "HOOK is not set" in said


def test_the_readmes_example_files_load_and_agree_with_their_types() -> None:
    """The three examples: each workflows file, and its types file where it has one, load;
    what the workflows name of fields and types, the types file declares."""
    text = README.read_text()
    section = text
    examples = re.split(r"\n\*\*A ", section)[1:4]
    assert [example.split("**")[0].split(":")[0] for example in examples] == [
        "small team",
        "regulated company with a security type",
        "company with a status page",
    ]
    for example in examples:
        documents = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", example, re.S)]
        types = parse_incident_types(documents[0]) if len(documents) == 2 else None
        workflows = parse_workflows(documents[-1])
        assert workflows
        problems = workflows.problems_with(
            types or parse_incident_types(None),
            policies=["platform"],
            schedules=["primary"],
            secrets=dict.fromkeys(workflows.secret_envs, "set"),
        )
        assert problems == [], problems


def test_warroom_workflows_check_and_test(tmp_path: Path) -> None:
    types, good, bad = tmp_path / "types.yaml", tmp_path / "good.yaml", tmp_path / "bad.yaml"
    types.write_text(yaml.safe_dump(TYPES))
    good.write_text(ISSUE_EXAMPLE)
    bad.write_text("workflows:\n  x:\n    on: incident.nope\n    do: [{post: {text: hi}}]\n")
    env = {"WARROOM_INCIDENT_TYPES": str(types), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "bot", "workflows"]
    checked = subprocess.run([*run, "check", str(good)], env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "exec-heads-up: When an incident is declared with severity SEV1" in checked.stdout
    refused = subprocess.run([*run, "check", str(bad)], env=env, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "unknown trigger 'incident.nope'" in refused.stderr
    tested = subprocess.run(
        [
            *run,
            "test",
            str(good),
            "--event",
            "declared",
            "--severity",
            "SEV1",
            "--type",
            "customer-facing",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "exec-heads-up would run:\n  1. invite @exec" in tested.stdout
    # With the types file set, a type or field it does not declare is named (exit 2).
    for given, said in (
        (["--type", "securty"], "--type securty: no such type (the file has customer-facing"),
        (
            ["--field", "colour=red"],
            "--field colour: no such field (the file has affected_users, customer_impact)",
        ),
    ):
        wrong = subprocess.run(
            [*run, "test", str(good), "--event", "declared", *given],
            env=env,
            capture_output=True,
            text=True,
        )
        assert wrong.returncode == 2 and said in wrong.stderr, wrong.stderr
    # The timer: a status timer starts only for an incident in its status.
    timers = tmp_path / "timers.yaml"
    timers.write_text(
        "workflows:\n  stuck:\n    on: {incident.open_for: 30m, status: investigating}\n"
        "    do: [{post: {text: Still investigating}}]\n"
    )
    for status, runs in (("investigating", True), ("monitoring", False)):
        timed = subprocess.run(
            [*run, "test", str(timers), "--event", "open_for", "--status", status],
            env=env,
            capture_output=True,
            text=True,
        )
        assert timed.returncode == 0, timed.stderr
        assert (
            "stuck would run (When an incident has been investigating for 30 minutes):"
            in timed.stdout
        ) is runs, timed.stdout


CHANNELS = """
workflows:
  exec-heads-up:
    on: incident.declared
    do:
      - post: {channel: EXEC, text: "Exec heads-up: {{ incident.title }}"}
  legal:
    on: incident.declared
    when: {type: security}
    do:
      - post: {channel: LEGAL, text: "Security incident {{ incident.reference }}"}
      - post: {channel: SECRET, text: "Security incident {{ incident.reference }}"}
"""


def channels_file(tmp_path: Path, slack: SlackEmulator) -> tuple[Path, dict[str, str]]:
    """#exec-updates with the bot, #legal without it, a private channel without it."""
    exec_updates = slack.create_channel("exec-updates", creator=ALICE, members=[slack.bot_user_id])
    legal = slack.create_channel("legal", creator=ALICE)
    secret = slack.create_channel("secret-room", creator=ALICE, is_private=True)
    ids = {"EXEC": exec_updates.id, "LEGAL": legal.id, "SECRET": secret.id}
    text = CHANNELS
    for placeholder, channel_id in ids.items():
        text = text.replace(f"channel: {placeholder}", f"channel: {channel_id}")
    path = tmp_path / "workflows.yaml"
    path.write_text(text)
    return path, ids


async def test_workflows_check_names_each_channel_the_bot_is_not_in(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    workflows, ids = channels_file(tmp_path, slack)
    types = tmp_path / "types.yaml"
    types.write_text(yaml.safe_dump(TYPES))
    env = {
        "WARROOM_INCIDENT_TYPES": str(types),
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.base_url,
    }
    code, out, err = await workflows_check(workflows, env)
    assert code == 1, err
    assert "exec-heads-up: When an incident is declared: post in #exec-updates" in out.decode()
    problems = err.decode().splitlines()
    assert problems == [
        f"warroom: workflow legal, action 1 (post): the bot is not in #legal ({ids['LEGAL']}): "
        "invite it there (/invite @bot)",
        f"warroom: workflow legal, action 2 (post): channel {ids['SECRET']} is not found: no "
        "such channel, or a private one the bot is not in (invite the bot there)",
    ]
    # Without a token the files alone are checked, and it says the channels were not.
    del env["SLACK_BOT_TOKEN"]
    code, out, err = await workflows_check(workflows, env)
    assert code == 0, err
    assert "Channels not checked: set SLACK_BOT_TOKEN" in out.decode()


async def workflows_check(path: Path, env: dict[str, str]) -> tuple[int | None, bytes, bytes]:
    """``warroom workflows check PATH`` run while the emulator answers in this loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "workflows", "check", str(path),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out, err


def channel_checks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the channel check said: other warnings (a stalled loop on a busy machine) aside."""
    return [r.getMessage() for r in caplog.records if r.name == "bot.flows.named_channels"]


async def test_serve_names_each_channel_the_bot_is_not_in_at_start_up(
    tmp_path: Path, slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    path, ids = channels_file(tmp_path, slack)
    caplog.set_level(logging.WARNING, logger="bot.flows.named_channels")
    async with running_warroom(slack, sqlite_url, workflows__definitions=load_workflows(path)):
        await slack.wait_for(lambda: len(channel_checks(caplog)) == 2)
    said = channel_checks(caplog)
    assert said[0].startswith(
        f"channel check: workflow legal, action 1 (post): the bot is not in #legal ({ids['LEGAL']})"
    )
    assert said[1].startswith(
        f"channel check: workflow legal, action 2 (post): channel {ids['SECRET']} is not found"
    )
