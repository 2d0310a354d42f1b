"""The container image's recipe: what goes into the build context, the lock files it installs,
and the Dockerfile's promises (seven points, each checked here or where it is built).

The image itself is built and run by ``scripts/build-image`` (buildah, no daemon), which
``.ci/run`` runs after the suite where buildah is installed; these tests read the files, so
they run everywhere.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()
LOCKS = {name: REPO / name for name in ("requirements.lock", "requirements-test.lock")}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\]+)", re.MULTILINE)


def _name(requirement: str) -> str:
    """A requirement's project name, normalised as pip compares them (PEP 503)."""
    bare = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def _pins(lock: Path) -> dict[str, str]:
    return {_name(name): version for name, version in PIN.findall(lock.read_text())}


def _dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, as far as these patterns use it: the last matching line decides, and
    ``**/`` matches any folder, the root included."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.removeprefix("!")
        forms = [bare, bare.removeprefix("**/")] if bare.startswith("**/") else [bare]
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        if any(fnmatch.fnmatchcase(p, form) for form in forms for p in prefixes):
            ignored = not negated
    return ignored


def test_the_build_context_keeps_out_what_git_ignores_and_secrets() -> None:
    """Point 1: with no .dockerignore a `bot/.env` and a stray `.db` went into the image."""
    patterns = _dockerignore()
    strays = [
        ".git/config",
        ".venv/bin/python",
        "bot/.env",
        ".env",
        ".env.production",
        "deploy/.env",
        "bot/stray.db",
        "warroom.db",
        "bot/__pycache__/app.cpython-311.pyc",
        "bot/x.db-wal",
        "warroom.egg-info/PKG-INFO",
    ]
    assert [path for path in strays if not _ignored(path, patterns)] == []
    gitignore = (REPO / ".gitignore").read_text().splitlines()
    for line in (line.strip() for line in gitignore):
        if not line or line.startswith("#"):
            continue
        negated, bare = line.startswith("!"), line.removeprefix("!").rstrip("/")
        expected = ("!" if negated else "") + ("**/" + bare if "/" not in bare else bare)
        assert expected in patterns, f".gitignore's {line!r} is not in .dockerignore"
    tracked = subprocess.run(
        ["git", "ls-files", "bot", "commands", "templates", "pyproject.toml", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked and [path for path in tracked if _ignored(path, patterns)] == []
    assert not _ignored("deploy/.env.example", patterns), "the example is what people copy"


def _stages() -> list[str]:
    return re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)[1:]


def test_the_final_stage_copies_one_environment_and_no_wheels() -> None:
    """Point 2: `COPY --from=build /wheels` then `rm` left a dead 17.6 MB layer."""
    final = _stages()[-1]
    copies = re.findall(r"^COPY --from=build (\S+) (\S+)$", final, re.MULTILINE)
    assert copies == [("/opt/warroom", "/opt/warroom")]
    assert "/wheels" not in final and ".whl" not in final
    assert "ENV PATH=/opt/warroom/bin:$PATH" in final


def test_data_belongs_to_group_0_and_is_a_volume() -> None:
    """Points 3 and 4: /data writable by uid 10001 and by any uid of group 0, kept in a
    volume, and the README's `docker run` mounts one."""
    final = _stages()[-1]
    assert "chown 10001:0 /data" in final and "chmod 0775 /data" in final
    assert re.search(r"^USER 10001:0$", final, re.MULTILINE)
    assert re.search(r"^VOLUME /data$", final, re.MULTILINE)
    readme = (REPO / "docs" / "deploying.md").read_text()
    runs = re.findall(r"(?:docker|podman) run [^\n`]*", readme)
    assert runs, "the README shows how to run the image"
    assert all(re.search(r"(-v|--volume|--mount) \S+:/data", run) for run in runs), runs


def test_the_image_installs_the_lock_before_the_sources() -> None:
    """Point 5: every build resolved the newest of 31 dependencies, after the sources were
    copied, so every change of code downloaded them all again."""
    build = _stages()[0]
    lock_install = build.index("--require-hashes --no-deps -r /tmp/lock/requirements.lock")
    assert build.index("COPY requirements-build.lock requirements.lock") < lock_install
    assert lock_install < build.index("COPY bot/ bot/")
    assert "--no-build-isolation" in build  # the wheel's backend is the locked one


def test_the_locks_pin_every_dependency_and_agree() -> None:
    """What CI installs (requirements-test.lock) is what the image installs, plus the tests'
    tools: the same version of every package the two share."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime, test = _pins(LOCKS["requirements.lock"]), _pins(LOCKS["requirements-test.lock"])
    wanted = {_name(r) for r in project["dependencies"]}
    assert wanted - runtime.keys() == set(), "pyproject's dependencies missing from the lock"
    tools = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert (wanted | tools) - test.keys() == set(), "test tools missing from the test lock"
    differ = {name: (v, test[name]) for name, v in runtime.items() if test.get(name) != v}
    assert differ == {}, "the image and CI would install different versions"
    for lock in LOCKS.values():
        text = lock.read_text()
        assert "--hash=sha256:" in text and "--index-url" not in text and "file://" not in text


# Libraries that decide where warroom connects (aiohttp: which host spellings it resolves,
# which redirects and headers it follows): no release older than the one the tests ran on.
TESTED_FLOOR = ("aiohttp",)


@pytest.mark.parametrize("name", TESTED_FLOOR)
def test_the_declared_range_starts_at_the_version_the_tests_run(name: str) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (declared,) = [r for r in project["dependencies"] if _name(r) == name]
    tested = _pins(LOCKS["requirements-test.lock"])[name]
    assert f">={tested}," in declared.replace(" ", ""), (declared, tested)


def test_the_test_command_installs_the_lock() -> None:
    readme = (REPO / "README.md").read_text()
    assert "pip install -q -r requirements-test.lock" in readme


def test_buildah_is_told_the_docker_format() -> None:
    """Point 7: buildah and podman default to OCI, which drops the HEALTHCHECK silently."""
    script = (REPO / "scripts" / "build-image").read_text()
    assert re.search(r"\bbud\b[^\n]*--format docker", script)
    readme = (REPO / "docs" / "deploying.md").read_text()
    assert "--format docker" in readme
    assert re.search(r"^HEALTHCHECK ", DOCKERFILE, re.MULTILINE)


@pytest.mark.parametrize("label", ["version", "revision", "source", "licenses"])
def test_the_image_carries_its_labels(label: str) -> None:
    assert f"org.opencontainers.image.{label}=" in _stages()[-1]


def test_the_healthcheck_asks_livez_never_a_probe_that_follows_slack_or_the_database() -> None:
    """An orchestrator restarts or replaces a container whose HEALTHCHECK fails: the image's
    asks liveness (/livez, the process answers), so that no outage of Slack or the database,
    which a restart does not cure, takes every replica down with it."""
    check = DOCKERFILE[DOCKERFILE.index("\nHEALTHCHECK ") :].split("\nCMD ")[0]
    assert "127.0.0.1:%s/livez" in check, check
    assert "/readyz" not in check and "/healthz" not in check, check
