"""The draft's timeline order (``curated_timeline``): by moment; at the same moment the start
of impact first, then detection, then every other line in the order the record holds them;
impact lines left out (they have their own section); milestones set by hand among them, each
said once: on the marked message of its minute when there is one to point at (one fact, one
line), else as a line of its own by whoever set it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.record.postmortem.parts import ALSO_MILESTONE, Line, MilestoneTime
from bot.record.postmortem.writing import curated_timeline

START = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
KINDS = ("detection", "investigation", "impact", "key_event", "milestone_started", "misleading")
RANK = {"milestone_started": 0, "detection": 1}

lines_strategy = st.lists(
    st.builds(
        lambda minute, kind, number: Line(START + timedelta(minutes=minute), kind, f"#{number}"),
        st.integers(0, 5),
        st.sampled_from(KINDS),
        st.integers(0, 10**6),
    ),
    max_size=40,
)


@given(lines_strategy, st.lists(st.integers(0, 5), max_size=3))
def test_lines_at_one_moment_go_impact_start_then_detection_then_record_order(
    lines: list[Line], hand_set_minutes: list[int]
) -> None:
    milestones = {
        f"hand{index}": MilestoneTime("started", START + timedelta(minutes=minute), "U0ALICE")
        for index, minute in enumerate(hand_set_minutes)
    }
    shown = curated_timeline(lines, milestones)

    kept = [line for line in lines if line.kind != "impact"]
    alone = [line for line in shown if line.author == "U0ALICE"]
    riding = [mark for line in shown for mark in line.also if mark.startswith(ALSO_MILESTONE)]
    # Every milestone set by hand is said, once: a line of its own or on a marked message.
    assert len(alone) + len(riding) == len(hand_set_minutes)
    assert {line.at for line in shown if line.author == "U0ALICE" or line.also} <= {
        START + timedelta(minutes=m) for m in hand_set_minutes
    }
    # Written out one moment at a time, as the rule says it (a line that carries a milestone
    # is the record's line, where it stood).
    expected = []
    for moment in sorted({line.at for line in [*kept, *alone]}):
        here = [line for line in [*kept, *alone] if line.at == moment]
        for rank in (0, 1, 2):
            expected += [line for line in here if RANK.get(line.kind, 2) == rank]
    assert [_words(line) for line in shown] == [_words(line) for line in expected]


def _words(line: Line) -> tuple[object, ...]:
    return (line.at, line.kind, line.text, line.author)
