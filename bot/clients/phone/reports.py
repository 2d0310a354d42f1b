"""What an SMS or call provider reports of a message or a call after taking it (its status
webhooks), in one shape: its status in the words paging knows (delivered, undelivered,
failed, in-progress, completed, busy, no-answer, canceled), the provider's own word, and
why it failed in words without any phone number, with whether the number itself is to blame
(its owner is told: bot/flows/paging/trouble.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """One report: ``status`` in the words paging knows, ``said`` the provider's own, ``why`` the
    reason in words (None: none given), ``bad_number`` when the number will not work until
    someone changes it."""

    provider: str
    status: str
    said: str
    why: str | None = None
    bad_number: bool = False

    @property
    def in_words(self) -> str:
        """What is said of a failure: the reason, else the provider's own word for it."""
        return self.why or f"{self.provider} reported it {self.said}"
