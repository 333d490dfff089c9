"""Readers and writers: the only place pyarrow is imported."""
