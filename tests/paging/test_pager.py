"""On PostgreSQL, by default (WARROOM_PAGER_PROCESS unset: ``auto``), ``warroom serve`` pages
from a process of its own (bot/pager.py): a page leaves even while the process that took the
alert does nothing at all (here: stopped by SIGSTOP right after it answered the webhook, as a
storm's intake keeps a loop busy), a pager that dies is started again, so the next page leaves
too, and the pages it sends are counted by it and reach Prometheus through serve's one
/metrics (fetched from the pager's loopback WARROOM_PAGER_METRICS_PORT and merged, label
process="pager"), and /readyz says whether it runs. Set off, serve starts no pager and pages
itself.

Real processes (serve and its pager) on PostgreSQL (``WARROOM_TEST_DATABASE_URL``); on SQLite
there is no pager (one writing process per database file), so these tests are PostgreSQL's.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import free_port
from emulator import FakeNtfy, SlackEmulator
from tests.conftest import CAROL
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.processes import ServedBot, bot_env, serve
from tests.helpers.waiting import eventually

TOPIC = "carol-pager"
SENT = "warroom_notifications_total"
ROUTES = {
    "routes": [
        {"name": "page", "match_re": {"alertname": "Page[0-9]+"}, "severity": "SEV1",
         "policy": "primary", "title": "{{ labels.alertname }}"},
    ],
    "default": {"action": "open", "severity": "SEV3"},
}  # fmt: skip
POLICIES = {"policies": {"primary": {"levels": [{"targets": [{"user": CAROL}]}]}}}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        }
    }
}
# A bound for a hang, not a pace: starts of the bot and its pager on a loaded machine.
TEST_LIMIT = 240.0


def pagers(bot: ServedBot) -> list[int]:
    """The pids of serve's pager processes (its children running ``bot pager``)."""
    pid = bot.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in children:
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"pager" in argv:
            found.append(int(child))
    return found


def env_for(slack: SlackEmulator, url: str, ntfy: FakeNtfy, tmp_path: Path) -> dict[str, str]:
    env = {
        **bot_env(slack, url),
        "WARROOM_ALERT_TOKEN": TOKEN,
        "WARROOM_NTFY_URL": ntfy.root,
        "WARROOM_PUBLIC_URL": "https://warroom.example.com",
        "WARROOM_LOG_LEVEL": "INFO",
        # WARROOM_PAGER_PROCESS unset: what a team gets by default (auto, on with PostgreSQL).
        "WARROOM_PAGER_METRICS_PORT": str(free_port()),
    }
    for variable, document in (
        ("WARROOM_ALERT_ROUTES", ROUTES),
        ("WARROOM_ESCALATION_POLICIES", POLICIES),
        ("WARROOM_CONTACTS", CONTACTS),
    ):
        path = tmp_path / f"{variable.lower()}.yaml"
        path.write_text(yaml.safe_dump(document))
        env[variable] = str(path)
    return env


async def pager_ready(bot: ServedBot) -> None:
    async def ready() -> bool:
        return "pager started" in bot.log.read_text() and bool(pagers(bot))

    await eventually(ready, 90, "the pager started")


async def page(bot: ServedBot, name: str) -> None:
    body = alertmanager(name, [alert(name, "checkout-1", "2026-11-26T03:00:00Z")])
    status, _ = await post_alert(bot.url, "alertmanager", body)
    assert status == 202, status


def pushes(ntfy: FakeNtfy, name: str) -> int:
    return sum(1 for push in ntfy.phone(TOPIC) if (push.title or "").endswith(f" {name}"))


async def pushed(ntfy: FakeNtfy, name: str) -> None:
    async def arrived() -> bool:
        return pushes(ntfy, name) > 0

    await eventually(arrived, 30, f"Carol's push for {name}")


