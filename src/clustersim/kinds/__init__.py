"""Kinds of the scenario format: one class per growth kind and per target kind, one registry each."""
