"""Helpers the tests share (no tests, no fixtures: those stay in conftest.py files)."""
