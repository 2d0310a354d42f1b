"""Tests of the alerts: bot/record/alerting/ (its sources: bot/record/alerting/sources/),
bot/flows/alerting/intake.py and bot/web/alerting/webhooks.py."""
