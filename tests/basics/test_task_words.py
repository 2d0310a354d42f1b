"""A follow-up's words, wording aside: "Follow-up:" dropped, rephrasings in English and French
read as one task, different tasks not."""

from __future__ import annotations

import pytest

from bot.basics.task_words import content_words, stem, task_text
from bot.record.follow_ups.follow_ups import reads_like


@pytest.mark.parametrize(
    ("written", "task"),
    [
        ("Follow-up: add a test for card types", "add a test for card types"),
        ("follow up - add a test", "add a test"),
        ("*Follow-up:* add a test", "add a test"),
        ("FOLLOWUP: add a test", "add a test"),
        ("TODO: rotate the keys", "rotate the keys"),
        ("Action item: rotate the keys", "rotate the keys"),
        ("Suivi : ajouter une alerte", "ajouter une alerte"),
        ("À faire : écrire le runbook", "écrire le runbook"),
        ("todo-list cleanup for the team", "todo-list cleanup for the team"),
        ("Follow-up:", "Follow-up:"),  # nothing after it: the text as it was
        ("Add a follow-up: call the vendor", "Add a follow-up: call the vendor"),
    ],
)
def test_the_follow_up_prefix_is_dropped(written: str, task: str) -> None:
    assert task_text(written) == task


def test_plurals_tenses_and_derived_words_meet() -> None:
    assert stem("alerts") == stem("alerting") == stem("alerted") == stem("alert")
    assert stem("alertes") == stem("alerte") == stem("alert")
    assert stem("rotation") == stem("rotate") == stem("rotating")
    assert stem("automatically") == stem("automatic")
    assert stem("paiements") == stem("paiement")
    assert stem("stopped") == stem("stop")
    assert content_words("Créer l'alerte") == content_words("creer les alertes")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Follow-up: add an integration test for every supported card type.",
            "We need integration tests covering all supported card types",
        ),
        ("Add alert on payment latency", "Alerting on payments latency"),
        ("Rotate the TLS certificates automatically", "Automatic rotation of TLS certificate"),
        (
            "Ajouter une alerte sur la latence des paiements",
            "Mettre en place des alertes pour la latence de paiement",
        ),
        (
            "Écrire le runbook de basculement de la base de données",
            "Suivi : créer un runbook pour le basculement de base de données",
        ),
    ],
)
def test_rephrasings_of_one_task_read_alike(first: str, second: str) -> None:
    assert reads_like(first, second)
    assert reads_like(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Add an alert on disk usage", "Add an alert on payment latency"),
        ("Rotate the TLS certificates", "Document the database failover"),
        ("Ajouter une alerte sur le disque", "Ajouter une alerte sur la latence des paiements"),
        ("Increase the connection pool size", "Raise the connection pool limit on the API"),
        ("Follow-up: fix it", "Follow-up: test it"),
    ],
)
def test_different_tasks_do_not(first: str, second: str) -> None:
    assert not reads_like(first, second)
