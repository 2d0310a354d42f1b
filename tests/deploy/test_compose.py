"""deploy/compose.yaml, deploy/.env.example and deploy/proxy/Caddyfile: what a user relies on.

Two tests hand the files to the real tools when they are installed: Docker Compose (`docker
compose`, or Debian's `docker-compose` v1; neither needs a Docker engine for `config`) validates
compose.yaml against the Compose Specification, and Caddy's own parser reads the Caddyfile. A
missing tool is reported as a skip naming it (`pytest -ra`), never a pass. The structural tests
always run, on the files as YAML and text: each checks one promise of deploy/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import variables
from bot.store.db import async_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
CADDYFILE = DEPLOY / "proxy" / "Caddyfile"
CADDYFILE_IN_CONTAINER = "/etc/caddy/Caddyfile"
WARROOM_PORT = 3000
WARROOM_UID = "10001"
POSTGRES_PORT = 5432
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY")
# Compose's interpolation: $$ (a literal $), ${NAME}, ${NAME:-default} and the like, $NAME.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<operator>:?[-?+])?(?P<argument>[^}]*)\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
# A reference that can only come from the environment: no default written beside it.
_REFERENCE_WITHOUT_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}")
_URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?P<password>\$\{[^}]*\}|[^@\s]*)@")
_SLACK_TOKEN = re.compile(r"\bx(?:ox[abposer]|app)-[A-Za-z0-9-]")

Service = dict[str, Any]


# --- reading the files ---------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines, as Compose reads them (comment lines and blank lines skipped)."""
    variables: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, separator, value = stripped.partition("=")
        assert separator and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), (
            f"{path.name}:{number}: not NAME=value: {line!r}"
        )
        assert name not in variables, f"{path.name}:{number}: {name} is set twice"
        variables[name] = value
    return variables


def interpolate(value: str, environment: Mapping[str, str]) -> str:
    """A string with its variables replaced as Compose would (error on an unset ${X:?…})."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        operator, argument = match["operator"] or "", match["argument"]
        current = environment.get(name)
        unset = current is None or (operator.startswith(":") and current == "")
        if operator.endswith("-"):
            return argument if unset else str(current)
        if operator.endswith("?"):
            if unset:
                raise ValueError(f"{name} is required: {argument}")
            return str(current)
        if operator.endswith("+"):
            return "" if unset else argument
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def resolved(node: Any, environment: Mapping[str, str]) -> Any:
    """The YAML tree with every string interpolated."""
    if isinstance(node, str):
        return interpolate(node, environment)
    if isinstance(node, list):
        return [resolved(item, environment) for item in node]
    if isinstance(node, dict):
        return {key: resolved(value, environment) for key, value in node.items()}
    return node


def strings(node: Any) -> Iterator[str]:
    """Every string value of the YAML tree (keys are never interpolated)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)


def variables_used(node: Any) -> set[str]:
    return {
        match["braced"] or match["bare"]
        for text in strings(node)
        for match in _INTERPOLATION.finditer(text)
        if not match["escaped"]
    }


def environment_of(service: Service) -> dict[str, str]:
    """A service's `environment`, in either of Compose's forms."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.partition("=")[::2] for item in raw)
    return {name: "" if value is None else str(value) for name, value in raw.items()}


def mounts(service: Service) -> list[tuple[str, str]]:
    """(source, target) of each of a service's volumes, in either of Compose's forms."""
    found = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            found.append((str(volume.get("source", "")), str(volume["target"])))
        else:
            source, _, rest = str(volume).partition(":")
            found.append((source, rest.split(":")[0]))
    return found


def container_ports(service: Service) -> set[int]:
    """The container side of each published port ("8080:8080", "127.0.0.1:80:8080/tcp")."""
    ports = set()
    for port in service.get("ports") or []:
        target = port["target"] if isinstance(port, dict) else str(port).split(":")[-1]
        ports.add(int(str(target).split("/")[0]))
    return ports


def warroom_names(compose: Mapping[str, Any]) -> list[str]:
    """The services that run warroom: built from the repository's Dockerfile."""
    return sorted(
        name
        for name, service in compose["services"].items()
        if "build" in service or str(service.get("image", "")).startswith("warroom")
    )


