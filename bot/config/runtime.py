"""How warroom runs: its database, its port, request sizes, and how its replicas share work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config.reading import NO_SECRET, Feature, Secret, integer, seconds, setting
from bot.store.db import LOCK_TIMEOUT_SECONDS, STATEMENT_TIMEOUT_SECONDS, DatabaseTimeouts

# A command that reads warroom's database says this, rather than quietly making ./warroom.db
# (the default serve had) and answering from an empty one.
NO_DATABASE = (
    "DATABASE_URL is not set, and `warroom {command}` reads warroom's database: set it to the "
    "database serve uses (postgresql://user:pass@host/db), or to make a local SQLite file on "
    "purpose, DATABASE_URL=sqlite:///warroom.db"
)


def database_url_given(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("DATABASE_URL", "").strip())


@dataclass(frozen=True)
class RuntimeSettings(Feature):
    """The process and its replicas."""

    database_url: str = setting(
        env="DATABASE_URL",
        default="sqlite:///warroom.db",
        doc="`sqlite:///path.db` or `postgresql://user:pass@host/db` (the async driver is "
        "chosen inside)",
    )
    # Every wait on the database bounded: a stall (a lock held elsewhere) becomes an error the
    # caller sees and tries again, never a wait without end (bot/store/db.py).
    database_lock_timeout: float = setting(
        env="WARROOM_DATABASE_LOCK_TIMEOUT",
        default=LOCK_TIMEOUT_SECONDS,
        parse=seconds,
        doc="seconds a statement waits for a lock another session holds before the database "
        "gives up on it (PostgreSQL's `lock_timeout`, SQLite's busy timeout; 0.1 to 300)",
        shown="`10`",
    )
    database_statement_timeout: float = setting(
        env="WARROOM_DATABASE_STATEMENT_TIMEOUT",
        default=STATEMENT_TIMEOUT_SECONDS,
        parse=seconds,
        doc="seconds a PostgreSQL statement may take, waits included, before the database "
        "cancels it (`statement_timeout`; at least the lock time-out, at most 3600; "
        "migrations are exempt)",
        shown="`60`",
    )
    port: int = setting(env="PORT", default=3000, parse=integer, doc="HTTP port")
    # Upper bound for an inbound request body; Slack's own payloads are far smaller.
    max_body_bytes: int = setting(
        env="WARROOM_MAX_BODY_BYTES",
        default=1024 * 1024,
        parse=integer,
        doc="largest request body accepted (413 beyond)",
    )
    # A sender that sends its headers and then its body slowly, or never all of it, holds a
    # connection and the handler waiting for it: cut off past this.
    body_read_seconds: float = setting(
        env="WARROOM_BODY_READ_SECONDS",
        default=10.0,
        parse=seconds,
        doc="seconds a request's body may take to arrive once its headers have (0.1 to 300); "
        "past it the request is answered 408 and its connection closed",
        shown="`10`",
    )
    # How often each replica looks for due work (escalation timers, pages, reminders).
    scheduler_interval: float = setting(
        env="WARROOM_SCHEDULER_INTERVAL",
        default=1.0,
        parse=seconds,
        doc="seconds between each replica's looks for due jobs",
        shown="`1`",
    )
    # Jobs a replica runs at once (bot/flows/scheduler.py); escalations, pages and reminders
    # run one at a time whatever this says.
    job_concurrency: int = setting(
        env="WARROOM_JOB_CONCURRENCY",
        default=8,
        parse=integer,
        doc="jobs of the Slack lane (alert work) a replica runs at once (1 to 32); escalations, "
        "pages and reminders run one at a time in their own lane, and tracker filing, "
        "postmortems and Statuspage one each in theirs, whatever it says",
    )
    # Replicas sharing the Slack workspace: each paces its calls to its share of Slack's
    # limits (bot/clients/slack/pacing.py).
    replicas: int = setting(
        env="WARROOM_REPLICAS",
        default=1,
        parse=integer,
        doc="how many replicas share the Slack workspace: each paces its calls to its share of "
        "Slack's limits (1 to 64)",
    )
    # With more than one replica, how long a command waits before it is applied, so that
    # one typed just before it that reached another replica is in the line first (the
    # time another replica may take to keep a command, plus the replicas' clock skew;
    # bot/flows/in_order.py). One replica needs none: what it receives, it keeps in order.
    command_hold: float = setting(
        env="WARROOM_COMMAND_HOLD",
        default=0.5,
        parse=seconds,
        doc="with several replicas, seconds a command waits after it arrives before it is "
        "applied, so that one typed just before it that reached another replica goes first "
        "(0 to 10; unused with one replica)",
    )

    # How long a slash command or button press waits for its row in the channel's line before
    # Slack is answered anyway; past it the command is kept in memory, written as soon as the
    # database takes it and applied in its channel's order (bot/flows/in_order.py).
    command_answer_budget: float = setting(
        env="WARROOM_COMMAND_ANSWER_BUDGET",
        default=0.5,
        parse=seconds,
        doc="seconds a slash command or button press waits for the database to keep it before "
        "Slack is answered anyway (0.05 to 2.5); past it, it is kept in memory until written, "
        "still applied in its channel's order, and a write that fails is told to the person",
    )

    # How long a command answered before it was kept is tried again while the database
    # refuses it or gives up waiting (bot/flows/in_order.py), before its sender is told.
    command_retry_window: float = setting(
        env="WARROOM_COMMAND_RETRY_WINDOW",
        default=60.0,
        parse=seconds,
        doc="seconds a command answered before the database kept it is tried again while the "
        "database refuses it or stalls (1 to 600); past it its sender is told privately that "
        "nothing of it was done",
        shown="`60`",
    )

    # What strangers and other systems send is read in worker processes, each parse given a
    # time limit (bot/basics/untrusted.py): a pathological body is refused, never a stall.
    parse_seconds: float = setting(
        env="WARROOM_PARSE_SECONDS",
        default=5.0,
        parse=seconds,
        doc="seconds a worker process may take to read one alert body or delivery report "
        "(0.1 to 60); past it the worker is killed and the input refused (HTTP 422, SMTP "
        "554) and said in the log",
        shown="`5`",
    )
    parse_workers: int = setting(
        env="WARROOM_PARSE_WORKERS",
        default=2,
        parse=integer,
        doc="worker processes reading alert bodies at once (1 to 16); the bounce listener's "
        "delivery reports and the iCal feeds have one worker each of their own",
    )
    # A worker costs a round trip and, in a burst, a turn: an alert body small enough that its
    # linear reader (JSON) cannot take long is read on the loop (bench/RESULTS.md).
    parse_inline_bytes: int = setting(
        env="WARROOM_PARSE_INLINE_BYTES",
        default=65536,
        parse=integer,
        doc="an alert body under this many bytes is read in the server's own process, at once "
        "(0 to 1048576; 0: every body in a worker); a larger one in a worker, within "
        "`WARROOM_PARSE_SECONDS`",
    )
    # Paging in a process of its own beside serve's (bot/pager.py), PostgreSQL only: on there
    # by default, as it is what meets the paging targets during a storm (bench/RESULTS.md).
    pager_process: str = setting(
        env="WARROOM_PAGER_PROCESS",
        default="auto",
        doc="`auto`: on with PostgreSQL, off with SQLite; `on`: serve starts `warroom pager`, a "
        "process of its own that runs the paging jobs (PostgreSQL only; docs/paging.md); "
        "`off`: serve runs every job itself",
        shown="`auto`",
    )
    pager_metrics_port: int = setting(
        env="WARROOM_PAGER_METRICS_PORT",
        default=9464,
        parse=integer,
        doc="with the pager process, the loopback port of the pager's own `/metrics`, "
        "which serve's `/metrics` fetches and merges (docs/operations.md)",
    )
    # Prometheus scrapes with it (bearer_token_file / authorization in its scrape config).
    metrics_token: Secret = setting(
        env="WARROOM_METRICS_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="bearer token `GET /metrics` requires (401 without it); unset, `/metrics` answers "
        "anyone who reaches the port",
    )

    # A port of its own keeps /metrics off the port Slack and the internet reach.
    metrics_port: int = setting(
        env="WARROOM_METRICS_PORT",
        default=0,
        parse=integer,
        doc="a port of its own for `GET /metrics` (on serve's `--host`): set, `/metrics` is "
        "answered there only (serve's port answers it 404), `WARROOM_METRICS_TOKEN` still "
        "applying; unset, on serve's port",
        shown="none (serve's own port)",
    )

    @property
    def database_timeouts(self) -> DatabaseTimeouts:
        """Every database connection's limits on waiting."""
        return DatabaseTimeouts(
            lock=self.database_lock_timeout, statement=self.database_statement_timeout
        )

    @property
    def pager_on(self) -> bool:
        """Whether serve pages from a pager process of its own: asked for, or by default
        (``auto``) on PostgreSQL."""
        if self.pager_process == "auto":
            return self.database_url.startswith("postgres")
        return self.pager_process == "on"

    def problems(self) -> list[str]:
        return self._process_problems() + self._work_problems() + self._limit_problems()

    def _process_problems(self) -> list[str]:
        """The pager process, the ports the metrics are served on, the database's kind."""
        problems = []
        if self.pager_process not in ("auto", "off", "on"):
            problems.append("WARROOM_PAGER_PROCESS: must be auto, off or on")
        elif self.pager_process == "on" and not self.database_url.startswith("postgres"):
            problems.append(
                "WARROOM_PAGER_PROCESS: on needs PostgreSQL (DATABASE_URL): a SQLite file has "
                "one writing process, so serve runs the paging jobs itself (set it auto or off)"
            )
        if not 0 <= self.metrics_port < 65536:
            problems.append("WARROOM_METRICS_PORT: must be between 1 and 65535")
        if not 0 < self.pager_metrics_port < 65536:
            problems.append("WARROOM_PAGER_METRICS_PORT: must be between 1 and 65535")
        if not self.database_url.startswith(("sqlite", "postgres")):
            problems.append("DATABASE_URL: only sqlite:/// and postgresql:// URLs are supported")
        return problems

    def _work_problems(self) -> list[str]:
        """How jobs and commands are run: the scheduler, the job runner, replicas, commands."""
        problems = []
        if self.scheduler_interval <= 0:
            problems.append("WARROOM_SCHEDULER_INTERVAL: must be more than zero seconds")
        if not 1 <= self.job_concurrency <= 32:
            problems.append("WARROOM_JOB_CONCURRENCY: must be between 1 and 32")
        if not 1 <= self.replicas <= 64:
            problems.append("WARROOM_REPLICAS: must be between 1 and 64")
        if not 0 <= self.command_hold <= 10:
            problems.append("WARROOM_COMMAND_HOLD: must be between 0 and 10 seconds")
        if not 0.05 <= self.command_answer_budget <= 2.5:
            problems.append("WARROOM_COMMAND_ANSWER_BUDGET: must be between 0.05 and 2.5 seconds")
        if not 1 <= self.command_retry_window <= 600:
            problems.append("WARROOM_COMMAND_RETRY_WINDOW: must be between 1 and 600 seconds")
        return problems

    def _limit_problems(self) -> list[str]:
        """The database's time-outs, untrusted input's parsing, the port served on."""
        problems = []
        if not 0.1 <= self.database_lock_timeout <= 300:
            problems.append("WARROOM_DATABASE_LOCK_TIMEOUT: must be between 0.1 and 300 seconds")
        if not self.database_lock_timeout <= self.database_statement_timeout <= 3600:
            problems.append(
                "WARROOM_DATABASE_STATEMENT_TIMEOUT: must be between the lock time-out and "
                "3600 seconds"
            )

        if not 0.1 <= self.body_read_seconds <= 300:
            problems.append("WARROOM_BODY_READ_SECONDS: must be between 0.1 and 300 seconds")
        if not 0.1 <= self.parse_seconds <= 60:
            problems.append("WARROOM_PARSE_SECONDS: must be between 0.1 and 60 seconds")
        if not 1 <= self.parse_workers <= 16:
            problems.append("WARROOM_PARSE_WORKERS: must be between 1 and 16")
        if not 0 <= self.parse_inline_bytes <= 1_048_576:
            problems.append("WARROOM_PARSE_INLINE_BYTES: must be between 0 and 1048576")
        if not 0 < self.port < 65536:
            problems.append("PORT: must be between 1 and 65535")
        return problems
