"""Errors and warnings raised by clustersim.

Every error a user can cause derives from :class:`ClusterSimError`; the CLI prints
its message (no traceback) and exits with status 2. Messages name the file, line and
field path where one is known, the bad value and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "ClusterSimError",
    "ClusterSimWarning",
    "ModelError",
    "ScenarioError",
]


class ClusterSimError(Exception):
    """Base class of every error caused by user input."""


class ClusterSimWarning(UserWarning):
    """A warning about a suspicious but usable input."""


class ScenarioError(ClusterSimError):
    """A scenario file that cannot be loaded or validated.

    Parameters
    ----------
    problems : list of str
        One line per problem, each already prefixed with ``file:line:`` where known.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ModelError(ClusterSimError):
    """A scenario that validates but cannot be projected (NaN, negative stock, cycle...)."""
