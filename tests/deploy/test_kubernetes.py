"""deploy/kubernetes/: every manifest is valid against the Kubernetes schemas, and does what its
README promises (replicas and WARROOM_REPLICAS, secrets only from the Secret, probes, an
unprivileged read-only container, the kustomization's list of files).

kubernetes-validate is a declared test dependency: without it this module fails to import, it
is not skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from bot.app import ROUTES
from bot.config import LogSettings, Settings
from bot.server import HARD_STOP_SECONDS
from bot.web.health import READY_WITHIN_SECONDS

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "kubernetes"
KUSTOMIZATION = "kustomization.yaml"
# Files in DEPLOY that `kubectl apply -k` must not apply, each for its reason.
NOT_APPLIED = {
    "secret.example.yaml": "fake credentials: the real Secret is made with kubectl",
    "ingress.yaml": "depends on the cluster and has a placeholder host: added by choice",
}
# The newest Kubernetes version whose schemas the installed kubernetes-validate carries.
SCHEMA_VERSION = kubernetes_validate.latest_version()
SECRET_LOOKING = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL|API_KEY")
# A credential written as a literal, whatever the variable is called: a Slack token, or a URL
# with a password in it.
CREDENTIAL_VALUE = re.compile(r"xox[a-z]-|://[^/@\s]+:[^/@\s]+@")
REQUIRED_SECRETS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL")
# What a kustomization may say at its top level (kustomize's Kustomization type, in part).
KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "resources",
    "components",
    "labels",
    "commonAnnotations",
    "images",
    "patches",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
}
ResourceDict = dict[str, Any]


def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.glob("*.yaml"), *DEPLOY.glob("*.yml")])


def documents(path: Path) -> list[ResourceDict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def manifest_files() -> list[Path]:
    """Every YAML file that holds Kubernetes objects (all but the kustomization)."""
    return [path for path in yaml_files() if path.name != KUSTOMIZATION]


def the(kind: str) -> ResourceDict:
    """The one object of ``kind`` in DEPLOY (secret.example.yaml's Secret included)."""
    found = [doc for path in manifest_files() for doc in documents(path) if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} in {DEPLOY}, found {len(found)}"
    return found[0]


def kustomization() -> ResourceDict:
    (document,) = documents(DEPLOY / KUSTOMIZATION)
    return document


def pod_spec() -> ResourceDict:
    spec: ResourceDict = the("Deployment")["spec"]["template"]["spec"]
    return spec


def pod_labels() -> dict[str, str]:
    labels: dict[str, str] = the("Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def container() -> ResourceDict:
    containers = pod_spec()["containers"]
    assert [c["name"] for c in containers] == ["warroom"], "one container, warroom"
    found: ResourceDict = containers[0]
    return found


def env() -> dict[str, ResourceDict]:
    """The container's environment by name (each name once)."""
    entries = container().get("env", [])
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), f"a variable set twice: {names}"
    return {entry["name"]: entry for entry in entries}


def literal(name: str) -> str:
    value: str = env()[name]["value"]
    return value


def container_port(port: int | str) -> int:
    """The container port a probe or Service names, by number or by name."""
    ports = container()["ports"]
    if isinstance(port, int):
        assert port in [p["containerPort"] for p in ports], f"no container port {port}"
        return port
    (number,) = [p["containerPort"] for p in ports if p.get("name") == port]
    return int(number)


def the_port() -> int:
    (port,) = container()["ports"]
    return int(port["containerPort"])


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels only: these manifests use nothing else) picks
    pods with ``labels``."""
    assert set(selector) == {"matchLabels"}, f"unexpected selector {selector}"
    return bool(selector["matchLabels"]) and all(
        labels.get(key) == value for key, value in selector["matchLabels"].items()
    )


def secret_refs() -> dict[str, ResourceDict]:
    """The container's variables read from a Secret, by name: their secretKeyRef."""
    return {
        name: entry["valueFrom"]["secretKeyRef"]
        for name, entry in env().items()
        if "secretKeyRef" in entry.get("valueFrom", {})
    }


