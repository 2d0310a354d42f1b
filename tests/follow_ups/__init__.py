"""Tests of the follow-ups domain: owners, due dates, duplicates, the trackers."""
