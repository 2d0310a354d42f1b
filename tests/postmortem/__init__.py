"""Tests of bot/postmortem/."""
