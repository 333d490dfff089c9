"""Backtests: how wrong would a calibrated projection have been?

``backtest(data, scenario, until)`` fits each observed series of the scenario on the years
up to ``until`` exactly as :func:`clustersim.analysis.calibration.calibrate` does, projects it from
its last fitted observation (the *anchor*) to the later observed years, and compares:

- **calibrated**: the fitted growth (central values), projected with clustersim's own
  engine on a one-series scenario (``clustersim.run``); with ``samples > 1`` the same
  scenario is run in Monte Carlo with the fit's distributions, giving 50% (p25-p75) and 80%
  (p10-p90) intervals;
- **naive**: the last observed growth (between the last two observations up to ``until``)
  carried forward;
- **plan**: the growth the scenario itself implies for the series (its central projection's
  rate in each year of its horizon, its compound annual rate outside it).

Errors are ``projected / observed - 1``; the mean absolute percentage error (MAPE) is the
mean of ``|error|`` over every compared (series, year). Observations from a structural
break after ``until`` on are excluded (they measure another scope).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.analysis.calibration import SeriesFit, fit_name, fit_series, flag_text
from clustersim.analysis.fits import CompoundFit, ElasticityFit, fit_loglinear
from clustersim.analysis.fragments import growth_block
from clustersim.analysis.matching import Matched, fit_window, match
from clustersim.analysis.observed import AnnualValue, DataError, ObservedData, load_observed
from clustersim.analysis.options import Options
from clustersim.analysis.series import SeriesSpec, scenario_series
from clustersim.analysis.text import level_text, years_text
from clustersim.errors import ClusterSimError
from clustersim.grid import Grid, Parts
from clustersim.i18n import word

if TYPE_CHECKING:
    from clustersim.results import Result

__all__ = ["METHODS", "Backtest", "Record", "SeriesBacktest", "backtest"]

#: the projections compared
METHODS = ("calibrated", "naive", "plan")
#: Monte Carlo intervals reported: name -> (lower, upper) percentile
INTERVALS = {"50": (25.0, 75.0), "80": (10.0, 90.0)}


@dataclass(frozen=True)
class Record:
    """One observed value after ``until`` and its projections.

    Attributes
    ----------
    series : str
    year : int
    observed : float
    projected : dict of method to float or None
        ``calibrated``, ``naive`` and ``plan`` (None when the plan gives no growth).
    intervals : dict of "50"/"80" to (low, high)
        Monte Carlo intervals of the calibrated projection (empty for one sample).
    lines : tuple of int
        File lines of the observation.
    """

    series: str
    year: int
    observed: float
    projected: dict[str, float | None]
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    lines: tuple[int, ...] = ()

    def error(self, method: str) -> float | None:
        """``projected / observed - 1`` for ``method``."""
        p = self.projected.get(method)
        return None if p is None else p / self.observed - 1.0

    def inside(self, level: str) -> bool | None:
        iv = self.intervals.get(level)
        return None if iv is None else iv[0] <= self.observed <= iv[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "year": self.year,
            "observed": self.observed,
            "projected": dict(self.projected),
            "error": {m: self.error(m) for m in METHODS},
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "inside": {k: self.inside(k) for k in self.intervals},
            "lines": list(self.lines),
        }


@dataclass
class SeriesBacktest:
    """The backtest of one series."""

    fit: SeriesFit
    anchor: AnnualValue
    naive_rate: float
    plan_rate: float | None
    records: list[Record]
    excluded: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.fit.spec.name

    def mape(self, method: str) -> float | None:
        return _mape(self.records, method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.name,
            "fit": self.fit.to_dict(),
            "anchor": {"year": self.anchor.year, "value": self.anchor.value},
            "naive_rate": self.naive_rate,
            "plan_rate": self.plan_rate,
            "mape": {m: self.mape(m) for m in METHODS},
            "excluded": [{"year": y, "reason": r} for y, r in self.excluded],
            "notes": list(self.notes),
        }


def _mape(records: Sequence[Record], method: str) -> float | None:
    errs = [e for r in records if (e := r.error(method)) is not None]
    return float(np.mean(np.abs(errs))) if errs else None


@dataclass
class Backtest:
    """The result of :func:`backtest`."""

    scenario_path: str
    data_path: str
    region: str
    until: int
    samples: int
    seed: int | None
    series: list[SeriesBacktest]
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return [r for s in self.series for r in s.records]

    def mape(self, method: str) -> float | None:
        """Mean absolute percentage error of ``method`` over every compared observation."""
        return _mape(self.records, method)

    def coverage(self, level: str) -> float | None:
        """Share of observations inside the Monte Carlo ``level`` ("50" or "80") interval."""
        inside = [x for r in self.records if (x := r.inside(level)) is not None]
        return float(np.mean(inside)) if inside else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``clustersim backtest --json``."""
        return {
            "scenario": self.scenario_path,
            "data": self.data_path,
            "region": self.region,
            "until": self.until,
            "samples": self.samples,
            "seed": self.seed,
            "n": len(self.records),
            "mape": {m: self.mape(m) for m in METHODS},
            "coverage": {k: self.coverage(k) for k in INTERVALS} if self.samples > 1 else None,
            "series": [s.to_dict() for s in self.series],
            "records": [r.to_dict() for r in self.records],
            "skipped": list(self.skipped),
            "notes": list(self.notes),
        }

    def parts(self, lang: str = "en") -> Parts:
        """Readable report: the fits, one row per compared observation, the summary (lines
        and tables, which the command line draws), in ``lang``."""
        years = sorted({r.year for r in self.records})
        head = word(
            "bt_head",
            lang,
            scenario=self.scenario_path,
            data=self.data_path,
            region=self.region,
            until=self.until,
            years=years_text(years),
        ) + (
            word("bt_head_mc", lang, samples=f"{self.samples:,}", seed=self.seed)
            if self.samples > 1
            else ""
        )
        fits = Grid(
            (
                word("cal_col_series", lang),
                word("cal_col_fit", lang),
                word("bt_col_fitted_on", lang),
                "n",
                word("cal_col_rate", lang),
                word("cal_col_se", lang),
                word("bt_col_anchor", lang),
                word("bt_col_naive_rate", lang),
                word("bt_col_plan_rate", lang),
            ),
            tuple(
                (
                    s.name,
                    fit_name(s.fit.fit.kind, lang),
                    s.fit.years_text,
                    str(s.fit.fit.n),
                    s.fit.rate_text(),
                    s.fit.se_text(),
                    f"{level_text(s.anchor.value)} ({s.anchor.year})",
                    f"{s.naive_rate * 100:+.2f}%/yr",
                    "-" if s.plan_rate is None else f"{s.plan_rate * 100:+.2f}%/yr",
                )
                for s in self.series
            ),
            "lllrrrrrr",
        )
        mc = self.samples > 1
        cols = [word("cal_col_series", lang), word("bt_col_year", lang), word("bt_col_observed", lang)]
        for m in METHODS:
            cols += [word(f"bt_method_{m}", lang), word("bt_col_error", lang)]
        if mc:
            cols += [word("bt_col_in", lang, k=k) for k in INTERVALS]
        rows = []
        for r in self.records:
            row = [r.series, str(r.year), level_text(r.observed)]
            for m in METHODS:
                p, e = r.projected.get(m), r.error(m)
                row += [
                    "-" if p is None else level_text(p),
                    "-" if e is None else f"{e * 100:+.1f}%",
                ]
            if mc:
                row += [_yes(r.inside("50"), lang), _yes(r.inside("80"), lang)]
            rows.append(row)
        table = Grid(
            tuple(cols), tuple(tuple(r) for r in rows), "llr" + "rr" * len(METHODS) + "ll" * mc
        )
        n = len(self.records)
        sep = word("bt_list_sep", lang)

        def mapes(of: SeriesBacktest | Backtest) -> str:
            return sep.join(
                f"{word(f'bt_method_{m}', lang)} {_pct(of.mape(m))}"
                for m in METHODS
                if of.mape(m) is not None
            )

        lines: Parts = [head, fits, table]
        lines.append(word(
                "bt_mape",
                lang,
                obs=word("bt_observations" if n != 1 else "bt_observation", lang, n=n),
                parts=mapes(self),
            ))
        if len(self.series) > 1:
            for s in self.series:
                lines.append(f"  {s.name}: " + mapes(s))
        if mc:
            cov = []
            for k in INTERVALS:
                inside = sum(bool(r.inside(k)) for r in self.records)
                cov.append(
                    word("bt_interval", lang, k=k, inside=inside, n=n, pct=_pct(self.coverage(k)))
                )
            lines.append(word("bt_coverage", lang, parts=sep.join(cov)))
        for s in self.series:
            for y, why in s.excluded:
                lines.append(
                    word("bt_excluded", lang, name=s.name, year=y, why=flag_text(why, lang))
                )
            for flag in s.fit.flags:
                lines.append(word("cal_flag", lang, name=s.name, flag=flag_text(flag, lang)))
            for note in s.notes:
                lines.append(
                    word("cal_note", lang, note=f"{s.name}: {flag_text(note, lang)}")
                )
        lines.extend(word("bt_skipped", lang, x=flag_text(x, lang)) for x in self.skipped)
        lines.extend(word("cal_note", lang, note=flag_text(x, lang)) for x in self.notes)
        return lines


