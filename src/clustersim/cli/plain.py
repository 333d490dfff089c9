"""Tables and lines as plain text, the bytes rich writes off a terminal, without rich's
console (issue 21, part 4: importing rich's console and measuring a 36-row table through
its renderables was 0.15-0.2 s of a cold ``clustersim run``).

Off a terminal (a pipe, a file, CI logs) the command line's console
(:data:`clustersim.cli._common.out`) is 160 columns wide and prints no colour, so a table is
text in rich's ``HEAVY_HEAD`` box: this module lays it out as rich's ``Table`` does (column
measurement, collapsing the widest columns to fit, word wrapping with ``fold`` or
``ellipsis``, padding of one cell, a centred title) with rich's own cell widths and word
splitting (``rich.cells``, ``rich._wrap``, ``rich._ratio``: small modules that import no
console). :func:`draw` and :func:`line` return None for what they do not cover (markup in a
title, emoji codes, control characters, backslashes, a column narrower than its padding),
and the caller prints that one item with rich instead; tests/cli/test_plain.py holds the
two to the same bytes.
"""

from __future__ import annotations

import builtins
import itertools
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["WIDTH", "Sheet", "draw", "line", "plain_console"]

#: the width of :data:`clustersim.cli._common.out` off a terminal
WIDTH = 160

#: rich's emoji codes (``:smile:``): text that may hold one is printed by rich
_EMOJI = re.compile(r"(:(\S*?)(?:(?:\-)(emoji|text))?:)")
#: control characters rich strips, expands (tabs) or splits on (newlines)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TRAILING = re.compile(r"\s+$")


