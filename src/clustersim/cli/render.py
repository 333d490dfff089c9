"""Rich tables the commands print: a run's targets and key series, the benchmark.

Numbers, goals and required growth are formatted as the reports format them
(:mod:`clustersim.report.fmt`), and every word comes from :mod:`clustersim.i18n`, so the
terminal, the HTML report and the workbook read alike in either language.

A run's two tables are built as :class:`~clustersim.cli.plain.Sheet` values
(:func:`target_sheet`, :func:`series_sheet`): rich draws them on a terminal
(:func:`target_table`, :func:`series_table`), and off one :func:`print_sheet` writes the same
bytes without importing rich's console (:mod:`clustersim.cli.plain`).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from clustersim.cli._common import out
from clustersim.cli.plain import Sheet, draw, line, plain_console
from clustersim.grid import Grid, Parts
from clustersim.i18n import series_label, word
from clustersim.report.fmt import goal_text, is_percent, is_pp, num, required_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from clustersim.results import Result, TargetResult

__all__ = [
    "STATUS_STYLE",
    "bench_table",
    "grid_table",
    "joint_lines",
    "mode_line",
    "print_line",
    "print_parts",
    "print_sheet",
    "series_sheet",
    "series_table",
    "summary_line",
    "target_sheet",
    "target_table",
]

#: the colour of each status in the terminal
STATUS_STYLE = {
    "met": "green",
    "likely": "green",
    "uncertain": "yellow",
    "unlikely": "red",
    "missed": "red",
}

#: the key-series table shows at most this many years (always the first and the last)
SERIES_YEARS = 9


def _goal_text(t: TargetResult, pct: bool, pp: bool, lang: str) -> str:
    tiers = [(x.threshold, x.at_least) for x in t.tiers]
    return goal_text(t.bound.lo, t.bound.hi, tiers, lang, pct=pct, pp=pp, strict=t.bound.strict)


def target_table(result: Result, lang: str = "en") -> Table:
    """One row per target: year, status, value, goal, margin, P(met) and p5-p95 (Monte
    Carlo runs), required growth."""
    return target_sheet(result, lang).to_rich()


def target_sheet(result: Result, lang: str = "en") -> Sheet:
    """:func:`target_table` as plain cells (each status with its colour)."""
    from clustersim.values.names import label_text

    mc = result.samples > 1
    title = f"{result.scenario_id}: {result.base_year}-{result.end_year}" + (
        word("run_title_samples", lang, samples=result.samples, seed=result.seed) if mc else ""
    )
    comp = result.compiled
    if mc and comp is not None and comp.shocked:
        shared = comp.scenario.shocks
        title += word(
            "run_title_shocks",
            lang,
            growths=len(comp.shocked),
            factors=len(shared.factors) if shared else 0,
            correlations=len(shared.correlations) if shared else 0,
        )
    tbl = Sheet(title)
    for col in (
        word("target", lang),
        word("year", lang),
        word("status", lang),
        word("value_median_terminal" if mc else "value_terminal", lang),
        word("goal", lang),
        word("margin", lang),
        *((word("probability", lang), word("p5_p95_terminal", lang)) if mc else ()),
        word("required", lang),
    ):
        tbl.add_column(col, overflow="fold")
    for t in result.targets:
        pp = is_pp(t.kind)
        value = t.median_value  # a median of the samples: computed once
        pct = is_percent(t.kind, t.goal, value)
        status = t.status
        style = STATUS_STYLE[status]
        name = label_text(t.label, lang, t.id)
        if t.strength is not None:  # 力争 / 确保 beside the label
            name += f" [{word(t.strength, lang)}]"
        mark = result.audit.marker(t.id) if result.audit is not None else None
        if mark is not None:  # fixed by the scenario's own assumptions: validate --audit
            name += f" [{word(f'audit_marker_{mark}', lang)}]"
        row = [
            name,
            str(t.year),
            word(status, lang),
            num(value, pct, pp),
            _goal_text(t, pct, pp, lang),
            num(t.median_margin, pct, pp),
        ]
        if mc:
            p = t.percentiles()
            row += [f"{t.probability:.1%}", f"{num(p['p5'], pct, pp)} – {num(p['p95'], pct, pp)}"]
        levers = t.required_levers or ([t.required_growth] if t.required_growth else [])
        row.append("; ".join(required_text(r, lang) for r in levers) or "-")
        tbl.add_row(*row, styles={2: style})
    return tbl


def mode_line(result: Result, lang: str = "en") -> str:
    """What kind of run this was, first thing above the table: Monte Carlo (samples, seed,
    the status rule), the central path, or deterministic."""
    mode = result.mode
    if mode == "monte_carlo":
        text = word("mode_monte_carlo", lang, samples=result.samples, seed=result.seed)
        rule = result.rule
        sep = "；" if lang == "zh" else "; "
        if rule is None:
            return text + sep + word("mode_median_rule", lang)
        return text + sep + word("mode_rule", lang, likely=rule.likely, unlikely=rule.unlikely)
    if mode == "central":
        return word("mode_central", lang, uncertain=result.uncertain)
    return word("mode_deterministic", lang)


def summary_line(result: Result, lang: str = "en") -> str:
    """The last line: targets met, or likely / uncertain / unlikely under a status rule."""
    n = len(result.targets)
    if result.rule is not None:
        counts = {s: sum(t.status == s for t in result.targets) for s in STATUS_STYLE}
        return word(
            "run_targets_likely",
            lang,
            n=n,
            likely=counts["likely"],
            uncertain=counts["uncertain"],
            unlikely=counts["unlikely"],
        )
    return word("run_targets_met", lang, met=sum(t.status == "met" for t in result.targets), n=n)


def joint_lines(result: Result, lang: str = "en") -> list[str]:
    """One line per joint goal (P(all met)) and per strength (targets met), for after the
    target table; empty when the scenario uses neither."""
    out = [
        word(
            "joint_line",
            lang,
            id=jid,
            targets=", ".join(j["targets"]),
            probability=f"{j['probability']:.1%}",
        )
        for jid, j in result.joint().items()
    ]
    line = "strength_line" if result.rule is None else "strength_line_likely"
    out += [
        word(line, lang, strength=word(s, lang), met=c["met"], n=c["targets"])
        for s, c in result.strength_counts().items()
    ]
    return out


def series_table(result: Result, lang: str = "en") -> Table:
    """The region series (medians for Monte Carlo runs) in at most :data:`SERIES_YEARS`
    evenly spaced years."""
    return series_sheet(result, lang).to_rich()


def series_sheet(result: Result, lang: str = "en") -> Sheet:
    """:func:`series_table` as plain cells."""
    import numpy as np

    from clustersim.results import median as median_of

    years = [int(y) for y in result.years]
    if len(years) > SERIES_YEARS:
        step = math.ceil((len(years) - 1) / (SERIES_YEARS - 1))
        years = sorted({*years[::step], years[-1]})
    median = word("median_suffix", lang) if result.samples > 1 else ""
    tbl = Sheet(word("key_series", lang) + median)
    tbl.add_column(word("series", lang))
    scenario = result.compiled.scenario if result.compiled is not None else None
    for y in years:
        tbl.add_column(str(y), justify="right")
    for name, arr in result.region_series().items():
        if name.endswith("_flow"):
            continue
        med = median_of(arr, axis=0)
        pct = name.endswith(("intensity", "share")) and float(np.nanmax(np.abs(med))) < 1.5
        # series keep their ids in English: they are what a user types in expressions
        shown = series_label(name, scenario).zh if lang == "zh" else name
        tbl.add_row(shown, *(num(float(med[y - result.base_year]), pct) for y in years))
    return tbl


def print_sheet(sheet: Sheet) -> None:
    """``sheet`` on standard output (:data:`clustersim.cli._common.out`): as plain text
    when that console prints no colour 160 columns wide
    (:func:`clustersim.cli.plain.plain_console`), else drawn by rich."""
    text = draw(sheet) if plain_console() else None
    if text is None:
        out.print(sheet.to_rich())
    else:
        _write(text)


def print_line(text: str) -> None:
    """A line of plain text (no markup) on standard output, as :func:`print_sheet` prints."""
    plain = line(text) if plain_console() else None
    if plain is None:
        from rich.markup import escape

        out.print(escape(text))
    else:
        _write(plain)


def _write(text: str) -> None:
    """Write and flush, as rich's console does after each print (lines keep their order
    beside standard error's in ``2>&1``)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def bench_table(doc: dict[str, Any], lang: str = "en") -> Table:
    """The workloads of a ``bench`` document: rate, peak memory, normalised figure."""
    from rich.table import Table

    ref = doc["reference"]["elements_per_s"]
    tbl = Table(title=word("bench_reference", lang, rate=ref / 1e6), header_style="bold")
    for col in ("bench_workload", "bench_engine", "bench_rate", "bench_peak", "bench_normalised"):
        left = col in ("bench_workload", "bench_engine")
        tbl.add_column(word(col, lang), justify="left" if left else "right")
    for w in doc["workloads"]:
        tbl.add_row(
            w["name"],
            w["engine"],
            f"{w['cluster_years_per_s'] / 1e6:,.1f}",
            f"{w['peak_mb']:,.1f}",
            f"{w['normalised']:.4f}",
        )
    return tbl


def grid_table(grid: Grid) -> Table:
    """A :class:`~clustersim.grid.Grid` (calibration, backtest, sweep summary) as a rich
    table in the look of every other table of the command line."""
    from rich.markup import escape
    from rich.table import Table

    tbl = Table(title=grid.title, header_style="bold")
    for i, head in enumerate(grid.headers):
        tbl.add_column(escape(head), justify="right" if grid.justify(i) == "right" else "left")
    for row in grid.rows:
        tbl.add_row(*(escape(c) for c in row))
    return tbl


def print_parts(console: Console, parts: Parts) -> None:
    """Print lines as text and grids as tables, in order."""
    for part in parts:
        if isinstance(part, Grid):
            console.print(grid_table(part))
        else:
            console.print(part, markup=False, highlight=False, soft_wrap=True)
