"""``warroom import <vendor> --out DIR``: a team's schedules, escalation policies and overrides
carried over from Opsgenie, PagerDuty or Grafana OnCall.

The vendors' clients (``bot.clients.opsgenie``...) read the account through their documented
REST API and translate it (``bot.record.oncall.importing``); this module does the rest, the
same for every vendor: people matched to Slack, names given, ``schedules.yaml``,
``policies.yaml`` and ``import-report.md`` written into DIR in one move, the overrides kept in
the database, and ``--compare`` asking the vendor and warroom's engine who is on call
(``bot.admin.importing.import_compare``).

Exit 0: everything carried exactly; 3: something approximate or left out; 1: an error (one
line on stderr saying which); 2: the command line itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.admin import USAGE_ERROR
from bot.admin.alerting.integrations import url_of
from bot.admin.importing.import_compare import compare
from bot.admin.importing.import_report import Asked, Done, json_report, names_by_slack_id
from bot.basics.render import Renderer
from bot.clients.grafana_oncall import GRAFANA_ONCALL
from bot.clients.importing import ImportFailure, Vendor, VendorApi
from bot.clients.opsgenie import OPSGENIE
from bot.clients.pagerduty.rest import PAGERDUTY
from bot.clients.saved_answers import Manifest, SavedAnswers, read_manifest
from bot.clients.slack.errors import SlackFailure, SlackNotAllowed
from bot.config import Settings
from bot.config.runtime import NO_DATABASE, database_url_given
from bot.record.alerting.heartbeats import HeartbeatError, parse_heartbeats
from bot.record.alerting.services import ServiceError, parse_services
from bot.record.alerting.sources.registry import SOURCES
from bot.record.escalation.policies import PolicyError, parse_policies
from bot.record.moments import MomentRefused, parse_moment
from bot.record.oncall.importing.carrying import (
    Carried,
    ImportedOverride,
    People,
    carry,
    file_text,
    people_used,
)
from bot.record.oncall.importing.drafts import Translation
from bot.record.oncall.importing.people import UsersMapError, read_users_map
from bot.record.oncall.leave import keep_imported
from bot.record.oncall.overrides import OverrideRefused, add_override, cancel_override
from bot.record.oncall.schedules import ScheduleError, Schedules, parse_schedules
from bot.record.paging.contacts import ContactsError, parse_contacts
from bot.store.db import session_scope
from bot.store.models import OncallOverride

# Every vendor ``warroom import`` reads, by its word on the command line.
VENDORS: Mapping[str, Vendor] = {
    vendor.name: vendor for vendor in (OPSGENIE, PAGERDUTY, GRAFANA_ONCALL)
}

EXACT = 0
FAILED = 1
APPROXIMATE = 3
SCHEDULES_FILE = "schedules.yaml"
POLICIES_FILE = "policies.yaml"
REPORT_FILE = "import-report.md"
SERVICES_FILE = "services.yaml"
HEARTBEATS_FILE = "heartbeats.yaml"
CONTACTS_FILE = "contacts.yaml"
# The longest --compare: a year of hours is already 8,760 questions per schedule.
LONGEST_COMPARE_DAYS = 366


@dataclass(frozen=True)
class Request:
    """What the command line asked for, checked."""

    vendor: Vendor
    token: str
    api_url: str
    out: Path
    force: bool
    dry_run: bool
    users_map: Mapping[str, str] | None
    compare_from: datetime | None
    compare_days: int
    # --save: the folder the answers are written into; --from: the one they are read from,
    # and the moment they were read (the account is read as of then).
    save: Path | None = None
    replay: Path | None = None
    read_at: datetime | None = None
    as_json: bool = False


def run_import(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom import``; the exit code."""
    now = datetime.now(UTC)
    settings = Settings.from_env(environ)
    try:
        request = import_request(args, settings, now)
    except ImportFailure as failure:
        return _fail(failure.detail)
    if isinstance(request, int):
        return request
    if not database_url_given(environ):  # the overrides go there: refused before any file
        return _usage(NO_DATABASE.format(command="import"))
    try:
        done = asyncio.run(_import(request, settings, now))
    except ImportFailure as failure:
        return _fail(failure.detail)
    code = EXACT if done.carried.all_exact else APPROXIMATE
    if request.as_json:
        asked = Asked(
            vendor=request.vendor.name,
            out=request.out,
            saved_to=request.save,
            read_from=request.replay,
            read_at=request.read_at,
            dry_run=request.dry_run,
            compared=request.compare_from is not None,
        )
        print(json.dumps(json_report(asked, done, code), indent=2, ensure_ascii=False))
        return code
    renderer = Renderer(settings.incidents.templates_dir)
    print(
        renderer.render_plain(
            "importing/summary.j2", request=request, carried=done.carried, report=REPORT_FILE
        )
    )
    if request.compare_from is not None:
        print("\n".join(done.lines) if done.lines else "no disagreement")
    return code