def replica_count(service: Service) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def warroom_reads() -> set[str]:
    """The environment variables warroom reads by a fixed name, as bot/config declares them."""
    return set(variables())


# --- the Caddyfile, read as Caddy's tokens ----------------------------------------------------


def caddy_lines(text: str) -> list[list[str]]:
    """Each line's tokens, comments (a token starting with #) left out."""
    lines = []
    for line in text.splitlines():
        tokens = []
        for token in line.split():
            if token.startswith("#"):
                break
            tokens.append(token)
        if tokens:
            lines.append(tokens)
    return lines


def upstream(address: str, default_port: int = 80) -> tuple[str, int]:
    """("warroom", 3000) from "warroom:3000" or "http://warroom:3000"."""
    parts = urlsplit(address if "://" in address else f"http://{address}")
    return str(parts.hostname), parts.port or default_port


def caddy_upstreams(text: str) -> set[tuple[str, int]]:
    """Where the Caddyfile's reverse_proxy directives send requests: their static upstreams
    (inline or `to`) and `dynamic a NAME PORT` lookups (inline or as `name`/`port`)."""
    found: set[tuple[str, int]] = set()
    blocks: list[str] = []
    dynamic: dict[str, str] = {}
    for tokens in caddy_lines(text):
        directive, arguments = tokens[0], [t for t in tokens[1:] if t != "{"]
        if directive == "}":
            closed = blocks.pop() if blocks else ""
            if closed == "dynamic a" and dynamic:
                found.add((dynamic["name"], int(dynamic["port"])))
            continue
        inside = "reverse_proxy" in blocks
        if directive == "reverse_proxy":
            found.update(upstream(a) for a in arguments if not a.startswith(("@", "/", "*")))
        elif inside and directive == "to":
            found.update(upstream(a) for a in arguments)
        elif inside and directive == "dynamic" and arguments[:1] == ["a"]:
            dynamic = dict(zip(("name", "port"), arguments[1:3], strict=False))
            if len(arguments) >= 3 and tokens[-1] != "{":
                found.add((arguments[1], int(arguments[2])))
        elif blocks and blocks[-1] == "dynamic a" and directive in ("name", "port"):
            dynamic[directive] = arguments[0]
        if tokens[-1] == "{":
            name = "dynamic a" if directive == "dynamic" and arguments[:1] == ["a"] else directive
            blocks.append(name)
    return found


def caddy_listen_ports(text: str) -> set[int]:
    """The ports the Caddyfile's site blocks listen on (`:8080`, `http://x`, `x.example.com`)."""
    ports = set()
    depth = 0
    for tokens in caddy_lines(text):
        if depth == 0 and tokens[-1] == "{" and len(tokens) > 1:
            for address in tokens[:-1]:
                address = address.rstrip(",")
                port = re.search(r":(\d+)$", address)
                if port:
                    ports.add(int(port.group(1)))
                else:
                    ports.add(80 if address.startswith("http://") else 443)
        depth += tokens.count("{") - tokens.count("}")
    return ports


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """compose.yaml as written, variables not filled in."""
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict), (
        "compose.yaml has no services"
    )
    return loaded


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any], example: dict[str, str]) -> dict[str, Any]:
    """compose.yaml filled in from .env.example, as `docker compose` would after a plain copy."""
    return resolved(raw, example)


@pytest.fixture(scope="module")
def warroom_services(compose: dict[str, Any]) -> dict[str, Service]:
    names = warroom_names(compose)
    assert names, "no warroom service (one built from the Dockerfile) in compose.yaml"
    return {name: compose["services"][name] for name in names}


