"""How a setting is declared and read: written once, its variable, default, parser and meaning.

A feature's settings are a small frozen dataclass whose fields are made with ``setting(...)``;
``read(cls, environ)`` reads them all: a blank variable is the default, a value is stripped
and parsed, and a value the parser refuses becomes ``NAME: why``, every problem named (not
only the first). The README's configuration table is made from the same declarations
(``markdown``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Self, TypeVar

from bot.basics.durations import duration_text, parse_duration

T = TypeVar("T")
Parser = Callable[[str], Any]


class ConfigError(ValueError):
    """The environment does not describe a runnable warroom. ``partial``: the feature read
    with its bad values left at their defaults, when it can be made (so that what the other
    checks find is said with the rest, ``Settings.from_env``)."""

    partial: object = None


class Secret(str):
    """A string that never shows itself in ``repr``, logs or tracebacks of settings."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


NO_SECRET = Secret("")


@dataclass(frozen=True)
class Declared:
    """One setting as declared: its variable, parser, meaning and how its default reads."""

    env: str
    parse: Parser
    doc: str
    shown: str  # the default as the README says it


def setting(
    *,
    env: str,
    doc: str,
    default: Any = dataclasses.MISSING,
    factory: Callable[[], Any] | None = None,
    parse: Parser = str,
    shown: str | None = None,
) -> Any:
    """A dataclass field read from ``env``: blank is ``default`` (or ``factory()``)."""
    if shown is None:
        value = factory() if factory is not None else default
        shown = "none" if value in ("", None) else f"`{value}`"
    metadata = {"setting": Declared(env=env, parse=parse, doc=doc, shown=shown)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def declared(cls: type) -> list[tuple[str, Declared]]:
    """The fields of a feature's dataclass read from a variable, in their order."""
    return [
        (each.name, each.metadata["setting"])
        for each in dataclasses.fields(cls)
        if "setting" in each.metadata
    ]


class Feature:
    """What every feature's settings dataclass has: a copy with some fields changed."""

    def replace(self, **changes: object) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


F = TypeVar("F", bound=Feature)


def read(cls: type[F], environ: Mapping[str, str]) -> F:
    """Every declared field of ``cls`` from ``environ``; ConfigError names each bad value."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, declaration in declared(cls):
        raw = environ.get(declaration.env, "").strip()
        if not raw:
            continue
        try:
            values[name] = declaration.parse(raw)
        except ValueError as error:
            problems.append(f"{declaration.env}: {error}")
    if problems:
        refused = config_error(problems)
        # Unless the feature cannot be made without the values that were wrong.
        with contextlib.suppress(ConfigError, ValueError, TypeError):
            refused.partial = cls(**values)
        raise refused
    return cls(**values)


def named_files(environ: Mapping[str, str], variables: Iterable[str]) -> list[Path]:
    """The files these variables name, in their order (a blank variable names none)."""
    return [Path(raw) for name in variables if (raw := environ.get(name, "").strip())]


def config_error(problems: Sequence[str]) -> ConfigError:
    """One problem as it is; several under one heading, one a line."""
    if len(problems) == 1:
        return ConfigError(problems[0])
    return ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def read_each(readers: Iterable[Callable[[], object]]) -> tuple[list[object], list[str]]:
    """Call each reader; what they return (for those that raised, what they could read,
    ``ConfigError.partial``, or None), and the problems of those that raised."""
    results: list[object] = []
    problems: list[str] = []
    for reader in readers:
        try:
            results.append(reader())
        except ConfigError as error:
            message = str(error)
            heading = "invalid configuration:\n  "
            if message.startswith(heading):
                problems.extend(message.removeprefix(heading).split("\n  "))
            else:
                problems.append(message)
            results.append(error.partial)
    return results, problems


# --- parsers: each takes the stripped, non-blank value; a ValueError says why -----------------


def text(raw: str) -> str:
    return raw


def lower(raw: str) -> str:
    return raw.lower()


def upper(raw: str) -> str:
    return raw.upper()


def url(raw: str) -> str:
    """An address, without its trailing slash."""
    return raw.rstrip("/")


def integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected an integer, got {raw!r}") from None


def seconds(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None


def path(raw: str) -> Path:
    return Path(raw).expanduser()


def boolean(raw: str) -> bool:
    """``on``/``true``/``1``/``yes`` or ``off``/``false``/``0``/``no``: the manual says ``on``
    and ``off``, and so does the refusal."""
    value = raw.lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"on or off, not {raw!r}")
    return value in ("on", "true", "1", "yes")


on_or_off = boolean


def duration(
    *, at_least: timedelta | None = None, at_most: timedelta | None = None, note: str = ""
) -> Parser:
    """``30s``, ``15m``, ``1h``: a duration within the bounds given (``note`` says a bound)."""

    def parse(raw: str) -> timedelta:
        every = parse_duration(raw)
        if at_least is not None and every < at_least:
            raise ValueError(f"at least {duration_text(at_least)}{note}")
        if at_most is not None and every > at_most:
            raise ValueError(f"at most {duration_text(at_most)}")
        return every

    return parse


def duration_or_off(raw: str) -> timedelta | None:
    """``24h``, ``30m``; ``0`` or ``off`` for none (what it would do is not done)."""
    if raw.lower() in {"0", "off", "none"}:
        return None
    return parse_duration(raw) or None


def problems_file(load: Callable[[Path], T], error: type[Exception]) -> Callable[[str], T]:
    """A file whose error lists its ``problems``: ``path:`` then one line per problem."""

    def parse(raw: str) -> T:
        try:
            return load(path(raw))
        except error as found:
            problems = "\n  ".join(getattr(found, "problems", [str(found)]))
            raise ValueError(f"{raw}:\n  {problems}") from None

    return parse


def one_problem_file(load: Callable[[Path], T], error: type[Exception]) -> Callable[[str], T]:
    """A file whose error is one line (it names the file itself)."""

    def parse(raw: str) -> T:
        try:
            return load(path(raw))
        except error as found:
            raise ValueError(str(found)) from None

    return parse


def pairs(raw: str, *, shape: str) -> list[tuple[str, str]]:
    """``a=b,c=d`` as its pairs, each side stripped; a pair without both sides is refused."""
    found = []
    for pair in raw.split(","):
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name.strip(": ").strip() or not value.strip():
            raise ValueError(f"expected {shape}, got {pair.strip()!r}")
        found.append((name.strip(), value.strip()))
    return found


def words(raw: str) -> list[str]:
    """``a, b,c`` as its lowercased words."""
    return [part.strip().lower() for part in raw.split(",") if part.strip()]


# --- the README's table ------------------------------------------------------------------------


def markdown(features: Iterable[tuple[str, type]]) -> str:
    """One table per feature: variable, meaning, default, as declared."""
    parts = []
    for title, cls in features:
        rows = ["| variable | meaning | default |", "|---|---|---|"]
        rows.extend(f"| `{each.env}` | {each.doc} | {each.shown} |" for _, each in declared(cls))
        parts.append(f"## {title}\n\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"
