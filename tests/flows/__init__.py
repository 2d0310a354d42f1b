"""Tests of bot/flows/."""
