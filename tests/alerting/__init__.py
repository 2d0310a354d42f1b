"""Tests of bot/alerting/."""
