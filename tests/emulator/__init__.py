"""Tests of bot/emulator/."""
