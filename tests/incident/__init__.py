"""Tests of the incident domain: its record, timeline, roles and state, /incident, wrap-up."""