@pytest.fixture(scope="module")
def proxy_name(compose: dict[str, Any]) -> str:
    """The service that mounts deploy/proxy/Caddyfile as its configuration."""
    names = [
        name
        for name, service in compose["services"].items()
        if ("./proxy/Caddyfile", CADDYFILE_IN_CONTAINER) in mounts(service)
    ]
    assert len(names) == 1, (
        f"one service must mount ./proxy/Caddyfile at {CADDYFILE_IN_CONTAINER}, found {names}"
    )
    return names[0]


# --- the real tools, when installed -----------------------------------------------------------


def compose_tool() -> list[str] | None:
    """`docker compose` (v2) when the plugin answers, else Debian's docker-compose v1."""
    if shutil.which("docker"):
        answer = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if answer.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_it(tmp_path: Path) -> None:
    """Compose validates the file against the Compose Specification with deploy/.env copied
    from .env.example; it needs no Docker engine for that."""
    tool = compose_tool()
    if tool is None:
        pytest.skip(
            "Compose validation SKIPPED: neither `docker compose` nor `docker-compose` is "
            "installed, so compose.yaml was checked by this file's structural tests alone "
            "(apt-get install docker-compose to run it)"
        )
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY / "proxy", deploy / "proxy")
    shutil.copy(COMPOSE, deploy / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, deploy / ".env")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    # Only .env may fill the variables in: none of this shell's own.
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    version = subprocess.run(
        [*tool, "version"], capture_output=True, text=True, env=environment, timeout=60
    )
    print(f"validating with {' '.join(tool)}: {version.stdout.strip().splitlines()[0]}")
    command = [*tool, "-f", str(deploy / "compose.yaml"), "config"]
    checked = subprocess.run(
        [*command, "-q"], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120
    )
    assert checked.returncode == 0, f"{' '.join(tool)} config -q refused it:\n{checked.stderr}"
    # And Compose fills WARROOM_REPLICAS in both places as this file's interpolation does.
    shown = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    services = yaml.safe_load(shown.stdout)["services"]
    for name in warroom_names({"services": services}):
        told = int(environment_of(services[name])["WARROOM_REPLICAS"])
        assert told == replica_count(services[name]), f"{name}: as Compose resolved it"


def test_caddy_reads_the_proxy_config(tmp_path: Path, warroom_services: dict[str, Service]) -> None:
    """Caddy's own parser adapts the Caddyfile, and its upstreams are every warroom replica."""
    if shutil.which("caddy") is None:
        pytest.skip(
            "Caddyfile parsing by Caddy SKIPPED: `caddy` is not installed, so the proxy config "
            "was checked by this file's structural tests alone (apt-get install caddy to run it)"
        )
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert adapted.returncode == 0, f"caddy adapt refused the Caddyfile:\n{adapted.stderr}"
    handlers = [
        node
        for node in _json_nodes(json.loads(adapted.stdout))
        if node.get("handler") == "reverse_proxy"
    ]
    found: set[tuple[str, int]] = set()
    for handler in handlers:
        dynamic = handler.get("dynamic_upstreams") or {}
        if dynamic.get("source") == "a":
            found.add((dynamic["name"], int(dynamic["port"])))
        found.update(upstream(u["dial"]) for u in handler.get("upstreams") or [])
    assert found == {(name, WARROOM_PORT) for name in warroom_services}


def _json_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _json_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_nodes(item)


# --- structure: always run ----------------------------------------------------------------------


def test_it_is_the_compose_specification_form(raw: dict[str, Any]) -> None:
    assert "version" not in raw, "the Compose Specification has no top-level `version:`"


def test_postgres_has_a_healthcheck_and_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"].get("postgres")
    assert postgres is not None, "no `postgres` service"
    test = postgres.get("healthcheck", {}).get("test")
    assert test and "pg_isready" in " ".join(test if isinstance(test, list) else [test]), (
        "postgres needs a pg_isready healthcheck: warroom waits for it"
    )
    data = [source for source, target in mounts(postgres) if target == "/var/lib/postgresql/data"]
    assert data, "postgres keeps its data nowhere: mount a volume at /var/lib/postgresql/data"
    assert data[0] in (compose.get("volumes") or {}), (
        f"postgres data ({data[0]!r}) must be a named volume declared under `volumes:`"
    )


