"""The kinds of the scenario format, one class per kind: target kinds (and growth kinds)."""
