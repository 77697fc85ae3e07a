"""Benchmarks: `make bench` (python -m bench) writes BENCHMARKS.md."""