def import_request(args: argparse.Namespace, settings: Settings, now: datetime) -> Request | int:
    """The command line checked, or the exit code of a refusal already said; ImportFailure
    when the folder ``--from`` names cannot be read."""
    vendor = VENDORS[args.vendor]
    if args.saved_from is not None:
        return _replay_request(args, vendor)
    token = (args.token or str(settings.importing.token(vendor.token_env))).strip()
    if not token:
        return _fail(f"no {vendor.title} API key: give --token or set {vendor.token_env}")
    api_url = _api_url(args, vendor)
    if isinstance(api_url, int):
        return api_url
    if problem := _out_problem(args.out, force=args.force):
        return _fail(problem)
    if args.save is not None and (problem := _out_problem(args.save, force=args.force)):
        return _fail(problem.replace("--out", "--save"))
    return _checked_request(args, vendor, token, api_url, now)


def _api_url(args: argparse.Namespace, vendor: Vendor) -> str | int:
    """``--api-url``, else the ``--region``'s address, else the vendor's own."""
    region = (args.region or "").strip().lower()
    if region and region not in vendor.regions:
        known = ", ".join(sorted(vendor.regions)) or "none: give --api-url"
        return _usage(f"--region: {vendor.title}'s regions are {known}")
    api_url = (args.api_url or vendor.regions.get(region) or vendor.default_api_url).strip()
    if not api_url.startswith(("https://", "http://")):
        return _usage(f"--api-url: {vendor.title}'s API address, like https://… (none given)")
    return api_url


def _replay_request(args: argparse.Namespace, vendor: Vendor) -> Request | int:
    """``--from DIR``: the vendor and address the folder was saved from, no key."""
    if args.api_url or args.token or args.region:
        return _usage("--from reads a saved folder: no --api-url, --token or --region with it")
    manifest = read_manifest(args.saved_from)
    if manifest.vendor != vendor.name:
        return _fail(
            f"--from: {args.saved_from} holds answers of {manifest.vendor}, not {vendor.name}"
        )
    if problem := _out_problem(args.out, force=args.force):
        return _fail(problem)
    return _checked_request(args, vendor, "", manifest.api_url, manifest.read_at)


def _checked_request(
    args: argparse.Namespace, vendor: Vendor, token: str, api_url: str, now: datetime
) -> Request | int:
    """The options every import shares checked: --users-map, --compare, --compare-from."""
    users_map = read_users_file(args.users_map)
    if isinstance(users_map, str):
        return _fail(users_map)
    compare_from = None
    if args.compare is not None:
        if not 1 <= args.compare <= LONGEST_COMPARE_DAYS:
            return _usage(f"--compare: a number of days from 1 to {LONGEST_COMPARE_DAYS}")
        try:
            compare_from = (
                parse_moment(args.compare_from, zone="UTC", now=now, future_ok=True)
                if args.compare_from
                else now
            )
        except (MomentRefused, ValueError):
            return _usage(f"--compare-from: cannot read {args.compare_from!r} as a time")
    elif args.compare_from:
        return _usage("--compare-from goes with --compare")
    return Request(
        vendor=vendor,
        token=token,
        api_url=api_url,
        out=args.out,
        force=args.force,
        dry_run=args.dry_run,
        users_map=users_map,
        compare_from=compare_from,
        compare_days=args.compare or 0,
        save=args.save,
        replay=args.saved_from,
        read_at=now if args.saved_from is not None else None,
        as_json=args.json,
    )


