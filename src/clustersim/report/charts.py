"""Charts of a report (matplotlib, Agg; imported lazily): trajectories with fan bands and
target markers, cluster output against the 1,000 / 5,000 / 10,000 亿 thresholds, and a sweep's
target probabilities and sensitivity indices.

Every chart is built on a bare :class:`matplotlib.figure.Figure` (no pyplot, no global
state) inside an rc context that puts the shipped CJK font first
(:func:`clustersim.report.fonts.matplotlib_rc`), so Chinese labels render as characters on
any machine. SVG output draws text as paths: the files need no font to be viewed.
"""

from __future__ import annotations

import functools
import io
import textwrap
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from clustersim.atomic import staged_files
from clustersim.errors import ClusterSimError
from clustersim.formats import CHART_FORMATS
from clustersim.i18n import Bi, bi, unit_text, word
from clustersim.kinds.targets import TARGET_KINDS
from clustersim.report.data import ClusterBars, Marker, ReportData, TrajectoryChart
from clustersim.report.fmt import goal_text, num

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Chart",
    "Progress",
    "charts_of",
    "figure_bytes",
    "write_charts",
]

#: PNG resolution: a 6.4 x 3.6 in chart is 960 x 540 px, a slide's half width
PNG_DPI = 150
#: called as ``progress(done, total, what)`` while charts are drawn
Progress = Callable[[int, int, str], None]

MET, MISSED, NEUTRAL = "#1a7f37", "#c62828", "#555555"
#: a Monte Carlo target met in between the status rule's thresholds (neither likely nor unlikely)
UNCERTAIN = "#b26a00"
#: marker colour by status: met / likely green, missed / unlikely red, uncertain amber
STATUS_COLORS = {
    "met": MET,
    "likely": MET,
    "uncertain": UNCERTAIN,
    "missed": MISSED,
    "unlikely": MISSED,
}
LINE, BAND = "#1f5fa8", "#1f5fa8"


@dataclass(frozen=True)
class Chart:
    """A chart to draw: its file stem, caption and how to draw it."""

    key: str
    caption: Bi
    draw: Callable[[str], Figure]


