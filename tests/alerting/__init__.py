"""Tests of the alerts: bot/record/alerting/, bot/flows/alerting/intake.py and
bot/web/alerting/webhooks.py."""