def _out_problem(out: Path, *, force: bool) -> str | None:
    """Why DIR cannot be written, or None."""
    if out.exists() and not out.is_dir():
        return f"--out: {out} is a file, not a folder"
    if out.is_dir() and any(out.iterdir()) and not force:
        return f"--out: {out} is not empty (--force replaces what it holds)"
    return None


async def _import(request: Request, settings: Settings, now: datetime) -> Done:
    """Read, translate, match, check, keep the overrides, write DIR, and compare. The account
    is read as of ``read_at`` (``--from``: when it was saved), the overrides kept as of now."""
    read_at = request.read_at or now
    async with aiohttp.ClientSession() as http:
        api = _api(request, http, read_at)
        translation = await request.vendor.read_account(api, read_at)
        people = await _people(translation, request.users_map, settings, http)
        carried = carry(translation, people)
        schedules = _checked(carried, read_at)
        if not request.dry_run:
            current = tuple(o for o in carried.overrides if o.end > now)
            leave = tuple((one.user, one.start, one.end) for one in carried.leave if one.end > now)
            await _keep_overrides(settings, request.vendor, schedules, current, now, leave)
        names = names_by_slack_id(translation, people)
        _place(request.out, _files(request, carried, settings, names))
        lines: list[str] = []
        if request.compare_from is not None:
            try:
                lines = await compare(
                    api,
                    request.vendor,
                    carried,
                    schedules,
                    people,
                    request.compare_from,
                    timedelta(days=request.compare_days),
                )
            except ImportFailure as failure:
                raise ImportFailure(
                    f"{request.out} is written, but --compare stopped: {failure.detail}",
                    retryable=failure.retryable,
                ) from None
    return Done(carried, names, lines, _urls(settings))


def _urls(settings: Settings) -> dict[str, str]:
    return {kind: url_of(settings, kind) for kind in SOURCES.kinds()}


def _api(request: Request, http: aiohttp.ClientSession, read_at: datetime) -> VendorApi:
    """The vendor's API, its answers also saved (--save) or read from a folder (--from)."""
    vendor = request.vendor
    if request.replay is not None:
        replay = SavedAnswers(request.replay, vendor.title)
        return VendorApi(http, vendor, request.api_url, "", replay=replay)
    save = None
    if request.save is not None:
        try:
            request.save.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ImportFailure(
                f"--save: cannot make {request.save} ({error.strerror})", retryable=False
            ) from None
        save = SavedAnswers(request.save, vendor.title)
        save.write_manifest(Manifest(vendor.name, request.api_url, read_at))
    return VendorApi(http, vendor, request.api_url, request.token, save=save)


# -- people ----------------------------------------------------------------------------------
async def _people(
    translation: Translation,
    users_map: Mapping[str, str] | None,
    settings: Settings,
    http: aiohttp.ClientSession,
) -> People:
    """Each user a schedule, policy or override names, matched to a Slack user by email (the
    map, else Slack); None where nobody matches."""
    used = people_used(translation)
    emails = {u.vendor_id: u.email.strip().lower() for u in translation.users if u.email}
    wanted = {vendor_id: emails[vendor_id] for vendor_id in sorted(used) if vendor_id in emails}
    found = await slack_ids(set(wanted.values()), users_map, settings, http)
    return {vendor_id: found.get(email) for vendor_id, email in wanted.items()}