def _yes(x: bool | None, lang: str = "en") -> str:
    return "-" if x is None else word("bt_yes" if x else "bt_no", lang)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


# --- the backtest ----------------------------------------------------------------------------------


def backtest(
    data: str | Path | ObservedData,
    scenario: str | Path,
    until: int,
    *,
    samples: int = 1,
    seed: int | None = None,
    options: Options | None = None,
) -> Backtest:
    """Calibrate on observations up to ``until``, project past it, compare with what was observed.

    Parameters
    ----------
    data : path or ObservedData
        Observed data covering years up to and after ``until``.
    scenario : path
        The scenario whose series are backtested (and whose own growth is the "plan").
    until : int
        Last year used for fitting.
    samples : int
        Monte Carlo samples for the intervals (1: none).
    seed : int, optional
        Root seed of the Monte Carlo draws (a fresh one is chosen and reported if None).
    options : Options, optional
        As for :func:`~clustersim.analysis.calibration.calibrate` (its ``until`` is ignored).

    Returns
    -------
    Backtest

    Raises
    ------
    DataError
        Bad data, or no series with at least two observations up to ``until`` and one after.
    """
    from clustersim.engine import run
    from clustersim.scenario.loader import load_scenario

    if samples < 1:
        raise ClusterSimError(f"--samples must be >= 1, got {samples}")
    opts = dataclasses.replace(options or Options(), until=None)
    obs = data if isinstance(data, ObservedData) else load_observed(data, extra_units=opts.units)
    sc = load_scenario(scenario)
    region, matched, notes = match(obs, sc, opts)
    if samples > 1 and seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**31)  # type: ignore[operator]
    # a break after `until` cannot inform the fit: the fit uses the old scope, and the
    # observations from the break on are excluded from the comparison
    fit_matched = {
        n: dataclasses.replace(m, break_year=None) if (m.break_year or 0) > until else m
        for n, m in matched.items()
    }
    plan = run(sc, samples=1, required=False)
    order = [n for n in scenario_series(sc) if n in matched]
    chosen = [n for n in order if not opts.series or n in opts.series]
    out: list[SeriesBacktest] = []
    skipped: list[str] = []
    problems: list[str] = []
    for name in chosen:
        m = matched[name]
        fitted, _ = fit_window(fit_matched[name], until)
        later = [v for v in m.values if v.year > until]
        if len(fitted) < 2:
            skipped.append(f"{name}: {len(fitted)} observation(s) up to {until}; a fit needs 2")
            continue
        if not later:
            skipped.append(f"{name}: no observation after {until}")
            continue
        try:
            sf = fit_series(fit_matched[name], fit_matched, opts, until=until)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        excluded = []
        compared = []
        for v in later:
            if m.break_year is not None and m.break_year > until and v.year >= m.break_year:
                excluded.append(
                    (v.year, f"after the structural break in {m.break_year} ({m.break_from})")
                )
            else:
                compared.append(v)
        if not compared:
            skipped.append(f"{name}: every observation after {until} follows a structural break")
            continue
        try:
            out.append(
                _one(
                    sf,
                    fitted,
                    compared,
                    excluded,
                    fit_matched,
                    plan,
                    samples,
                    seed,
                    until,
                )
            )
        except ClusterSimError as exc:
            problems.extend(str(exc).splitlines())
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError(
            [f"{obs.path}: nothing to backtest up to {until}:"] + [f"  {s}" for s in skipped]
        )
    return Backtest(str(scenario), obs.path, region, until, samples, seed, out, skipped, notes)


