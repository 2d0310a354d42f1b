"""Tests of the settings: bot/config.py."""