async def slack_ids(
    emails: set[str],
    users_map: Mapping[str, str] | None,
    settings: Settings,
    http: aiohttp.ClientSession,
) -> dict[str, str | None]:
    """Each e-mail address (lowercase) matched to a Slack user: by the map, else Slack's
    users.lookupByEmail; None where nobody matches. The importer's and ``shadow compare``'s."""
    if users_map is not None:
        return {email: users_map.get(email) for email in emails}
    if not str(settings.slack.bot_token):
        raise ImportFailure(
            "no SLACK_BOT_TOKEN to match the vendor's users by email: set it or give "
            "--users-map FILE (email,slack_user_id lines)",
            retryable=False,
        )
    from bot.app import build_slack_workspace

    slack = build_slack_workspace(settings, http, Renderer(settings.incidents.templates_dir))
    found: dict[str, str | None] = {}
    try:
        for email in sorted(emails):
            found[email] = await slack.user_by_email(email)
    except SlackNotAllowed as failure:
        raise ImportFailure(
            f"Slack refused users.lookupByEmail ({failure.code}): the app needs the "
            "users:read.email scope (reinstall it from `warroom manifest`), or give "
            "--users-map FILE",
            retryable=False,
        ) from None
    except SlackFailure as failure:
        raise ImportFailure(
            f"Slack did not answer users.lookupByEmail ({failure.code}): try again, or give "
            "--users-map FILE",
            retryable=True,
        ) from None
    return found


