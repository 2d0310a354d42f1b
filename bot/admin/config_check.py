"""``warroom config check``: the environment read as ``warroom serve`` reads it, with the
same code (every setting, and every file a setting names: contacts, schedules, policies,
routes, heartbeats, workflows...), said back: each variable set (never its value: some are
secrets), how many are left at their defaults, and every problem serve would refuse to
start on; and, as warnings, the services whose alerts would page nobody of theirs. It exits 1
exactly when serve would refuse, 0 when it would start."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config.settings import Settings


def add_config_arguments(config: argparse.ArgumentParser) -> None:
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="read every setting and file serve would; exit 1 when serve would refuse",
        description="Prints each variable set (not its value), how many are defaulted, and "
        "every problem, then whether `warroom serve` would start. Opens no connection.",
    )
    check.add_argument(
        "--socket-mode", action="store_true", help="as `warroom serve --socket-mode` would"
    )
    check.add_argument(
        "--all", action="store_true", help="also list each variable left at its default"
    )


def run_config(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from bot.config.settings import given_and_defaulted

    count = 0
    print("Set (values not shown):")
    for heading, given, defaulted in given_and_defaulted(environ):
        count += len(defaulted)
        if given:
            print(f"  {heading}: {', '.join(given)}")
        if args.all:
            for env, shown in defaulted:
                print(f"  {heading}: {env} at its default, {shown}")
    print(f"{count} other variables at their defaults" + ("" if args.all else " (--all: each)"))
    settings, problems = serve_check(environ, socket_mode=args.socket_mode)
    if settings is not None and (unpaged := unpaged_services(settings)):
        from bot.basics.render import Renderer

        renderer = Renderer(settings.incidents.templates_dir)
        language = settings.incidents.language
        print(renderer.render_plain("services/cli.j2", unpaged=unpaged, language=language))
    if not problems:
        print("warroom serve would start with this configuration")
        return 0
    print(f"warroom serve would refuse to start: {len(problems)} problem(s):")
    for problem in problems:
        print(f"  {problem}")
    return 1


CONTACTS = "WARROOM_CONTACTS"


def serve_check(
    environ: Mapping[str, str], *, socket_mode: bool
) -> tuple[Settings | None, list[str]]:
    """The settings as serve reads them (None when it cannot), and every reason ``warroom
    serve`` would refuse, checked in its order, by its code."""
    from bot.config.reading import ConfigError
    from bot.config.runtime import NO_DATABASE, database_url_given
    from bot.config.slack import serve_needs
    from bot.store.db import sqlite_write_problem

    if not database_url_given(environ):
        return None, [NO_DATABASE.format(command="serve")]
    settings, problems = _settings(environ)
    if settings is None:
        return None, problems
    if problem := sqlite_write_problem(settings.runtime.database_url):
        problems.append(problem)
    try:
        settings.require(*serve_needs(socket_mode))
    except ConfigError as error:
        problems.append(str(error))
    return settings, problems


def unpaged_services(settings: Settings) -> list[str]:
    """The services whose alerts page nobody of theirs: no route names them and they have no
    policy, so they take the default route. Serve starts all the same: a service may be in
    the file for its owners and changes alone. (A policy the file lacks is a problem serve
    refuses; the policies file refuses one without levels.)"""
    routes = settings.alerting.routes
    return [
        each.name
        for each in settings.alerting.catalog.by_name.values()
        if not each.policy and not routes.way_of(each.name).routes
    ]


def contacts_problems(environ: Mapping[str, str], contacts: str) -> tuple[list[str], int]:
    """``warroom paging check``: serve's problems with the contacts file ``contacts`` read in
    this environment, by serve's code (what its methods need of the other settings: Twilio,
    SMTP, ntfy, the public address, the phone providers, the paging webhooks), each without
    its ``WARROOM_CONTACTS:``; and how many other problems kept those checks from running (0
    when they ran)."""
    settings, problems = _settings({**environ, CONTACTS: contacts})
    mine = [p.removeprefix(f"{CONTACTS}:").strip() for p in problems if p.startswith(CONTACTS)]
    return mine, 0 if settings is not None else len(problems) - len(mine)


def _settings(environ: Mapping[str, str]) -> tuple[Settings | None, list[str]]:
    """The settings as serve reads them (None when they cannot be), and every problem found,
    with what the contacts ask of the phone providers (create_app's check, a layer above
    settings)."""
    from bot.clients.phone import registry as phone_registry
    from bot.config.reading import read_each
    from bot.config.settings import Settings

    (settings,), problems = read_each([lambda: Settings.from_env(environ)])
    if not isinstance(settings, Settings):
        return None, problems
    problems.extend(phone_registry.problems(settings))
    return settings, problems
