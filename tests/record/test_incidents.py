"""bot/record/incidents.py: an incident's channel name."""

from __future__ import annotations

import pytest

from bot.record.incidents import channel_name_for


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Checkout page returns 500s", "inc-7-checkout-page-returns-500s"),
        ("  DB: replica lag > 5 min!!  ", "inc-7-db-replica-lag-5-min"),
        ("Paiement refusé à l'étape 3", "inc-7-paiement-refuse-a-l-etape-3"),
        ("🔥🔥🔥", "inc-7"),
        ("snake_case_title", "inc-7-snake_case_title"),
    ],
)
def test_channel_names_follow_slacks_rules(title: str, expected: str) -> None:
    assert channel_name_for("inc", 7, title) == expected


def test_a_long_title_is_cut_to_80_characters_including_the_collision_suffix() -> None:
    title = "x" * 90
    first = channel_name_for("inc", 12, title)
    retry = channel_name_for("inc", 12, title, attempt=3)
    assert len(first) == 80 and first.startswith("inc-12-xxx")
    assert len(retry) == 80 and retry.endswith("-3")
