"""A one-line progress bar with rate and ETA, for terminals only (standard library only)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


def _clock(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or inf
        return "--:--"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """``sweep  42% |########------| 420,000/1,000,000 samples  35,120/s  ETA 00:17``.

    Parameters
    ----------
    total : int
        Samples in the sweep.
    done : int
        Samples already done (a resumed sweep); the rate counts only this run's.
    enabled : bool, optional
        Default: only when ``stream`` is a terminal.
    stream : text file, default sys.stderr
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        *,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        label: str = "sweep",
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(total, 1)
        self.start_done = done
        self.done = done
        self.label = label
        self.t0 = time.monotonic()
        self._last = 0.0
        self._width = 0
        if self.enabled:
            self._draw(force=True)

    def update(self, rows: int) -> None:
        """Count ``rows`` more samples done."""
        self.done += rows
        if self.enabled:
            self._draw()

    def line(self) -> str:
        """The current progress line."""
        elapsed = max(time.monotonic() - self.t0, 1e-9)
        ran = self.done - self.start_done
        rate = ran / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        frac = min(1.0, self.done / self.total)
        bar_w = 24
        full = int(frac * bar_w)
        bar = "#" * full + "-" * (bar_w - full)
        return (
            f"{self.label} {frac:4.0%} |{bar}| {self.done:,}/{self.total:,} samples  "
            f"{rate:,.0f}/s  ETA {_clock(left)}"
        )

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        """Finish the line (terminal only)."""
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
