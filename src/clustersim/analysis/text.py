"""Plain text for people: levels, runs of years, file lines and padded tables.

Shared by the calibration table, the fragment's provenance comments and the backtest
report, so a number reads the same everywhere. The table formatter is hand-written (no
``rich`` outside the CLI); wide (CJK) characters count two columns.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table", "level_text", "lines_text", "years_text"]


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


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x1100 and _wide(ch) else 1 for ch in s)


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A plain-text table, columns padded to their widest cell (``l``/``r`` per column)."""
    n = len(headers)
    al = (align or "l" * n).ljust(n, "l")
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(n)]

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            gap = " " * (widths[i] - _width(str(c)))
            out.append(f"{gap}{c}" if al[i] == "r" else f"{c}{gap}")
        return "  ".join(out).rstrip()

    return "\n".join([fmt(headers), *(fmt(r) for r in rows)])
