"""The web view: how people sign in (Sign in with Slack), their sessions, where warroom is
reached, and the JSON API's token."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.slack_patterns import USER_ID
from bot.config.reading import NO_SECRET, Feature, Secret, lower, seconds, setting, url

DEFAULT_OIDC_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
WEB_AUTH_MODES = ("slack", "none")
# HMAC-SHA256 keys shorter than this are guessable.
SESSION_SECRET_MIN = 32


def _user_ids(raw: str) -> tuple[str, ...]:
    """``U024BE7LH, W012A3CDE``: Slack user ids, nothing else."""
    named = tuple(part.strip() for part in raw.replace(" ", ",").split(",") if part.strip())
    for part in named:
        if not USER_ID.fullmatch(part):
            raise ValueError(f"expected Slack user ids (U…, W…), got {part!r}")
    return named


@dataclass(frozen=True)
class WebSettings(Feature):
    """Who may see the pages and the API, and how they prove it."""

    # "slack" signs people in with Slack (OpenID Connect); "none" is for local use only (no
    # sign-in, every incident shown, the pages and API to this machine alone).
    auth: str = setting(
        env="WARROOM_WEB_AUTH",
        default="slack",
        parse=lower,
        doc="`slack` (Sign in with Slack) or `none` (no sign-in; the pages and API answer only "
        "requests from this machine)",
    )
    # The app's OAuth client: Sign in with Slack only.
    slack_client_id: str = setting(
        env="SLACK_CLIENT_ID",
        default="",
        doc="the app's OAuth client id, for Sign in with Slack only (the bot answers Slack "
        "with `SLACK_BOT_TOKEN` whether it is set or not)",
        shown="none (pages answer 503)",
    )
    slack_client_secret: Secret = setting(
        env="SLACK_CLIENT_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="the app's OAuth client secret, for Sign in with Slack only",
        shown="none (pages answer 503)",
    )
    oidc_authorize_url: str = setting(
        env="SLACK_OIDC_AUTHORIZE_URL",
        default=DEFAULT_OIDC_AUTHORIZE_URL,
        doc="Slack's OpenID Connect authorize page",
    )
    # Signs session cookies; every replica needs the same one.
    session_secret: Secret = setting(
        env="WARROOM_SESSION_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="signs session cookies (32 characters or more; the same on every replica)",
        shown="none (pages answer 503)",
    )
    session_hours: float = setting(
        env="WARROOM_SESSION_HOURS",
        default=12.0,
        parse=seconds,
        doc="how long a sign-in lasts",
        shown="`12`",
    )
    # Where people reach warroom (https://warroom.example.com): the sign-in redirect and
    # links; cookies are Secure when it is https. Without it, the request's own address.
    public_url: str = setting(
        env="WARROOM_PUBLIC_URL",
        default="",
        parse=url,
        doc="where people reach warroom (sign-in redirect; Secure cookies when https)",
        shown="the request's own address",
    )
    # Automation reads the JSON API with `Authorization: Bearer <token>`.
    api_token: Secret = setting(
        env="WARROOM_API_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="bearer token for the JSON API (sees every incident)",
        shown="none (API for signed-in browsers only)",
    )
    # Who administers warroom on the web besides the workspace's admins and owners.
    admins: tuple[str, ...] = setting(
        env="WARROOM_ADMINS",
        default=(),
        parse=_user_ids,
        doc="who may make and revoke agents' tokens and integrations on the web and read the "
        "admin record, besides the workspace's admins and owners (Slack's `is_admin`, "
        "`is_owner`, asked afresh): Slack user ids, `U024BE7LH,U0G9QF9C6`",
        shown="the workspace's admins and owners only",
    )

    @property
    def sign_in_ready(self) -> bool:
        """Whether Sign in with Slack has what it needs (the web view's pages need it)."""
        return bool(self.slack_client_id and self.slack_client_secret and self.session_secret)

    def problems(self) -> list[str]:
        problems = []
        if self.auth not in WEB_AUTH_MODES:
            problems.append("WARROOM_WEB_AUTH: must be slack (sign in with Slack) or none")
        if self.session_secret and len(self.session_secret) < SESSION_SECRET_MIN:
            problems.append(
                f"WARROOM_SESSION_SECRET: use at least {SESSION_SECRET_MIN} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            problems.append("WARROOM_PUBLIC_URL: must start with https:// (or http://)")
        if self.session_hours <= 0:
            problems.append("WARROOM_SESSION_HOURS: must be more than zero")
        return problems
