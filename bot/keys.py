"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from aiohttp import ClientSession, web
from slack_bolt.async_app import AsyncApp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.flows.alerting.intake import PayloadWriter
from bot.flows.in_order import CommandLine, CommandSweep
from bot.flows.ingestion import IngestWriter
from bot.flows.installation import SlackWatch
from bot.flows.outbox import OutboxSender
from bot.flows.scheduler import JobRunner
from bot.flows.status_page.bounces import BounceListener
from bot.metrics import Metrics
from bot.services import Services

settings_key = web.AppKey("settings", Settings)
http_session_key = web.AppKey("http_session", ClientSession)
engine_key = web.AppKey("engine", AsyncEngine)
services_key = web.AppKey("services", Services)
bolt_key = web.AppKey("bolt", AsyncApp)
job_runner_key = web.AppKey("job_runner", JobRunner)
outbox_sender_key = web.AppKey("outbox_sender", OutboxSender)
slack_watch_key = web.AppKey("slack_watch", SlackWatch)
metrics_key = web.AppKey("metrics", Metrics)
ingest_key = web.AppKey("ingest", IngestWriter)
payload_writer_key = web.AppKey("payload_writer", PayloadWriter)
command_line_key = web.AppKey("command_line", CommandLine)
command_sweep_key = web.AppKey("command_sweep", CommandSweep)
bounce_listener_key = web.AppKey("bounce_listener", BounceListener)
