"""Tests of incident types: bot/record/incident/incident_types.py and fields, the types file, and
types in
Slack."""