async def test_a_page_leaves_while_the_process_that_took_the_alert_is_stopped(
    slack: SlackEmulator, postgresql_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), FakeNtfy() as ntfy:
        env = env_for(slack, postgresql_url, ntfy, tmp_path)
        async with serve(env, tmp_path / "serve.log") as bot:
            slack.events_url = bot.events_url
            await pager_ready(bot)
            await page(bot, "Page1")
            # The webhook is answered once its body is stored; from here on the process
            # that took it runs nothing until SIGCONT.
            os.kill(bot.process.pid, signal.SIGSTOP)
            try:
                await pushed(ntfy, "Page1")
            finally:
                os.kill(bot.process.pid, signal.SIGCONT)


async def test_a_pager_that_dies_is_started_again_and_pages(
    slack: SlackEmulator, postgresql_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), FakeNtfy() as ntfy:
        env = env_for(slack, postgresql_url, ntfy, tmp_path)
        async with serve(env, tmp_path / "serve.log", stop=signal.SIGTERM) as bot:
            slack.events_url = bot.events_url
            await pager_ready(bot)
            (first,) = pagers(bot)
            os.kill(first, signal.SIGKILL)

            async def again() -> bool:
                return bool(pagers(bot)) and pagers(bot) != [first]

            await eventually(again, 60, "a new pager")
            await page(bot, "Page2")
            await pushed(ntfy, "Page2")
            await asyncio.sleep(1)
            assert pushes(ntfy, "Page2") == 1
        # SIGTERM stopped serve and its pager with it.
        assert bot.process.returncode == 0
        await asyncio.sleep(0.5)
        assert not Path(f"/proc/{first}").exists()


async def sample(url: str, name: str, **labels: str) -> float:
    """The value of ``name``'s sample with ``labels`` at the scrape target ``url`` (0 if none)."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200, response.status
        text = await response.text()
    return sum(
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == name and labels.items() <= found.labels.items()
    )


async def counted_once(target: str) -> None:
    """Until the scrape target ``target`` counts one push sent to ntfy."""

    async def counted() -> bool:
        return await sample(target, SENT, provider="ntfy", outcome="sent") == 1

    await eventually(counted, 30, f"one notification counted on {target}")


async def test_one_scrape_of_serve_holds_the_pagers_series(
    slack: SlackEmulator, postgresql_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), FakeNtfy() as ntfy:
        env = env_for(slack, postgresql_url, ntfy, tmp_path)
        target = f"http://127.0.0.1:{env['WARROOM_PAGER_METRICS_PORT']}/metrics"
        async with serve(env, tmp_path / "serve.log") as bot:
            scrape = f"{bot.url}/metrics"
            slack.events_url = bot.events_url
            await pager_ready(bot)
            await page(bot, "Page3")
            await pushed(ntfy, "Page3")
            # The pager sent it and counted it, in its own process...
            await counted_once(target)
            # ...and serve's one scrape shows it, as the pager's series; serve sent none.
            pager = {"process": "pager"}
            assert await sample(scrape, SENT, provider="ntfy", outcome="sent", **pager) == 1
            first = "warroom_page_first_notification_seconds_count"
            assert await sample(scrape, first, **pager) == 1
            assert await sample(scrape, SENT, provider="ntfy", outcome="sent") == 1
            assert await sample(scrape, "warroom_pager_up") == 1
            # Both processes' own collectors, apart.
            assert await sample(scrape, "process_cpu_seconds_total", **pager) > 0
            assert await sample(scrape, "process_cpu_seconds_total") > 0
            async with aiohttp.ClientSession() as client, client.get(f"{bot.url}/readyz") as got:
                assert (await got.json())["parts"]["pager"]["state"] == "ok"


async def test_off_serve_starts_no_pager_and_pages_itself(
    slack: SlackEmulator, postgresql_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), FakeNtfy() as ntfy:
        env = {**env_for(slack, postgresql_url, ntfy, tmp_path), "WARROOM_PAGER_PROCESS": "off"}
        async with serve(env, tmp_path / "serve.log") as bot:
            slack.events_url = bot.events_url
            await page(bot, "Page4")
            await pushed(ntfy, "Page4")
            assert not pagers(bot)
            assert "pager started" not in bot.log.read_text()
            # The push reaches ntfy before its answer does, and the count follows the answer.
            await counted_once(f"{bot.url}/metrics")
