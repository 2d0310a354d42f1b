"""Tests of bot/web/."""
