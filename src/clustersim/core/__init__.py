"""The projection core: pure numpy kernels, the op graph, expressions and target checks.

Imports numpy (and the standard library) only: no pydantic, YAML, pyarrow, typer or rich.
"""
