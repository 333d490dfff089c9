"""Projection engines: alternative implementations of the scenario semantics."""
