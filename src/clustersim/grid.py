"""A table for people, as data: headers, rows of text, alignment and a title.

The calibration, the backtest and the sweep summary build their tables as :class:`Grid`
values; the command line draws every one of them with rich (:func:`clustersim.cli.render.
grid_table`), so the terminal has one look and no layer below the CLI pads text by hand.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Grid", "Parts"]


@dataclass(frozen=True)
class Grid:
    """A table: ``headers`` (n,), ``rows`` of n cells each, ``align`` one ``l``/``r`` per
    column (left by default), an optional ``title``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""
    title: str | None = None

    def __post_init__(self) -> None:
        n = len(self.headers)
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"row {i + 1} has {len(row)} cells for {n} columns")
        if self.align and (len(self.align) > n or set(self.align) - {"l", "r"}):
            raise ValueError(f"align {self.align!r}: one l or r per column, at most {n}")

    def justify(self, column: int) -> str:
        """``"left"`` or ``"right"`` for column ``column`` (0-based)."""
        return "right" if self.align[column : column + 1] == "r" else "left"


#: what a report for people is made of: lines of text and tables, in order
Parts = list[str | Grid]
