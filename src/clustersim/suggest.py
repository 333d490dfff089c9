"""The one "did you mean" helper for every name a user types (fields, kinds, series, paths).

Standard library only, so every layer (the projection core included) may use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]

#: how similar a typed name must be to a known one to be suggested (difflib ratio)
DEFAULT_CUTOFF = 0.6


def closest(word: str, choices: Iterable[str], *, cutoff: float = DEFAULT_CUTOFF) -> str | None:
    """The known name most like ``word``, or None when none is similar enough."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = DEFAULT_CUTOFF) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""``.

    >>> did_you_mean("grwth", ["growth", "base"])
    "; did you mean 'growth'?"
    """
    match = closest(word, choices, cutoff=cutoff)
    return f"; did you mean {match!r}?" if match is not None else ""
