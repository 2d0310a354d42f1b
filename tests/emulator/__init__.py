"""Tests of emulator/."""
