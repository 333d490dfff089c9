"""Plain text for people: levels, runs of years and file lines.

Shared by the calibration table, the fragment's provenance comments and the backtest
report, so a number reads the same everywhere. Tables are :class:`clustersim.grid.Grid`
values that the command line draws with rich.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["level_text", "lines_text", "years_text"]


def level_text(x: float) -> str:
    """A level for people: ``10,800``, ``5,113.46``, ``133.1``, ``0.2381``."""
    if abs(x) >= 1e6:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.4g}"


def years_text(years: Sequence[int]) -> str:
    """``2015, 2019-2021`` for a sorted list of years."""
    if not years:
        return "-"
    parts: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def lines_text(lines: Sequence[int]) -> str:
    """``line 4`` or ``lines 2-12, 15`` for sorted file lines; ``no rows`` when empty."""
    if not lines:
        return "no rows"
    return ("line " if len(lines) == 1 else "lines ") + years_text(list(lines))
