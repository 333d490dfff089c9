"""The scenario format: pydantic models, numbers and distributions, growth kinds, loader."""
