"""Rolling-origin backtests of the predictive growth model on every observed series.

For each observed series (:func:`history_series`) and each *origin* (a year of the series
with at least :data:`MIN_FIT` observations up to it and one after it), the growth model of
:func:`clustersim.analysis.fits.fit_growth` is fitted on the observations up to the origin
and every later observation is forecast from the last fitted one. Compared, per series and
pooled over all (series, origin, year):

- **calibrated**: the predictive median ``x_T exp(centre)`` of the fitted model, with its
  Student-t predictive intervals (50/80/95%), PIT and a proper score;
- **naive**: the last observed growth carried forward (persistence);
- **rw_drift**: a random walk with drift, the mean annual log growth over the fitted years;
- **loglinear**: the least-squares log-linear trend rate (what calibrate wrote before the
  predictive model) applied from the last observation.

With ``ar`` shrunk to 0 (every shipped series is too short to estimate it) the calibrated
median *is* the random walk with drift: the model's contribution is its intervals.

Errors are ``forecast / observed - 1``; MAPE is the mean of ``|error|``. The proper score is
the quantile score ``2 mean_τ pinball_τ`` over τ = 0.05, 0.10, ..., 0.95 on the log level
(a discretised CRPS, in log points, i.e. roughly relative error); for a point forecast it is
the absolute log error. Everything here is deterministic: the predictive distribution is
computed analytically (no sampling).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.analysis.fits import GrowthFit, fit_growth, fit_loglinear
from clustersim.analysis.observed import ObservedData
from clustersim.grid import Grid, Parts
from clustersim.i18n import translate, word

__all__ = [
    "LEVELS",
    "METHODS",
    "MIN_FIT",
    "Forecast",
    "HistorySeries",
    "RollingBacktest",
    "history_series",
    "quantile_score",
    "rolling_backtest",
]

Array = NDArray[np.float64]
#: the point forecasts compared
METHODS = ("calibrated", "naive", "rw_drift", "loglinear")
#: central predictive intervals reported, in percent
LEVELS = (50, 80, 95)
#: observations up to an origin needed to forecast from it (two growth intervals: an sd)
MIN_FIT = 3
#: quantile levels of the proper score
TAUS: Array = np.round(np.arange(0.05, 0.951, 0.05), 10)
#: observed-data categories that are levels of a series (not rates of change)
LEVEL_CATEGORIES = frozenset(
    {
        "money",
        "count",
        "share",
        "energy",
        "energy_intensity",
        "mass",
        "containers",
        "per_capita",
        "money_per_capita",
        "index",
        "electricity",
    }
)
#: words in an indicator's name that make it a rate of change, not a level
RATE_WORDS = ("growth", "change", "增长", "增速")


@dataclass(frozen=True)
class HistorySeries:
    """One observed series: full-year positive levels of one (region, cluster, indicator).

    Attributes
    ----------
    file : str
    region, cluster, indicator : str
    years : tuple of int
    values : tuple of float
    lines : tuple of int
        File line of each value.
    segment : int
        0, or the number of structural breaks before this piece of the series.
    """

    file: str
    region: str
    cluster: str
    indicator: str
    years: tuple[int, ...]
    values: tuple[float, ...]
    lines: tuple[int, ...]
    segment: int = 0

    @property
    def name(self) -> str:
        c = f"[{self.cluster}]" if self.cluster else ""
        s = f" (from break {self.years[0]})" if self.segment else ""
        return f"{self.region}: {self.indicator}{c}{s}"


def history_series(
    data: Iterable[ObservedData], *, min_points: int = MIN_FIT + 1
) -> list[HistorySeries]:
    """Every series of ``data`` a rolling backtest can use.

    A row is used when it is a full-year value (no ``months``) in a level unit (money,
    count, share, energy, index, ...; not a rate) whose indicator does not name a rate of
    change (growth, change, 增长, 增速) and whose value is positive. Rows are grouped by
    (region, cluster, indicator); a year seen twice keeps the first row (files in the order
    given), so a series copied into two files counts once. A structural break (``break``
    column) starts a new series. Series with fewer than ``min_points`` years are dropped.
    """
    groups: dict[tuple[str, str, str], dict[int, tuple[float, int, bool, str]]] = {}
    for obs in data:
        for r in obs.rows:
            if r.months is not None or r.unit.category not in LEVEL_CATEGORIES:
                continue
            low = r.indicator.lower()
            if any(w in low for w in RATE_WORDS) or not r.value > 0:
                continue
            g = groups.setdefault((r.region, r.cluster, r.indicator), {})
            if r.year not in g:
                g[r.year] = (r.value, r.line, r.is_break, r.file)
    out: list[HistorySeries] = []
    for (region, cluster, indicator), g in groups.items():
        years = sorted(g)
        pieces: list[list[int]] = [[]]
        for y in years:
            if g[y][2] and pieces[-1]:
                pieces.append([])
            pieces[-1].append(y)
        for seg, ys in enumerate(pieces):
            if len(ys) >= min_points:
                out.append(
                    HistorySeries(
                        g[ys[0]][3],
                        region,
                        cluster,
                        indicator,
                        tuple(ys),
                        tuple(g[y][0] for y in ys),
                        tuple(g[y][1] for y in ys),
                        seg,
                    )
                )
    return out


def quantile_score(q: Array, taus: Array, y: float) -> float:
    """``2 mean_τ pinball_τ(q_τ, y)``: the discretised CRPS of quantiles ``q`` at ``taus``.

    ``pinball_τ(q, y) = (1{y < q} - τ) (q - y)``; averaged over an even grid of τ and
    doubled it approximates the CRPS (``CRPS = 2 ∫ pinball_τ dτ``). A point forecast
    (every quantile equal) scores ``2 mean(τ or 1-τ) |q - y| = |q - y|`` on a symmetric grid.
    """
    diff = q - y
    loss = ((y < q).astype(np.float64) - taus) * diff
    return float(2.0 * loss.mean())


@dataclass(frozen=True)
class Forecast:
    """One held-back observation and its forecasts from one origin.

    Attributes
    ----------
    series : str
    origin : int
        Last year used for fitting.
    year, horizon : int
    observed : float
    point : dict of method to float
        Point forecasts (the calibrated one is the predictive median).
    intervals : dict of level to (low, high)
    pit : float
        Predictive CDF at the observation.
    score : float
        Quantile score (discretised CRPS) of the calibrated distribution, log points.
    abs_log_error : dict of method to float
        ``|ln(forecast / observed)|``: the score of each point forecast.
    """

    series: str
    origin: int
    year: int
    horizon: int
    observed: float
    point: dict[str, float]
    intervals: dict[int, tuple[float, float]]
    pit: float
    score: float
    abs_log_error: dict[str, float]

    def error(self, method: str) -> float:
        return self.point[method] / self.observed - 1.0

    def inside(self, level: int) -> bool:
        lo, hi = self.intervals[level]
        return lo <= self.observed <= hi

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "origin": self.origin,
            "year": self.year,
            "horizon": self.horizon,
            "observed": self.observed,
            "point": dict(self.point),
            "error": {m: self.error(m) for m in METHODS},
            "intervals": {str(k): list(v) for k, v in self.intervals.items()},
            "pit": self.pit,
            "score": self.score,
        }


@dataclass(frozen=True)
class Summary:
    """Scores over a set of forecasts."""

    n: int
    observations: int
    mape: dict[str, float]
    coverage: dict[int, float]
    score: float
    point_score: dict[str, float]
    pit: tuple[float, ...]

    def ratio(self, method: str) -> float:
        """MAPE of the calibrated forecasts over ``method``'s."""
        return self.mape["calibrated"] / self.mape[method] if self.mape[method] > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "observations": self.observations,
            "mape": dict(self.mape),
            "mape_ratio": {m: self.ratio(m) for m in METHODS if m != "calibrated"},
            "coverage": {str(k): v for k, v in self.coverage.items()},
            "score": self.score,
            "point_score": dict(self.point_score),
            "pit": list(self.pit),
        }