def _width(text: str) -> int:
    """Display width: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int = 64) -> str:
    """Wrap ``text`` to ``width`` display columns (CJK characters are two columns)."""
    if _width(text) <= width:
        return text
    if _width(text) == len(text):
        return "\n".join(textwrap.wrap(text, width))
    lines, cur = [], ""
    for ch in text:
        if _width(cur + ch) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    return "\n".join([*lines, cur])


def _fmt_axis(ax: Axes, percent: bool) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if percent:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.3g}%"))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _new_figure(width: float, height: float, *, fixed: bool = False) -> Figure:
    """A figure; ``fixed`` margins (for trajectories, whose labels are short) draw twice as
    fast as the constrained layout the bar charts need for their long labels."""
    from matplotlib.figure import Figure

    if not fixed:
        return Figure(figsize=(width, height), layout="constrained")
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.125, right=0.975, top=0.84, bottom=0.09)
    return fig


def trajectory_figure(chart: TrajectoryChart, lang: str) -> Figure:
    """The median trajectory, 50% and 90% bands over samples, history, and each target drawn
    at its year (goal level, goal path or reference value), green when met, red when missed."""
    fig = _new_figure(6.4, 3.6, fixed=True)
    ax = fig.add_subplot()
    b = chart.band
    x = b.years
    if b.samples > 1:
        ax.fill_between(x, b.p5, b.p95, color=BAND, alpha=0.14, lw=0, label=word("band90", lang))
        ax.fill_between(x, b.p25, b.p75, color=BAND, alpha=0.28, lw=0, label=word("band50", lang))
    ax.plot(x, b.median, color=LINE, lw=2, marker="o", ms=3, label=word("median", lang))
    if chart.history:
        hx = [y for y, _ in chart.history]
        hy = [v for _, v in chart.history]
        ax.plot(
            [*hx, int(x[0])],
            [*hy, float(b.median[0])],
            color=NEUTRAL,
            lw=1,
            ls=":",
            marker="o",
            ms=4,
            mfc="white",
            label=word("history", lang),
        )
    labelled: set[str] = set()
    for m in chart.markers:
        color = STATUS_COLORS.get(m.status, MISSED)
        lab = None
        if m.path:
            px = [y for y, _ in m.path]
            py = [v for _, v in m.path]
            lab = word("goal_path", lang) if "path" not in labelled else None
            labelled.add("path")
            ax.plot(px, py, color=color, lw=1.3, ls="--", label=lab)
        if m.reference is not None and m.start is not None:
            ax.plot([m.start], [m.reference], marker="s", ms=6, mfc="white", color=color, ls="")
        if m.lo is not None or m.hi is not None:
            lab = word("goal_marker", lang) if "goal" not in labelled else None
            labelled.add("goal")
            if m.lo is not None and m.hi is not None:
                ax.vlines(m.year, m.lo, m.hi, color=color, lw=4, alpha=0.7, label=lab or "")
                y_text = m.hi
            else:
                level = m.lo if m.lo is not None else m.hi
                assert level is not None
                ax.plot(
                    [m.year],
                    [level],
                    marker="^" if m.lo is not None else "v",
                    ms=9,
                    color=color,
                    ls="",
                    label=lab,
                )
                if not m.path:
                    ax.axhline(level, color=color, lw=0.8, ls="--", alpha=0.6)
                y_text = level
            text = marker_text(m, chart.percent, lang)
            ax.annotate(
                text,
                (m.year, y_text),
                xytext=(-6, 6),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=color,
            )
        else:
            ax.axvline(m.year, color=color, lw=1, ls=":")
    _fmt_axis(ax, chart.percent)
    lo_year = min([int(x[0]), *(y for y, _ in chart.history)])
    ax.set_xlim(lo_year - 0.3, int(x[-1]) + 0.3)
    ax.set_title(wrap(chart.title.text(lang), 70), fontsize=11, loc="left")
    if chart.unit:
        ax.set_ylabel(unit_text(chart.unit, lang), fontsize=9)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return fig


def marker_text(m: Marker, percent: bool, lang: str) -> str:
    """The goal of a marker as the plan states it: ``>= 3.00%``, ``<= -14.00% vs 2020``,
    ``>= +1.00 pp/yr``, ``>= 12.00%/yr``."""
    lo, hi = m.goal
    kind = TARGET_KINDS.get(m.kind)
    units = kind.goal_units if kind is not None else "value"
    suffix = kind.goal_suffix if kind is not None else ""
    pct = percent if units == "value" else units == "percent"
    text = goal_text(lo, hi, (), lang, pct=pct, pp=units == "pp")
    if suffix == "per_year":
        return text + word("per_year", lang)
    if suffix == "every_year":
        return text + " " + word("every_year", lang)
    if suffix == "vs_year":
        return text + " " + word("vs_year", lang, year=m.start)
    return text


def cluster_figure(bars: ClusterBars, lang: str) -> Figure:
    """Horizontal bars of cluster output in ``bars.year`` (median, p5-p95 whiskers), the base
    year as a tick, and the plan thresholds as vertical lines."""
    order = np.argsort(bars.median)
    n = len(order)
    fig = _new_figure(7.2, 1.4 + 0.28 * n)
    ax = fig.add_subplot()
    yy = np.arange(n)
    med = bars.median[order]
    ax.barh(
        yy, med, color=LINE, alpha=0.8, height=0.65, label=word("in_year", lang, year=bars.year)
    )
    if bars.samples > 1:
        lo = med - bars.p5[order]
        hi = bars.p95[order] - med
        ax.errorbar(
            med, yy, xerr=np.vstack([lo, hi]), fmt="none", ecolor="#333333", lw=0.8, capsize=2
        )
    ax.plot(
        bars.base[order],
        yy,
        ls="",
        marker="|",
        ms=12,
        mew=2,
        color="#e69500",
        label=f"{word('base_year', lang)} {bars.base_year}",
    )
    ax.set_yticks(yy, [wrap(bars.labels[i].text(lang), 34) for i in order], fontsize=8)
    for t in bars.thresholds:
        count = int(np.sum(bars.median >= t))
        ax.axvline(t, color=MISSED, lw=1, ls="--", alpha=0.8)
        ax.annotate(
            word("threshold", lang, value=num(t), count=count),
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color=MISSED,
        )
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(unit_text(bars.unit, lang), fontsize=9)
    ax.set_ylim(-0.7, n - 0.3 + 0.6)
    ax.set_title(wrap(word("thresholds_title", lang, year=bars.year), 80), fontsize=11, loc="left")
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    return fig


def probability_figure(data: ReportData, lang: str) -> Figure:
    """Horizontal bars: the share of sweep samples meeting each target."""
    assert data.sweep is not None
    labels = {r.id: r.label for r in data.targets}
    items = sorted(data.sweep.probability.items(), key=lambda kv: kv[1])
    n = len(items)
    fig = _new_figure(7.2, 1.2 + 0.26 * n)
    ax = fig.add_subplot()
    yy = np.arange(n)
    ps = np.array([p for _, p in items])
    colors = [MET if p >= 0.5 else MISSED for p in ps]
    ax.barh(yy, ps, color=colors, alpha=0.8, height=0.65)
    for y, p in zip(yy, ps, strict=True):
        ax.annotate(
            f"{p:.0%}", (p, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
        )
    names = [wrap(labels.get(t, Bi(t, t)).text(lang), 40) for t, _ in items]
    ax.set_yticks(yy, names, fontsize=7)
    ax.axvline(0.5, color=NEUTRAL, lw=0.8, ls=":")
    ax.set_xlim(0, 1.08)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(word("sweep_probabilities", lang), fontsize=11, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def sensitivity_figure(
    title: Bi, entries: Sequence[tuple[str, float, float | None]], lang: str, top: int = 10
) -> Figure:
    """Grouped bars of first-order (S1) and total (ST) Sobol indices of the largest parameters."""
    rows = list(entries[:top])[::-1]
    n = len(rows)
    fig = _new_figure(7.2, 1.3 + 0.36 * n)
    ax = fig.add_subplot()
    yy = np.arange(n)
    s1 = np.array([e[1] for e in rows])
    st = np.array([e[2] if e[2] is not None else np.nan for e in rows])
    ax.barh(yy + 0.18, s1, height=0.36, color=LINE, label=word("first_order", lang))
    if np.any(np.isfinite(st)):
        ax.barh(yy - 0.18, st, height=0.36, color="#e69500", label=word("total_order", lang))
    ax.set_yticks(yy, [wrap(e[0], 48) for e in rows], fontsize=7)
    ax.set_xlim(0, max(1.0, float(np.nanmax(np.r_[s1, st, 0.0])) * 1.05))
    ax.set_title(
        wrap(f"{word('sensitivity', lang)}: {title.text(lang)}", 70), fontsize=10, loc="left"
    )
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _draw_trajectory(chart: TrajectoryChart, lang: str) -> Figure:
    return trajectory_figure(chart, lang)


def _draw_sensitivity(
    title: Bi, entries: Sequence[tuple[str, float, float | None]], lang: str
) -> Figure:
    return sensitivity_figure(title, entries, lang)


def charts_of(data: ReportData) -> list[Chart]:
    """Every chart of a report, in report order: trajectories, clusters, sweep."""
    out: list[Chart] = [
        Chart(c.key, c.title, functools.partial(_draw_trajectory, c)) for c in data.charts
    ]
    if data.clusters is not None:
        bars = data.clusters
        out.append(
            Chart(
                bars.key,
                Bi(
                    word("thresholds_title", "zh", year=bars.year),
                    word("thresholds_title", "en", year=bars.year),
                ),
                lambda lang: cluster_figure(bars, lang),
            )
        )
    if data.sweep is not None:
        sweep = data.sweep
        if sweep.probability:
            out.append(
                Chart(
                    "sweep-probability",
                    Bi(word("sweep_probabilities", "zh"), word("sweep_probabilities", "en")),
                    lambda lang: probability_figure(data, lang),
                )
            )
        labels = {r.id: r.label for r in data.targets}
        for tid, entries in sweep.sensitivity.items():
            title = labels.get(tid, bi(sweep.labels.get(tid), tid))
            out.append(
                Chart(
                    f"sweep-sensitivity-{tid}",
                    Bi(word("sensitivity", "zh"), word("sensitivity", "en"))
                    + Bi("：", ": ")
                    + title,
                    functools.partial(_draw_sensitivity, title, entries),
                )
            )
    return out


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """``fig`` as PNG (``PNG_DPI``) or SVG bytes (text as paths, no date: reproducible)."""
    import matplotlib

    from clustersim.report.fonts import matplotlib_rc

    buf = io.BytesIO()
    with matplotlib.rc_context(cast(Any, matplotlib_rc())):
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        elif fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
        else:
            raise ClusterSimError(f"unknown chart format {fmt!r}; choose from png, svg")
    return buf.getvalue()


def render(chart: Chart, lang: str, formats: Sequence[str]) -> dict[str, bytes]:
    """Draw ``chart`` once and encode it in each of ``formats``."""
    import matplotlib

    from clustersim.report.fonts import matplotlib_rc

    with matplotlib.rc_context(cast(Any, matplotlib_rc())):
        fig = chart.draw(lang)
        return {fmt: figure_bytes(fig, fmt) for fmt in formats}


def iter_rendered(
    data: ReportData, lang: str, formats: Sequence[str], progress: Progress | None = None
) -> Iterator[tuple[Chart, dict[str, bytes]]]:
    """Draw every chart of ``data``; call ``progress(done, total, key)`` after each."""
    charts = charts_of(data)
    for i, chart in enumerate(charts):
        yield chart, render(chart, lang, formats)
        if progress is not None:
            progress(i + 1, len(charts), chart.key)


def write_charts(
    data: ReportData,
    out_dir: str | Path,
    *,
    lang: str = "en",
    formats: Sequence[str] = CHART_FORMATS,
    progress: Progress | None = None,
) -> list[Path]:
    """Write every chart of ``data`` into ``out_dir`` as ``<key>.<fmt>``, atomically.

    Each file is first written to a temporary name in ``out_dir``; only when every chart
    is drawn are they renamed into place, so an error leaves no partial or stale mix.
    """
    bad = [f for f in formats if f not in CHART_FORMATS]
    if bad:
        raise ClusterSimError(f"--format: {bad[0]!r} is not one of {', '.join(CHART_FORMATS)}")
    out = Path(out_dir)
    finals: list[Path] = []
    with staged_files(out) as new:
        for chart, encoded in iter_rendered(data, lang, formats, progress):
            for fmt, blob in encoded.items():
                new(f"{chart.key}.{fmt}").write_bytes(blob)
                finals.append(out / f"{chart.key}.{fmt}")
    return finals
