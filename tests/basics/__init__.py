"""Tests of bot/basics/."""
