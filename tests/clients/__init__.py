"""Tests of bot/clients/."""