def _one(
    sf: SeriesFit,
    fitted: list[AnnualValue],
    compared: list[AnnualValue],
    excluded: list[tuple[int, str]],
    matched: Mapping[str, Matched],
    plan: Result,
    samples: int,
    seed: int | None,
    until: int,
) -> SeriesBacktest:
    from pydantic import ValidationError

    from clustersim.engine import run
    from clustersim.scenario.models import Scenario

    anchor, prev = fitted[-1], fitted[-2]
    naive = (anchor.value / prev.value) ** (1.0 / (anchor.year - prev.year)) - 1.0
    end = max(v.year for v in compared)
    doc = _one_series_scenario(sf, anchor, end, matched, until)
    try:
        sc1 = Scenario.model_validate(doc)
    except ValidationError as exc:  # the document is built here: a bug, said so
        raise ClusterSimError(
            f"{sf.spec.name}: internal error: the one-series backtest scenario is invalid: {exc}"
        ) from exc
    central = _path(run(sc1, samples=1, required=False).series, sf.spec)[0]
    draws = (
        _path(run(sc1, samples=samples, seed=seed, required=False).series, sf.spec)
        if samples > 1
        else None
    )
    plan_rates, plan_cagr = _plan_rates(plan, sf.spec)
    records = []
    for v in compared:
        k = v.year - anchor.year
        proj: dict[str, float | None] = {
            "calibrated": float(central[k]),
            "naive": anchor.value * (1.0 + naive) ** k,
            "plan": None,
        }
        if plan_cagr is not None:
            level = anchor.value
            for s in range(anchor.year + 1, v.year + 1):
                level *= 1.0 + plan_rates.get(s, plan_cagr)
            proj["plan"] = level
        iv: dict[str, tuple[float, float]] = {}
        if draws is not None:
            col = draws[:, k]
            for name, (lo, hi) in INTERVALS.items():
                a, b = np.percentile(col, [lo, hi])
                iv[name] = (float(a), float(b))
        records.append(Record(sf.spec.name, v.year, v.value, proj, iv, v.lines))
    notes = []
    if samples > 1 and sf.fit.se is None:
        notes.append(
            f"no standard error ({sf.fit.n} points): the Monte Carlo interval has no width"
        )
    if plan_cagr is None:
        notes.append("the scenario's own path is not positive throughout: no plan projection")
    return SeriesBacktest(sf, anchor, naive, plan_cagr, records, excluded, notes)


