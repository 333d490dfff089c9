"""Kinds: one class per growth kind and per target kind, each package one registry."""
