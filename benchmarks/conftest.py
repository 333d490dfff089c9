"""Benchmarks are opt-in: run them with `python -m pytest benchmarks --benchmark-only`."""