def _path(series: Mapping[str, NDArray[np.float64]], spec: SeriesSpec) -> NDArray[np.float64]:
    """``(S, T)`` path of ``spec``'s series in a one-series run (one cluster at most)."""
    arr = np.asarray(series[spec.variable], dtype=np.float64)
    return arr[:, 0, :] if arr.ndim == 3 else arr


def _plan_rates(plan: Result, spec: SeriesSpec) -> tuple[dict[int, float], float | None]:
    """The scenario's own growth of ``spec``: rate by year, and the compound annual rate."""
    arr = np.asarray(plan.series[spec.variable], dtype=np.float64)
    x = arr[0, plan.clusters.index(spec.cluster or ""), :] if arr.ndim == 3 else arr[0]
    if len(x) < 2 or not np.all(x > 0):
        return {}, None
    years = [int(y) for y in plan.years]
    rates = {years[i]: float(x[i] / x[i - 1] - 1.0) for i in range(1, len(x))}
    cagr = float((x[-1] / x[0]) ** (1.0 / (len(x) - 1)) - 1.0)
    return rates, cagr


def _one_series_scenario(
    sf: SeriesFit,
    anchor: AnnualValue,
    end: int,
    matched: Mapping[str, Matched],
    until: int,
) -> dict[str, Any]:
    """A scenario with just the fitted series (and any series it follows), based at the anchor."""
    doc: dict[str, Any] = {
        "id": "backtest",
        "name": "backtest",
        "base_year": anchor.year,
        "end_year": max(end, anchor.year + 1),
        "region": {"gdp": {"base": 1.0}},
    }
    fit = sf.fit
    if isinstance(fit, ElasticityFit):
        # the followed series grows at its own compound trend, fitted on the same window
        dep = matched[fit.to]
        vals, _ = fit_window(dep, until)
        try:
            cf = fit_loglinear([v.year for v in vals], [v.value for v in vals])
        except ValueError as exc:
            raise DataError(
                f"{matched[fit.to].rows[0].file}: {sf.spec.name} follows {fit.to}, whose growth "
                f"up to {until} cannot be fitted: {exc}"
            ) from exc
        x0 = next((v.value for v in vals if v.year == anchor.year), 1.0)  # only its growth matters
        _place(doc, dep.spec, x0, {"kind": "constant", "rate": _rate(cf)})
    # shocks: the Monte Carlo interval carries the innovation variance, not only the rate's
    _place(doc, sf.spec, anchor.value, _bare(growth_block(sf, "", digits=17, shocks=True)))
    return doc


