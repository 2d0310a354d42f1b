"""Every job kind is named once (``JobKind``), has a handler, and its module's table says
which handler and lane, as they are."""

from __future__ import annotations

from bot.flows.handlers import JOB_HANDLERS, JOB_LANES
from bot.store import job_kinds
from bot.store.job_kinds import JobKind


def test_every_kind_has_a_handler_and_every_handler_a_kind() -> None:
    assert set(JOB_HANDLERS) == set(JobKind)


def test_the_kinds_table_says_each_kinds_handler_and_lane() -> None:
    table = (job_kinds.__doc__ or "").split("```")[1]
    rows = {line.split()[0]: line.split()[1:] for line in table.strip().splitlines()[1:]}
    assert set(rows) == {kind.value for kind in JobKind}
    for kind in JobKind:
        handler = JOB_HANDLERS[kind]
        lane = next((lane.name for lane in JOB_LANES if kind in lane.kinds), "slack")
        shown = f"{handler.__module__.removeprefix('bot.flows.')}.{handler.__name__}"
        assert rows[kind.value] == [shown, lane], kind
