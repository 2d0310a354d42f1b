"""Tests of the alerts: bot/record/alerting/, bot/flows/alert_intake.py and
bot/web/alert_webhooks.py."""
