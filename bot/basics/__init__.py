"""Basics: small helpers every layer uses (numbers and Slack timestamps from outside,
durations, user-facing errors, logging, YAML files, background tasks, the template renderer).

May import: nothing of warroom's own.
"""