def summarise(forecasts: Sequence[Forecast], *, bins: int = 10) -> Summary:
    """MAPE per method, coverage per level, mean scores and the PIT histogram (shares)."""
    n = len(forecasts)
    if n == 0:
        raise ValueError("no forecasts to summarise")
    mape = {m: float(np.mean([abs(f.error(m)) for f in forecasts])) for m in METHODS}
    cov = {lv: float(np.mean([f.inside(lv) for f in forecasts])) for lv in LEVELS}
    score = float(np.mean([f.score for f in forecasts]))
    ps = {m: float(np.mean([f.abs_log_error[m] for f in forecasts])) for m in METHODS}
    pits = np.array([f.pit for f in forecasts])
    hist, _ = np.histogram(pits, bins=bins, range=(0.0, 1.0))
    obs = len({(f.series, f.year) for f in forecasts})
    return Summary(n, obs, mape, cov, score, ps, tuple(float(h) / n for h in hist))


@dataclass
class SeriesResult:
    series: HistorySeries
    forecasts: list[Forecast]
    fits: dict[int, GrowthFit]

    @property
    def summary(self) -> Summary:
        return summarise(self.forecasts)


@dataclass
class RollingBacktest:
    """The result of :func:`rolling_backtest`."""

    data: tuple[str, ...]
    series: list[SeriesResult]
    skipped: list[str] = field(default_factory=list)

    @property
    def forecasts(self) -> list[Forecast]:
        return [f for s in self.series for f in s.forecasts]

    @property
    def pooled(self) -> Summary:
        return summarise(self.forecasts)

    def table_rows(self, lang: str = "en") -> tuple[list[str], list[list[str]]]:
        """Header and rows: one row per series, then the pooled row."""
        head = [
            word("series", lang),
            word("rb_n", lang),
            word("rb_mape", lang),
            word("rb_mape_naive", lang),
            word("rb_ratio_naive", lang),
            word("rb_ratio_rw", lang),
            *(word("rb_cover", lang, level=lv) for lv in LEVELS),
            word("rb_score", lang),
            word("rb_score_naive", lang),
        ]

        def row(name: str, sm: Summary) -> list[str]:
            return [
                name,
                str(sm.n),
                f"{sm.mape['calibrated']:.1%}",
                f"{sm.mape['naive']:.1%}",
                f"{sm.ratio('naive'):.2f}",
                f"{sm.ratio('rw_drift'):.2f}",
                *(f"{sm.coverage[lv]:.0%}" for lv in LEVELS),
                f"{sm.score:.4f}",
                f"{sm.point_score['naive']:.4f}",
            ]

        rows = [row(s.series.name, s.summary) for s in self.series]
        rows.append(row(word("rb_pooled", lang), self.pooled))
        return head, rows

    def title(self, lang: str = "en") -> str:
        p = self.pooled
        return word(
            "rb_title",
            lang,
            files=", ".join(self.data),
            series=len(self.series),
            n=p.n,
            obs=p.observations,
        )

    def parts(self, lang: str = "en") -> Parts:
        """The terminal report: title, table, PIT histogram, method, skipped series (lines
        and a table, which the command line draws)."""
        head, rows = self.table_rows(lang)
        pit = " ".join(f"{x:.0%}" for x in self.pooled.pit)
        lines: Parts = [
            self.title(lang),
            Grid(tuple(head), tuple(tuple(r) for r in rows), "l" + "r" * (len(head) - 1)),
            f"{word('rb_pit', lang)}: {pit}",
            word("rb_method", lang, min_fit=MIN_FIT),
        ]
        lines += [
            word("rb_skipped", lang, what=translate(x) if lang == "zh" else x) for x in self.skipped
        ]
        return lines

    def markdown(self, lang: str = "en") -> str:
        """The table as GitHub Markdown (the README's)."""
        head, rows = self.table_rows(lang)
        out = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": list(self.data),
            "method": {
                "model": "log growth = mean + AR(1) deviation + annual innovation (ar shrunk "
                "to 0 with fewer than 8 consecutive annual pairs); Student-t predictive with "
                "innovation variance and the mean's standard error",
                "min_fit": MIN_FIT,
                "levels": list(LEVELS),
            },
            "pooled": self.pooled.to_dict(),
            "series": [
                {
                    "series": s.series.name,
                    "file": s.series.file,
                    "years": list(s.series.years),
                    "summary": s.summary.to_dict(),
                }
                for s in self.series
            ],
            "forecasts": [f.to_dict() for f in self.forecasts],
            "skipped": list(self.skipped),
        }


