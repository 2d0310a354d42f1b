"""The team's own model, asked for the postmortem draft's written sections (README, "The
postmortem draft"): any OpenAI-compatible Chat Completions API, off unless both its address
and its model are set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config.reading import (
    NO_SECRET,
    Feature,
    Secret,
    duration,
    on_or_off,
    seconds,
    setting,
    text,
    url,
)


@dataclass(frozen=True)
class AISettings(Feature):
    """Where the model is, which one, and what it may be sent."""

    url: str = setting(
        env="WARROOM_AI_URL",
        default="",
        parse=url,
        doc="base URL of an OpenAI-compatible API (`http://127.0.0.1:11434/v1` for Ollama); "
        "warroom POSTs to `{url}/chat/completions` for the draft's written sections",
        shown="none (no suggestions)",
    )
    model: str = setting(
        env="WARROOM_AI_MODEL",
        default="",
        parse=text,
        doc="the model asked (`llama3.1:8b`); set it and `WARROOM_AI_URL`, or neither",
        shown="none",
    )
    # Local servers need none.
    key: Secret = setting(
        env="WARROOM_AI_KEY",
        default=NO_SECRET,
        parse=Secret,
        doc="sent as `Authorization: Bearer <key>` when set",
        shown="none",
    )
    private: bool = setting(
        env="WARROOM_AI_PRIVATE",
        default=False,
        parse=on_or_off,
        doc="`on`: a private incident's record may be sent to the model too",
        shown="`off`",
    )
    verify: bool = setting(
        env="WARROOM_AI_VERIFY",
        default=True,
        parse=on_or_off,
        doc="`on`: after the mechanical checks, the model is asked a second question, whether "
        "each suggested sentence is stated by the entries it cites, and must quote their words; "
        "`off`: mechanical checks only (every suggestion then says so)",
        shown="`on`",
    )
    timeout: float = setting(
        env="WARROOM_AI_TIMEOUT",
        default=60.0,
        parse=seconds,
        doc="seconds the model has to answer before the draft goes out without new "
        "suggestions (more than 0, at most 240)",
        shown="`60`",
    )
    # The model is asked once the team has said what it knows: the wrap-up form answered or
    # skipped, or left unanswered this long after the resolution.
    wrap_up_wait: timedelta = setting(
        env="WARROOM_WRAP_UP_WAIT",
        default=timedelta(minutes=10),
        parse=duration(at_least=timedelta(0), at_most=timedelta(hours=24)),
        doc="with a model: how long after resolving it waits for the wrap-up form to be "
        "answered or skipped before it is asked without it, and the draft posted (`10m`, "
        "`0s` to ask at once; at most `24h`)",
        shown="`10m`",
    )

    causes: bool = setting(
        env="WARROOM_CAUSES",
        default=True,
        parse=on_or_off,
        doc="with a model: `on`: an open incident's possible causes are asked of it, each "
        "proved from the record or not shown, in one message of the incident's channel; "
        "`off`: not asked",
        shown="`on`",
    )
    # The causes' message is asked again when the record changed, at most this often: the
    # model is not asked at every message, and the message does not move under people's eyes.
    causes_min_interval: timedelta = setting(
        env="WARROOM_CAUSES_MIN_INTERVAL",
        default=timedelta(minutes=5),
        parse=duration(at_least=timedelta(seconds=30), at_most=timedelta(hours=24)),
        doc="with a model: how often, at most, an open incident's possible causes are asked "
        "for again when its record changed (`5m`; at least `30s`, at most `24h`)",
        shown="`5m`",
    )

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.model)

    def problems(self) -> list[str]:
        """What is malformed or half set."""
        found = []
        if self.url and not self.url.startswith(("http://", "https://")):
            found.append("WARROOM_AI_URL: must start with https:// (or http://)")
        if bool(self.url) != bool(self.model):
            found.append("WARROOM_AI_URL and WARROOM_AI_MODEL: set both, or neither")
        # Under a job's lease (bot/store/jobs.py) with room to read the record and keep the
        # answer: a longer wait would let another replica take the job and ask again.
        if not 0 < self.timeout <= 240:
            found.append("WARROOM_AI_TIMEOUT: more than 0 and at most 240 seconds")
        return found


NO_AI = AISettings()