def _rate(cf: CompoundFit) -> Any:
    if cf.se is None or not cf.se > 0:
        return cf.rate
    return {"dist": "normal", "mean": cf.rate, "sd": cf.se}


def _bare(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k not in ("source", "note")}


def _place(doc: dict[str, Any], spec: SeriesSpec, base: float, growth: dict[str, Any]) -> None:
    """Put one series into a one-series scenario document at the place the format wants it."""
    series = {"base": base, "growth": growth}
    path = spec.path
    if path[0] == "region":
        doc["region"][path[1]] = series
        return
    if path[0] == "indicators":
        iid = path[1]
        if len(path) == 3:  # the flow of a stock
            doc.setdefault("indicators", {})[iid] = {
                "kind": "stock",
                "name": iid,
                "base": 0.0,
                "flow": series,
            }
        else:
            doc.setdefault("indicators", {})[iid] = {"kind": "level", "name": iid, **series}
        return
    cid = path[1]
    c = doc.setdefault("clusters", {}).setdefault(cid, {"name": cid, "output": {"base": 1.0}})
    var = spec.variable
    if var == "output":
        c["output"] = series
    elif var == "va_ratio":
        c["va_ratio"] = series
    elif var == "rd_own":
        c["rd"] = series
    elif var == "rd_share":
        c["rd"] = {"share_of_output": series}
    elif var == "energy_per_va":
        c.setdefault("va_ratio", {"base": 0.5})
        c["energy_per_va"] = series
    elif var == "firms":
        c["firms"] = series
    elif var == "entries":
        c["firms"] = {"base": 0.0, "entries": series}
    else:  # pragma: no cover - scenario_series() lists no other variable
        raise ClusterSimError(f"cannot backtest {spec.name}")
