"""Tests of bot/record/."""
