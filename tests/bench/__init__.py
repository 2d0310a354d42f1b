"""Tests of bench/: the benchmarks still run, and bench/RESULTS.md."""