@dataclass
class Sheet:
    """A table as text: the title, one ``(header, justify, overflow)`` per column, rows of
    cells and, per row, the rich style of any cell (colour on a terminal only)."""

    title: str
    columns: list[tuple[str, str, str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    styles: list[dict[int, str]] = field(default_factory=list)

    def add_column(self, header: str, justify: str = "left", overflow: str = "ellipsis") -> None:
        """A column (rich's defaults: left, ``ellipsis``)."""
        self.columns.append((header, justify, overflow))

    def add_row(self, *cells: str, styles: dict[int, str] | None = None) -> None:
        """A row of plain text (no markup); ``styles``: column index -> rich style."""
        self.rows.append(list(cells))
        self.styles.append(dict(styles or {}))

    def to_rich(self, header_style: str = "bold") -> Table:
        """The same table as a rich ``Table`` (cells escaped, styles as markup)."""
        from rich.markup import escape
        from rich.table import Table

        tbl = Table(title=self.title, header_style=header_style)
        for header, justify, overflow in self.columns:
            tbl.add_column(header, justify=justify, overflow=overflow)  # type: ignore[arg-type]
        for cells, styles in zip(self.rows, self.styles, strict=True):
            row = []
            for i, cell in enumerate(cells):
                style = styles.get(i)
                row.append(f"[{style}]{escape(cell)}[/{style}]" if style else escape(cell))
            tbl.add_row(*row)
        return tbl


def plain_console() -> bool:
    """Whether :data:`~clustersim.cli._common.out` prints plain text :data:`WIDTH` columns
    wide right now: not a terminal, no colour, UTF-8, not Jupyter or IDLE (what rich's
    ``Console`` decides, from the same environment variables and ``isatty``)."""
    from clustersim.cli._common import out

    made = getattr(out, "_console", None)
    if made is not None or not hasattr(out, "_console"):
        console: Any = made if made is not None else out
        return bool(
            console.file is sys.stdout  # not a console writing elsewhere, or recording
            and not console.record
            and not console.is_terminal
            and console.color_system is None
            and console.width == WIDTH
            and not console.legacy_windows
            and not console.is_jupyter
            and console.encoding.startswith("utf")
        )
    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return False
    if any(k in os.environ for k in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")):
        return False
    if getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return False
    stdout = sys.stdout
    isatty = getattr(stdout, "isatty", None)
    if isatty is None:
        return False
    try:
        if isatty():
            return False
    except ValueError:
        return False
    encoding = (getattr(stdout, "encoding", "utf-8") or "utf-8").lower()
    return encoding.startswith("utf")


def _tools() -> Any:
    """rich's cell widths, word splitting and ratio reduction (no console), or None."""
    try:
        from rich import _ratio, _wrap, cells
    except ImportError:  # pragma: no cover  (another rich: print with rich itself)
        return None
    return cells, _wrap, _ratio


def _safe(text: str) -> bool:
    """Text this module prints as rich does: no control characters, no emoji code and no
    backslash (rich's ``escape`` does not give every backslash back: ``end\\`` prints with
    two, ``\\[`` as ``[``)."""
    return "\\" not in text and _CONTROL.search(text) is None and _EMOJI.search(text) is None


def _wrap(text: str, width: int, justify: str, overflow: str, tools: Any) -> list[str]:
    """``rich.text.Text.wrap`` of one line of plain text (no newline, no tab)."""
    cells, wrap, _ = tools
    cell_len = cells.cell_len
    offsets = wrap.divide_line(text, width, fold=overflow == "fold")
    bounds = [0, *offsets, len(text)]
    out = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        if len(piece) > width:  # rstrip_end: counts characters, as rich does
            m = _TRAILING.search(piece)
            if m is not None:
                piece = piece[: len(piece) - min(len(m.group(0)), len(piece) - width)]
        if justify == "left":
            length = cell_len(piece)
            piece = _truncate(piece, width, overflow, cells)
            if length < width:
                piece += " " * (width - length)
        elif justify == "center":
            piece = _truncate(piece.rstrip(), width, overflow, cells)
            piece = " " * ((width - cell_len(piece)) // 2) + piece
            piece += " " * (width - cell_len(piece))
        elif justify == "right":
            piece = _truncate(piece.rstrip(), width, overflow, cells)
            piece = " " * (width - cell_len(piece)) + piece
        out.append(_truncate(piece, width, overflow, cells))
    return out


def _truncate(text: str, width: int, overflow: str, cells: Any) -> str:
    """``Text.truncate`` without padding."""
    if cells.cell_len(text) > width:
        if overflow == "ellipsis":
            return str(cells.set_cell_size(text, width - 1)) + "…"
        return str(cells.set_cell_size(text, width))
    return text


def _norm(lo: int, hi: int) -> tuple[int, int]:
    """``Measurement.normalize``."""
    lo = min(max(0, lo), hi)
    return max(0, lo), max(0, max(lo, hi))


def _get(lo: int, hi: int, width: int) -> tuple[int, int]:
    """What ``Measurement.get`` makes of a renderable's measurement at ``width``."""
    lo, hi = _norm(lo, hi)
    lo, hi = min(lo, width), min(hi, width)
    if hi < 1:
        return 0, 0
    return _norm(lo, hi)


def _text_range(text: str, cells: Any) -> tuple[int, int]:
    """``Text.__rich_measure__``: the longest word and the (one) line, in cells."""
    hi = cells.cell_len(text)
    words = text.split()
    lo = max(cells.cell_len(w) for w in words) if words else hi
    return lo, hi


def _measure(text: tuple[int, int], width: int) -> tuple[int, int]:
    """``Measurement.get`` of a cell (text measuring ``text`` in a padding of one on each
    side) at ``width``."""
    if width < 1:
        return 0, 0
    lo, hi = _get(*text, width)
    if width - 2 < 1:
        return _get(width, width, width)
    return _get(min(lo + 2, width), min(hi + 2, width), width)


def _column_width(ranges: Sequence[tuple[int, int]], width: int) -> int:
    """The maximum of ``Table._measure_column``."""
    if width < 1:
        return 0
    his = [_measure(r, width)[1] for r in ranges]
    return min(max(his) if his else width, width)


def _collapse(widths: list[int], max_width: int, ratio_reduce: Any) -> list[int]:
    """``Table._collapse_widths`` with every column wrappable."""
    total = sum(widths)
    excess = total - max_width
    while total and excess > 0:
        top = max(widths)
        second = max(w if w != top else 0 for w in widths)
        diff = top - second
        ratios = [1 if w == top else 0 for w in widths]
        if not any(ratios) or not diff:
            break
        widths = ratio_reduce(excess, ratios, [min(excess, diff)] * len(widths), widths)
        total = sum(widths)
        excess = total - max_width
    return widths


def draw(sheet: Sheet, width: int = WIDTH) -> str | None:
    """``sheet`` as rich prints its ``Table`` (``HEAVY_HEAD`` box, header, padding of one
    cell, the title centred above) on a console ``width`` columns wide without colour: every
    line ending in a newline. None when rich is needed (see the module's text)."""
    tools = _tools()
    if tools is None:
        return None
    texts = [sheet.title, *(c[0] for c in sheet.columns), *(x for r in sheet.rows for x in r)]
    if not all(_safe(t) for t in texts):
        return None
    # the title and the headers are markup to rich (cells are escaped)
    if any("[" in t for t in (sheet.title, *(c[0] for c in sheet.columns))):
        return None
    cells, _, ratio = tools
    ncol = len(sheet.columns)
    if not ncol:
        return None
    max_width = width - (ncol + 1)
    columns = [
        [_text_range(t, cells) for t in (c[0], *(r[i] for r in sheet.rows))]
        for i, c in enumerate(sheet.columns)
    ]
    widths = [_column_width(col, max_width) or 1 for col in columns]
    if sum(widths) > max_width:
        widths = _collapse(widths, max_width, ratio.ratio_reduce)
        if sum(widths) > max_width:
            excess = sum(widths) - max_width
            widths = ratio.ratio_reduce(excess, [1] * len(widths), widths, widths)
        widths = [_column_width(col, w) for col, w in zip(columns, widths, strict=True)]
    if min(widths) < 3:
        return None
    table_width = sum(widths) + ncol + 1
    lines: list[str] = []
    if sheet.title:
        lines += _wrap(sheet.title, table_width, "center", "fold", tools)
    lines.append("┏" + "┳".join("━" * w for w in widths) + "┓")

    def row(texts: Sequence[str], header: bool) -> None:
        blocks = []
        for text, w, (_, justify, overflow) in zip(texts, widths, sheet.columns, strict=True):
            inner = _wrap(text, w - 2, justify, overflow, tools)
            blocks.append([f" {cells.set_cell_size(x, w - 2)} " for x in inner])
        height = max(len(b) for b in blocks)
        for b, w in zip(blocks, widths, strict=True):
            blank = [" " * w] * (height - len(b))
            b[:] = blank + b if header else b + blank
        edge = "┃" if header else "│"
        for i in range(height):
            lines.append(edge + edge.join(b[i] for b in blocks) + edge)

    row([c[0] for c in sheet.columns], True)
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for cells_ in sheet.rows:
        row(cells_, False)
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return "".join(x + "\n" for x in lines)


def line(text: str, width: int = WIDTH) -> str | None:
    """``text`` (plain, no markup) as rich's console prints an escaped string: wrapped at
    ``width`` cells by words; None when rich is needed (emoji codes, control characters)."""
    tools = _tools()
    if tools is None or not _safe(text):
        return None
    return "".join(x + "\n" for x in _wrap(text, width, "default", "fold", tools))
