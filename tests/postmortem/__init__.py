"""Tests of bot/record/postmortem/ (drafts, written from the record) and the posting flow."""
