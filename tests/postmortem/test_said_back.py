"""The impact's end proposed without the ritual: when nobody marks recovery, a message after
the mitigation that says the service is back is proposed as impact ended, to confirm, with
its link; negated, asked or hoped for, it is not. The words in en and fr are listed once
(bot/record/postmortem/back_words.py)."""

from __future__ import annotations

import pytest

from bot.record.postmortem.back_words import says_service_back
from tests.conftest import ALICE, CAROL
from tests.helpers.records import section
from tests.helpers.replay import Replay
from tests.postmortem.test_draft_prompts import (
    DAVE,
    draft_of,
)


@pytest.mark.parametrize(
    "text",
    [
        "Error rate back to baseline.",
        "Error rate is back to baseline, checkout works again.",
        "Checkout is back to normal.",
        "Payments restored.",
        "Gateway recovered, p99 under 200 ms.",
        "Traffic flowing again on all pods.",
        "We're back up.",
        "Retour à la normale sur le paiement.",
        "Le paiement est rétabli.",
        "Le service est revenu à la normale.",
        "Le trafic circule à nouveau.",
        "Le taux d'erreur est revenu à la normale.",
        "Les paiements fonctionnent à nouveau.",
    ],
)
def test_these_say_the_service_is_back(text: str) -> None:
    assert says_service_back(text)


@pytest.mark.parametrize(
    "text",
    [
        "Not back to normal.",
        "Checkout is not back to normal yet.",
        "Error rate isn't back to baseline.",
        "Is it back to normal?",
        "Once it is restored we close the incident.",
        "Never recovered after the first rollback.",
        "Rolling back the payment gateway release.",
        "Pas rétabli.",
        "Le paiement n'est pas rétabli.",
        "Toujours pas revenu à la normale.",
        "Est-ce rétabli ?",
        "Si c'est rétabli, on ferme.",
        "Le trafic ne circule plus normalement.",
    ],
)
def test_these_do_not(text: str) -> None:
    assert not says_service_back(text)


def url_of(replay: Replay, clock_time: str) -> str:
    """The address of the message said at that time."""
    return replay.link(clock_time).split("](", 1)[1].removesuffix(")")


async def test_a_message_saying_it_is_back_proposes_the_end_with_its_link(
    play: Replay,
) -> None:
    await play.say("10:20 AM", CAROL, "Error rate is 20%, not back to normal.")
    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    await play.say("10:33 AM", CAROL, "Not back to normal yet, still some 500s.")
    await play.say("10:36 AM", CAROL, "Error rate back to baseline, checkout works again.")
    draft = await draft_of(play, "10:40 AM")
    link = url_of(play, "10:36 AM")
    assert "**Duration:** 10:00 AM to 10:36 AM UTC, November 7, 2023 (36 minutes)\n" in draft
    metrics = section(draft, "## Key times and metrics")
    assert (
        "| Impact ended | November 7, 2023, 10:36 AM UTC | proposed from a message after the fix"
        f" saying the service is back ([10:36 AM]({link}), Carol Tanaka), to confirm"
        " (`/incident time ended <when>`)" in metrics
    )
    assert "nothing in the record confirms it worked" not in draft
    assert "Nothing in the record confirms it worked" not in draft
    assert (
        f"It seems to have worked: at [10:36 AM]({link}) UTC, Carol Tanaka said the service was"
        " back: “Error rate back to baseline, checkout works again.” To confirm:" in draft
    )

    # Marked recovered, or set by hand: the marks and the times people give win.
    await play.run("10:41 AM", ALICE, "time ended 10:35")
    draft = await draft_of(play, "10:42 AM")
    assert "proposed" not in section(draft, "## Key times and metrics").split("Impact ended")[1]


async def test_in_french_and_negated_it_is_not_proposed(
    play: Replay,
) -> None:
    await play.run("10:01 AM", ALICE, "postmortem --lang fr")
    await play.say("10:30 AM", DAVE, "Rollback de la passerelle.", "white_check_mark")
    await play.say("10:33 AM", CAROL, "Le paiement n'est pas rétabli.")
    draft = await draft_of(play, "10:40 AM")
    assert "Rien au dossier ne confirme qu'elle a marché" in draft
    assert "un message après le correctif" not in draft

    await play.say("10:45 AM", CAROL, "Le paiement est rétabli.")
    draft = await draft_of(play, "10:50 AM")
    link = url_of(play, "10:45 AM")
    assert "Rien au dossier ne confirme" not in draft
    assert "rien au dossier ne confirme" not in draft
    assert (
        "| Fin de l'impact | 7 novembre 2023, 10 h 45 UTC | proposée d'après un message après le"
        " correctif disant que le service est rétabli"
        f" ([10 h 45]({link}), Carol Tanaka), à confirmer" in draft
    )
    assert f"Elle semble avoir marché : à [10 h 45]({link}) UTC, Carol Tanaka a dit" in draft


async def test_a_message_before_the_fix_proposes_nothing(
    play: Replay,
) -> None:
    await play.say("10:20 AM", CAROL, "Checkout is back to normal.")
    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    draft = await draft_of(play, "10:40 AM")
    assert "Nothing in the record confirms it worked" in draft
    assert "saying the service is back" not in draft
