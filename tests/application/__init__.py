"""Tests of the application: bot/app.py, bot/server.py, bot/cli.py, bot/admin/ and the running
process around them (health, metrics, logs, the whole environment)."""