def commented_keys(path: Path) -> set[str]:
    """Keys shown in comments (``  # NAME: value``): the optional ones of the example."""
    return set(re.findall(r"^\s*#\s*([A-Z][A-Z0-9_]*):", path.read_text(), re.MULTILINE))


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers every name asked of it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked.add(name)
        return name in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def names_warroom_reads() -> set[str]:
    environ = RecordingEnviron({})
    Settings.from_env(environ)
    LogSettings.from_env(environ)
    return environ.asked


def quantity(text: str | int) -> Decimal:
    """A Kubernetes quantity (``100m``, ``1``, ``256Mi``) as a number."""
    units = {"": Decimal(1), "m": Decimal("0.001"), "Ki": Decimal(1024), "Mi": Decimal(1024**2)}
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|)", str(text))
    assert match is not None, f"unexpected quantity {text!r}"
    return Decimal(match[1]) * units[match[2]]


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(path: Path) -> None:
    """Strict: an unknown or misspelt field fails, as `kubectl apply` would refuse it."""
    assert documents(path), f"{path.name} holds no object"
    for document in documents(path):
        name = f"{path.name}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
        try:
            validated = kubernetes_validate.validate(document, SCHEMA_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(f"{name} is not valid Kubernetes {error.version}: {where}: {error.message}")
        assert validated == ".".join(SCHEMA_VERSION.split(".")[:2]), name


def test_the_manifests_are_there() -> None:
    names = {path.name for path in yaml_files()}
    expected = {"deployment.yaml", "service.yaml", "pdb.yaml", KUSTOMIZATION, *NOT_APPLIED}
    assert expected <= names


def test_replicas_equal_warroom_replicas() -> None:
    """Each replica takes 1/WARROOM_REPLICAS of Slack's limits: the two must agree."""
    replicas = the("Deployment")["spec"]["replicas"]
    assert replicas == 2
    assert int(literal("WARROOM_REPLICAS")) == replicas


def test_secret_looking_variables_come_from_the_secret() -> None:
    secret_name = the("Secret")["metadata"]["name"]
    refs = secret_refs()
    for name, entry in env().items():
        if SECRET_LOOKING.search(name):
            assert "value" not in entry, (
                f"{name} is written in the manifest, not read from a Secret"
            )
            assert name in refs, f"{name} must come from a secretKeyRef"
        if "value" in entry:
            assert not CREDENTIAL_VALUE.search(entry["value"]), f"{name}: a credential literal"
    for name, ref in refs.items():
        assert ref["name"] == secret_name, f"{name} reads Secret {ref['name']}, not {secret_name}"
        assert ref["key"] == name, f"{name} reads key {ref['key']}: keep keys and names alike"
    for name in REQUIRED_SECRETS:
        assert name in refs, f"{name} is not read from the Secret"
        assert not refs[name].get("optional", False), f"{name} is required, not optional"
    for source in container().get("envFrom", []):
        assert set(source) <= {"secretRef", "prefix"}, f"envFrom only from Secrets: {source}"


def test_every_variable_is_one_warroom_reads() -> None:
    """A misspelt name (SLACK_SIGNING_SECRETS) would be set and never read."""
    read = names_warroom_reads()
    example = the("Secret")
    example_keys = set(example["stringData"]) | commented_keys(DEPLOY / "secret.example.yaml")
    assert set(env()) <= read, f"not read by warroom: {sorted(set(env()) - read)}"
    assert example_keys <= read, f"not read by warroom: {sorted(example_keys - read)}"


def test_the_example_secret_has_every_key_the_deployment_reads() -> None:
    """Required keys with a (fake) value, optional ones at least shown in a comment."""
    example_path = DEPLOY / "secret.example.yaml"
    data: dict[str, str] = the("Secret")["stringData"]
    shown = set(data) | commented_keys(example_path)
    for ref in secret_refs().values():
        if ref.get("optional", False):
            assert ref["key"] in shown, f"secret.example.yaml does not mention {ref['key']}"
        else:
            assert ref["key"] in data, f"secret.example.yaml lacks the required {ref['key']}"
    assert set(data) <= {ref["key"] for ref in secret_refs().values()}, "a key nothing reads"
    for key, value in data.items():
        assert "EXAMPLE" in value or set(value) <= set("0."), f"{key}: not obviously fake"
    assert "kubectl create secret generic" in example_path.read_text()


def test_the_example_configuration_starts() -> None:
    """The manifest's plain values and the example Secret make a configuration warroom accepts
    for `serve` on several replicas: PostgreSQL, sign-in ready, listening beyond loopback."""
    plain = {name: entry["value"] for name, entry in env().items() if "value" in entry}
    settings = Settings.from_env({**plain, **the("Secret")["stringData"]})
    settings.require("slack_token", "signing_secret")
    assert settings.runtime.database_url.startswith("postgresql://")
    assert settings.runtime.replicas == the("Deployment")["spec"]["replicas"]
    assert settings.runtime.port == the_port()
    assert settings.web.sign_in_ready
    assert settings.web.public_url.startswith("https://")


def test_probes_ask_livez_and_readyz_on_the_container_port() -> None:
    routes = {(route.method, route.path) for route in ROUTES}
    assert {("GET", "/livez"), ("GET", "/readyz")} <= routes
    probes = {
        kind: container()[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    # Liveness never follows the database or Slack (a restart brings neither back);
    # readiness takes the pod out of the Service while either is out.
    wanted = {"startupProbe": "/livez", "readinessProbe": "/readyz", "livenessProbe": "/livez"}
    for kind, probe in probes.items():
        get = probe["httpGet"]
        assert get["path"] == wanted[kind], kind
        assert container_port(get["port"]) == the_port(), kind
        assert get.get("scheme", "HTTP") == "HTTP", kind
        # /readyz waits this long at most (the database, Slack, the queues) before it answers.
        assert probe.get("timeoutSeconds", 1) > READY_WITHIN_SECONDS, f"{kind} gives up first"

    def patience(probe: ResourceDict) -> int:
        return int(probe.get("periodSeconds", 10)) * int(probe.get("failureThreshold", 3))

    # A stuck process leaves the Service before it is restarted.
    assert patience(probes["livenessProbe"]) > patience(probes["readinessProbe"])


def test_the_readiness_probe_says_why_a_slack_outage_keeps_the_pods_in_the_service() -> None:
    """/readyz no longer follows Slack (tests/web/test_health.py): the manifest says so where
    an operator reads the probe, and its README how to read Slack's state."""
    text = (DEPLOY / "deployment.yaml").read_text()
    probe = text[text.index("readinessProbe:") :].splitlines()[1:4]
    comment = " ".join(line.strip(" #") for line in probe)
    assert "cannot reach Slack stays" in comment, comment
    readme = (DEPLOY / "README.md").read_text()
    assert "It never fails for Slack" in readme and "/readyz" in readme


def test_the_container_runs_unprivileged_on_a_read_only_root() -> None:
    pod = pod_spec()
    pod_context = pod.get("securityContext", {})
    context = {**pod_context, **container().get("securityContext", {})}
    assert context.get("runAsNonRoot") is True
    assert context.get("runAsUser") == 10001
    assert context.get("readOnlyRootFilesystem") is True
    assert context.get("allowPrivilegeEscalation") is False
    assert context.get("privileged", False) is False
    assert context.get("capabilities") == {"drop": ["ALL"]}
    assert context.get("seccompProfile") == {"type": "RuntimeDefault"}
    assert pod.get("automountServiceAccountToken") is False
    assert not any(pod.get(host) for host in ("hostNetwork", "hostPID", "hostIPC"))


def test_data_and_tmp_are_writable_volumes() -> None:
    """The root filesystem is read-only: the places warroom and Python write are volumes."""
    volumes = {volume["name"]: volume for volume in pod_spec().get("volumes", [])}
    mounts = {mount["mountPath"]: mount for mount in container().get("volumeMounts", [])}
    for path in ("/data", "/tmp"):
        assert path in mounts, f"{path} is not mounted"
        assert not mounts[path].get("readOnly", False), f"{path} is mounted read-only"
        assert mounts[path]["name"] in volumes, f"{path}: no volume {mounts[path]['name']}"
        assert "emptyDir" in volumes[mounts[path]["name"]], f"{path}: expected an emptyDir"


def test_the_kustomization_applies_exactly_the_manifests() -> None:
    """No manifest missing from it or forgotten, and the examples never applied."""
    document = kustomization()
    assert document["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert document["kind"] == "Kustomization"
    assert set(document) <= KUSTOMIZATION_FIELDS, f"unknown: {set(document) - KUSTOMIZATION_FIELDS}"
    resources = document["resources"]
    assert len(resources) == len(set(resources)), "a resource listed twice"
    present = {path.name for path in manifest_files()}
    assert set(resources) == present - set(NOT_APPLIED)
    assert "secret.example.yaml" not in resources
    text = (DEPLOY / KUSTOMIZATION).read_text()
    for name in NOT_APPLIED:
        assert (DEPLOY / name).exists(), name
        assert f"# - {name}" in text, f"say in {KUSTOMIZATION} why {name} is not listed"
    # Labels kustomize adds must stay out of selectors (a Deployment's cannot change).
    assert "commonLabels" not in document
    for labels in document.get("labels", []):
        assert labels.get("includeSelectors", False) is False


def test_the_image_is_set_in_the_kustomization() -> None:
    """kustomize replaces an image only when `name` is the one the manifest names."""
    image = container()["image"]
    name = re.sub(r"(@sha256:[0-9a-f]+|:[^:/]+)$", "", image)
    (entry,) = kustomization()["images"]
    assert entry["name"] == name
    assert "newTag" in entry or "digest" in entry


def test_the_pdb_service_and_spreading_select_the_pods() -> None:
    deployment = the("Deployment")
    labels = pod_labels()
    assert selects(deployment["spec"]["selector"], labels)
    pdb = the("PodDisruptionBudget")
    assert selects(pdb["spec"]["selector"], labels)
    # minAvailable as large as replicas would block every node drain.
    assert 1 <= pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    service = the("Service")
    assert selects({"matchLabels": service["spec"]["selector"]}, labels)
    (port,) = service["spec"]["ports"]
    assert container_port(port["targetPort"]) == the_port()
    assert int(literal("PORT")) == the_port()
    (term,) = pod_spec()["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert selects(term["podAffinityTerm"]["labelSelector"], labels)


def test_rolling_updates_never_go_below_the_replicas() -> None:
    strategy = the("Deployment")["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] not in (0, "0%")


def test_shutdown_fits_the_grace_period() -> None:
    """The preStop pause, then at most HARD_STOP_SECONDS until the watchdog ends warroom."""
    pause = container().get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    grace = pod_spec()["terminationGracePeriodSeconds"]
    assert grace >= pause + HARD_STOP_SECONDS


def test_resources_are_requested_and_bounded() -> None:
    resources = container()["resources"]
    for what in ("cpu", "memory"):
        request = quantity(resources["requests"][what])
        limit = quantity(resources["limits"][what])
        assert 0 < request <= limit, what
    # About 110 MiB resident under the benchmarks' load (bench/RESULTS.md).
    assert quantity(resources["limits"]["memory"]) >= 2 * 110 * 2**20


def test_the_ingress_serves_slack_over_https_at_the_public_url() -> None:
    assert ("POST", "/slack/events") in {(route.method, route.path) for route in ROUTES}
    ingress = the("Ingress")
    service = the("Service")
    (rule,) = ingress["spec"]["rules"]
    tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
    assert rule["host"] in tls_hosts, "Slack needs HTTPS"
    assert rule["host"] == urlsplit(literal("WARROOM_PUBLIC_URL")).hostname
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"].get("name") in {port.get("name") for port in service["spec"]["ports"]}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_what_the_files_say() -> None:
    """`kubectl kustomize` (no cluster needed) builds the listed objects with the chosen image."""
    built = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    objects = [doc for doc in yaml.safe_load_all(built.stdout) if doc is not None]
    assert sorted(doc["kind"] for doc in objects) == [
        "Deployment",
        "PodDisruptionBudget",
        "Service",
    ]
    (entry,) = kustomization()["images"]
    (deployment,) = [doc for doc in objects if doc["kind"] == "Deployment"]
    (rendered,) = deployment["spec"]["template"]["spec"]["containers"]
    assert rendered["image"] == f"{entry.get('newName', entry['name'])}:{entry['newTag']}"
    for document in objects:
        kubernetes_validate.validate(document, SCHEMA_VERSION, strict=True)
        assert document["metadata"]["labels"]["app.kubernetes.io/part-of"] == "warroom"