def test_every_warroom_replica_waits_for_a_healthy_postgres(
    warroom_services: dict[str, Service],
) -> None:
    for name, service in warroom_services.items():
        depends = service.get("depends_on") or {}
        condition = (
            depends.get("postgres", {}).get("condition") if isinstance(depends, dict) else None
        )
        assert condition == "service_healthy", (
            f"{name}: depends_on postgres must have condition: service_healthy"
        )


def test_database_url_points_at_the_postgres_service(
    compose: dict[str, Any], warroom_services: dict[str, Service], example: dict[str, str]
) -> None:
    postgres = environment_of(compose["services"]["postgres"])
    for name, service in warroom_services.items():
        url = environment_of(service).get("DATABASE_URL") or example.get("DATABASE_URL", "")
        assert url, f"{name}: no DATABASE_URL (warroom would use SQLite in each replica)"
        parts = urlsplit(url)
        assert parts.hostname == "postgres" and parts.hostname in compose["services"], (
            f"{name}: DATABASE_URL's host must be the postgres service, got {parts.hostname!r}"
        )
        assert (parts.port or POSTGRES_PORT) == POSTGRES_PORT
        assert parts.path.lstrip("/") == postgres.get("POSTGRES_DB", "postgres")
        assert parts.username == postgres.get("POSTGRES_USER", "postgres")
        assert parts.password == postgres["POSTGRES_PASSWORD"], (
            f"{name}: DATABASE_URL's password must be postgres's POSTGRES_PASSWORD"
        )
        # warroom takes it as it is and picks asyncpg itself (bot/store/db.py).
        assert async_url(url).startswith("postgresql+asyncpg://")


def test_no_secret_is_written_in_compose_yaml(raw: dict[str, Any]) -> None:
    """Secrets come from .env: by env_file, or as ${VARIABLE} with no default beside it."""
    for name, service in raw["services"].items():
        for variable, value in environment_of(service).items():
            if SECRET_NAME.search(variable):
                assert _REFERENCE_WITHOUT_DEFAULT.fullmatch(value), (
                    f"{name}: {variable} is written in compose.yaml ({value!r}): "
                    "read it from .env (env_file, or ${VARIABLE})"
                )
    for text in strings(raw):
        for match in _URL_PASSWORD.finditer(text):
            assert _REFERENCE_WITHOUT_DEFAULT.fullmatch(match["password"]), (
                f"a password is written in a URL in compose.yaml: {text!r}"
            )
        assert not _SLACK_TOKEN.search(text), f"a Slack token in compose.yaml: {text!r}"


def test_env_example_lists_every_variable_compose_yaml_uses(
    raw: dict[str, Any], example: dict[str, str]
) -> None:
    missing = sorted(variables_used(raw) - set(example))
    assert not missing, f"compose.yaml uses {missing}, which .env.example does not list"


def test_env_example_lists_only_what_is_read(raw: dict[str, Any], example: dict[str, str]) -> None:
    """Each of its variables fills compose.yaml in or is a setting warroom reads."""
    unread = sorted(set(example) - variables_used(raw) - warroom_reads())
    assert not unread, f".env.example lists {unread}: neither compose.yaml nor warroom reads them"


def test_env_example_has_the_secrets_and_no_real_one(example: dict[str, str]) -> None:
    needed = {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "WARROOM_SESSION_SECRET",
        "WARROOM_API_TOKEN",
        "WARROOM_PUBLIC_URL",
        "POSTGRES_PASSWORD",
    }
    assert not needed - set(example), f".env.example lacks {sorted(needed - set(example))}"
    for variable, value in example.items():
        if SECRET_NAME.search(variable):
            assert value == "" or "replace-me" in value, (
                f".env.example: {variable} must be empty or a replace-me placeholder"
            )