def read_users_file(path: Path | None) -> Mapping[str, str] | str | None:
    """``--users-map FILE`` read (None when not given), or why it cannot be (a string)."""
    if path is None:
        return None
    try:
        return read_users_map(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return f"--users-map: cannot read {path} ({type(error).__name__})"
    except UsersMapError as error:
        return f"--users-map: {path}: {error}"


# -- checking --------------------------------------------------------------------------------
def _checked(carried: Carried, now: datetime) -> Schedules:
    """The written files as warroom reads them; ImportFailure if warroom would refuse them
    (a translation that is wrong: said, never written)."""
    try:
        schedules = parse_schedules(carried.schedules, now=now)
        policies = parse_policies(carried.policies)
        if carried.services:
            parse_services(carried.services)
        if carried.heartbeats:
            parse_heartbeats(carried.heartbeats)
        if carried.contacts:
            parse_contacts(carried.contacts)
    except (ScheduleError, PolicyError, ServiceError, HeartbeatError, ContactsError) as error:
        first = str(error).splitlines()[0]
        raise ImportFailure(
            f"the translation is not a file warroom reads ({first}); nothing was written",
            retryable=False,
        ) from None
    assert all(name in schedules.by_name for _, _, name in policies.schedule_targets())
    return schedules


# -- the overrides ---------------------------------------------------------------------------
async def _keep_overrides(
    settings: Settings,
    vendor: Vendor,
    schedules: Schedules,
    overrides: tuple[ImportedOverride, ...],
    now: datetime,
    leave: tuple[tuple[str, datetime, datetime], ...] = (),
) -> None:
    """Keep the imported overrides not kept yet, made by the import; cancel those an earlier
    import of these schedules kept that the vendor no longer has. A second run adds none.
    The same for the imported ``leave`` (a user, from, to)."""
    from bot.store.migrate import command_engine

    made_by = _made_by(vendor)
    try:
        engine = await command_engine(settings.runtime.database_url, upgrade_any=True)
    except (SQLAlchemyError, OSError, ValueError) as error:
        raise _database_failure(error) from None
    try:
        async with session_scope(engine) as session:
            kept = await _cancel_dropped(session, schedules, overrides, made_by, now)
            await _add_new(session, schedules, overrides, kept, made_by, now)
            configured = schedules.by_name.values()
            await keep_imported(session, configured, made_by=made_by, spans=leave, now=now)
            await session.commit()
    except OverrideRefused as refusal:
        raise ImportFailure(f"an override was refused: {refusal}", retryable=False) from None
    except (SQLAlchemyError, OSError) as error:
        raise _database_failure(error) from None
    finally:
        await engine.dispose()


async def _cancel_dropped(
    session: AsyncSession,
    schedules: Schedules,
    overrides: tuple[ImportedOverride, ...],
    made_by: str,
    now: datetime,
) -> set[Key]:
    """Cancel the overrides an earlier import kept (still to end) that the vendor no longer
    has; the keys of those an earlier import kept."""
    rows = await session.exec(
        select(OncallOverride).where(
            col(OncallOverride.created_by) == made_by,
            col(OncallOverride.cancelled_at).is_(None),
            col(OncallOverride.end_at) > now,
            col(OncallOverride.schedule).in_(list(schedules.by_name)),
        )
    )
    kept = {_key_of(row): row for row in rows.all()}
    wanted = {_key(o) for o in overrides}
    for key, row in sorted(kept.items(), key=lambda item: item[1].id or 0):
        if key not in wanted and row.id is not None:
            await cancel_override(session, override_id=row.id, by=made_by, at=now)
    return set(kept)


async def _add_new(
    session: AsyncSession,
    schedules: Schedules,
    overrides: tuple[ImportedOverride, ...],
    kept: set[Key],
    made_by: str,
    now: datetime,
) -> None:
    """Add the imported overrides not ``kept`` yet, made by the import."""
    for step, override in enumerate(overrides):
        if _key(override) in kept:
            continue
        await add_override(
            session,
            schedule=schedules.by_name[override.schedule],
            user=override.user,
            start=override.start,
            end=override.end,
            created_by=made_by,
            # A microsecond apart: the later of two that overlap is the newer.
            created_at=now + timedelta(microseconds=step),
            layer=override.layer,
        )


def _database_failure(error: Exception) -> ImportFailure:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return ImportFailure(
        f"cannot keep the overrides in DATABASE_URL's database ({first[:200]}); nothing "
        "was written",
        retryable=True,
    )


def _made_by(vendor: Vendor) -> str:
    """Who the import's overrides say made them (``opsgenie-import``)."""
    return f"{vendor.name}-import"


Key = tuple[str, str | None, str | None, datetime, datetime]


def _key(override: ImportedOverride) -> Key:
    return (override.schedule, override.layer, override.user, override.start, override.end)


def _key_of(row: OncallOverride) -> Key:
    start, end = row.start_at.astimezone(UTC), row.end_at.astimezone(UTC)
    return (row.schedule, row.layer, row.user_id, start, end)


# -- the folder ------------------------------------------------------------------------------
def _files(
    request: Request, carried: Carried, settings: Settings, names: Mapping[str, str]
) -> dict[str, str]:
    renderer = Renderer(settings.incidents.templates_dir)
    title = request.vendor.title
    heading = renderer.render_plain("importing/heading.j2", vendor=title)
    extra = {
        name: file_text(document, heading)
        for name, document in (
            (SERVICES_FILE, carried.services),
            (HEARTBEATS_FILE, carried.heartbeats),
            (CONTACTS_FILE, carried.contacts),
        )
        if document
    }
    return {
        **extra,
        SCHEDULES_FILE: file_text(
            carried.schedules, renderer.render_plain("importing/heading.j2", vendor=title)
        ),
        POLICIES_FILE: file_text(
            carried.policies, renderer.render_plain("importing/heading.j2", vendor=title)
        ),
        REPORT_FILE: renderer.render(
            "importing/report.md.j2",
            vendor=title,
            carried=carried,
            dry_run=request.dry_run,
            made_by=_made_by(request.vendor),
            names=names,
            urls=_urls(settings),
        )
        + "\n",
    }


def _place(out: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` into a folder beside ``out`` and move it into place: ``out`` holds
    either what it held or every file, never some. ``out``'s old content goes (--force)."""
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=parent))
    except OSError as error:
        raise ImportFailure(
            f"--out: cannot write in {parent} ({error.strerror})", retryable=False
        ) from None
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        _swap_in(staging, out.absolute())
    except OSError as error:
        raise ImportFailure(
            f"--out: cannot write {out} ({error.strerror}); it is as it was", retryable=False
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    old = staging.with_name(staging.name + "-old")
    out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _fail(line: str) -> int:
    print(f"warroom: import: {line}", file=sys.stderr)
    return FAILED


def _usage(line: str) -> int:
    print(f"warroom: import: {line}", file=sys.stderr)
    return USAGE_ERROR