def _t_ppf(p: Array, df: int) -> Array:
    from scipy.stats import t as student

    out: Array = np.asarray(student.ppf(p, df), dtype=np.float64)
    return out


def _t_cdf(z: float, df: int) -> float:
    from scipy.stats import t as student

    return float(student.cdf(z, df))


def forecast_series(hs: HistorySeries, *, min_fit: int = MIN_FIT) -> SeriesResult:
    """Every rolling-origin forecast of one series (see the module docstring)."""
    years = np.asarray(hs.years, dtype=np.int64)
    vals = np.asarray(hs.values, dtype=np.float64)
    out: list[Forecast] = []
    fits: dict[int, GrowthFit] = {}
    levels = np.array(LEVELS, dtype=np.float64) / 100.0
    probs = np.concatenate([(1.0 - levels) / 2.0, (1.0 + levels) / 2.0])
    for j in range(min_fit, len(years)):
        fy, fv = years[:j], vals[:j]
        fit = fit_growth(fy, fv)
        if fit.sd is None:  # pragma: no cover - min_fit >= 3 gives an sd
            continue
        fits[int(fy[-1])] = fit
        anchor_y, anchor_x = int(fy[-1]), float(fv[-1])
        span = int(fy[-1] - fy[-2])
        naive = math.log(fv[-1] / fv[-2]) / span
        loglin = fit_loglinear(fy, fv).slope
        later = years[j:]
        h = later - anchor_y
        centre, scale, df = fit.predictive(h)
        zq = _t_ppf(probs, df)
        ztau = _t_ppf(TAUS, df)
        for i, (yr, hi) in enumerate(zip(later, h, strict=True)):
            obs = float(vals[j + i])
            c, s = float(centre[i]), float(scale[i])
            lx = math.log(anchor_x)
            q = lx + c + s * zq
            k = len(LEVELS)
            iv = {lv: (math.exp(q[n]), math.exp(q[k + n])) for n, lv in enumerate(LEVELS)}
            ly = math.log(obs)
            logs = {
                "calibrated": lx + c,
                "naive": lx + naive * hi,
                "rw_drift": lx + fit.mu * hi,
                "loglinear": lx + loglin * hi,
            }
            out.append(
                Forecast(
                    hs.name,
                    anchor_y,
                    int(yr),
                    int(hi),
                    obs,
                    {m: math.exp(v) for m, v in logs.items()},
                    iv,
                    _t_cdf((ly - lx - c) / s, df),
                    quantile_score(lx + c + s * ztau, TAUS, ly),
                    {m: abs(v - ly) for m, v in logs.items()},
                )
            )
    return SeriesResult(hs, out, fits)


def rolling_backtest(data: Sequence[ObservedData], *, min_fit: int = MIN_FIT) -> RollingBacktest:
    """Rolling-origin backtest of every usable series of ``data`` (see the module docstring).

    Raises
    ------
    ValueError
        No series has ``min_fit + 1`` usable observations.
    """
    if min_fit < MIN_FIT:
        raise ValueError(f"min_fit must be >= {MIN_FIT} (an innovation sd needs two intervals)")
    results: list[SeriesResult] = []
    skipped: list[str] = []
    for hs in history_series(data, min_points=2):
        if len(hs.years) <= min_fit:
            skipped.append(f"{hs.file}: {hs.name}: {len(hs.years)} usable years")
            continue
        results.append(forecast_series(hs, min_fit=min_fit))
    if not results:
        raise ValueError(f"no series has {min_fit + 1} usable full-year observations")
    return RollingBacktest(tuple(d.path for d in data), results, skipped)
