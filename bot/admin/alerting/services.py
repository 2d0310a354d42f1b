"""``warroom services list [--json]`` and ``warroom services import-backstage FILE...``: the
services file (WARROOM_SERVICES) as warroom reads it, and one written from Backstage's
``catalog-info.yaml`` files (bot/record/alerting/backstage.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from bot.record.alerting.routes import ServiceWay
    from bot.record.alerting.services import Service


def add_services_arguments(parser: argparse.ArgumentParser) -> None:
    """``warroom services ...``: its actions and their options."""
    actions = parser.add_subparsers(dest="services_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the services of WARROOM_SERVICES, checked")
    listing.add_argument("--json", action="store_true", help="as JSON, one object a service")
    imported = actions.add_parser(
        "import-backstage",
        help="write a services file from Backstage catalog-info.yaml files (kind Component)",
    )
    imported.add_argument("files", nargs="+", metavar="FILE")
    imported.add_argument(
        "--output", metavar="PATH", help="where to write the services file (default: stdout)"
    )


def run_services(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom services``'s action; the exit code."""
    if args.services_command == "import-backstage":
        return _import(args.files, args.output)
    from bot.basics.render import Renderer
    from bot.config import Settings

    settings = Settings.from_env(environ)  # checked as serve checks it: policies, schedules
    routes = settings.alerting.routes
    services = settings.alerting.catalog.by_name.values()
    if args.json:
        print(json.dumps([_row(each, routes.way_of(each.name)) for each in services], indent=2))
        return 0
    rows = [{"service": each, "way": routes.way_of(each.name)} for each in services]
    renderer = Renderer(settings.incidents.templates_dir)
    language = settings.incidents.language
    print(renderer.render_plain("services/cli.j2", rows=rows, language=language))
    return 0


def _row(service: Service, way: ServiceWay) -> dict[str, Any]:
    otherwise = way.otherwise
    return {
        "name": service.name,
        "description": service.description,
        "owners": [{"kind": o.kind, "ref": o.ref} for o in service.owners],
        "policy": service.policy,
        "urgency": service.urgency,
        "runbook": service.runbook,
        "channel": service.channel,
        "depends_on": list(service.depends_on),
        "system": service.system,
        "pagerduty_service_id": service.pagerduty_service_id,
        "opsgenie_component_selector": service.opsgenie_component_selector,
        # Where its alerts go: the routes naming it, then where the rest go (null: nowhere
        # else, a route naming it takes them all; "own": paged to its policy).
        "routes": [{"name": r.name, "action": r.action, "policy": r.policy} for r in way.routes],
        "otherwise": None
        if otherwise is None
        else {"route": otherwise.name, "own": way.own, "policy": otherwise.policy},
    }


def _import(files: list[str], output: str | None) -> int:
    from bot.record.alerting.backstage import BackstageError, read_descriptors

    try:
        texts = [(name, Path(name).read_text(encoding="utf-8")) for name in files]
        imported = read_descriptors(texts)
    except OSError as error:
        print(f"warroom: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except BackstageError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 1
    text = yaml.safe_dump(imported.document(), sort_keys=False, allow_unicode=True)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    skipped = ", ".join(f"{n} {kind}" for kind, n in sorted(imported.skipped_kinds.items()))
    print(
        f"{len(imported.services)} service(s) from Components"
        + (f"; skipped: {skipped}" if skipped else "")
        + (f"; written to {output}" if output else ""),
        file=sys.stderr,
    )
    for note in imported.notes:
        print(f"  {note}", file=sys.stderr)
    return 0
