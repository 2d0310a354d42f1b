"""Tests of bot/record/alerting/."""
