"""Tests of the insights: counts, medians and rankings from the record, and their charts."""
