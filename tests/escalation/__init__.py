"""Tests of the escalation domain: policies, levels, paging PagerDuty, acknowledging."""