def test_web_view_listens_where_the_proxy_reaches_it(
    warroom_services: dict[str, Service], example: dict[str, str]
) -> None:
    """WARROOM_WEB_AUTH=none keeps the web view to requests from inside the container
    (bot/web/incident/pages.py web_view_rules): through the proxy every page would answer 421."""
    for name, service in warroom_services.items():
        mode = environment_of(service).get("WARROOM_WEB_AUTH", example.get("WARROOM_WEB_AUTH"))
        assert (mode or "slack").strip().lower() != "none", (
            f"{name}: WARROOM_WEB_AUTH=none would answer the proxy's page requests 421"
        )


@pytest.mark.parametrize("replicas", [None, "3"])
def test_warroom_replicas_is_the_number_of_replicas(
    raw: dict[str, Any], example: dict[str, str], replicas: str | None
) -> None:
    """As .env.example has it, and after changing WARROOM_REPLICAS in .env (README's way to
    scale): each replica is told how many share Slack's limits, and that is how many run."""
    environment = dict(example) if replicas is None else {**example, "WARROOM_REPLICAS": replicas}
    compose = resolved(raw, environment)
    services = {name: compose["services"][name] for name in warroom_names(compose)}
    running = sum(replica_count(service) for service in services.values())
    for name, service in services.items():
        told = environment_of(service).get("WARROOM_REPLICAS", environment.get("WARROOM_REPLICAS"))
        assert told is not None and int(told) == running, (
            f"{name}: WARROOM_REPLICAS is {told}, but {running} warroom replicas run"
        )


def test_the_proxy_sends_to_every_warroom_replica_on_port_3000(
    warroom_services: dict[str, Service], proxy_name: str
) -> None:
    found = caddy_upstreams(CADDYFILE.read_text(encoding="utf-8"))
    expected = {(name, WARROOM_PORT) for name in warroom_services}
    assert found == expected, f"the proxy's upstreams are {found}, not the replicas {expected}"


def test_only_the_proxy_publishes_a_port(compose: dict[str, Any], proxy_name: str) -> None:
    publishing = sorted(name for name, service in compose["services"].items() if "ports" in service)
    assert publishing == [proxy_name], (
        f"only {proxy_name} may publish a port; these do: {publishing}"
    )
    listening = caddy_listen_ports(CADDYFILE.read_text(encoding="utf-8"))
    published = container_ports(compose["services"][proxy_name])
    assert published and published <= listening, (
        f"{proxy_name} publishes container port(s) {published}; Caddy listens on {listening}"
    )


def test_warroom_runs_read_only_as_uid_10001(warroom_services: dict[str, Service]) -> None:
    for name, service in warroom_services.items():
        assert service.get("read_only") is True, f"{name}: read_only: true"
        assert str(service.get("user", "")).split(":")[0] == WARROOM_UID, f"{name}: user 10001"
        tmpfs = service.get("tmpfs") or []
        writable = {*([tmpfs] if isinstance(tmpfs, str) else tmpfs)}
        writable |= {target for _, target in mounts(service)}
        assert {"/tmp", "/data"} <= writable, (
            f"{name}: /tmp and /data (the image's working directory) must stay writable"
        )


def test_warroom_reads_env_restarts_and_checks_its_health(
    warroom_services: dict[str, Service],
) -> None:
    for name, service in warroom_services.items():
        env_file = service.get("env_file")
        files = [env_file] if isinstance(env_file, str) else list(env_file or [])
        paths = [item["path"] if isinstance(item, dict) else item for item in files]
        assert ".env" in paths, f"{name}: env_file: .env"
        assert service.get("restart") == "unless-stopped", f"{name}: restart: unless-stopped"
        test = service.get("healthcheck", {}).get("test") or []
        command = " ".join(test if isinstance(test, list) else [test])
        assert f"127.0.0.1:{WARROOM_PORT}/readyz" in command, f"{name}: a /readyz healthcheck"
        assert "curl" not in command and "wget" not in command, f"{name}: the image has no curl"
    # Readiness, which does not follow Slack: the file says why where the check is.
    text = COMPOSE.read_text(encoding="utf-8")
    assert "Slack is not judged, only said" in text
