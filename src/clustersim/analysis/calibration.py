"""Calibrate a scenario's growth assumptions on observed history.

For each series of a scenario that observed data cover (:mod:`~clustersim.analysis.matching`),
fit its growth assumption (:mod:`~clustersim.analysis.fits`):

- **compound** growth (the scenario's ``constant``, ``path``, ``linear``, ``to_target``):
  a log-linear fit (:func:`~clustersim.analysis.fits.fit_loglinear`);
- **logistic** growth: a logistic fit of capacity and rate
  (:func:`~clustersim.analysis.fits.fit_logistic`);
- **elasticity** ``g = e G`` to another series: growth on growth through the origin
  (:func:`~clustersim.analysis.fits.fit_elasticity`).

Partial-year values are annualised first (:func:`clustersim.analysis.observed.annualise`), a
structural break (``break`` column, a ``--break`` option or a mapping file) starts the fit
at the break year, and suspicious jumps or outliers are flagged, never silently used. The
result, a :class:`Calibration`, keeps what a fragment's provenance needs (data file and hash,
rows and years used, fit statistics, annualisation and flags);
:mod:`~clustersim.analysis.fragments` writes it as a scenario fragment.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clustersim.analysis.fits import (
    CompoundFit,
    ElasticityFit,
    Fit,
    GrowthFit,
    LogisticFit,
    fit_elasticity,
    fit_growth,
    fit_logistic,
    fit_loglinear,
    growth_jumps,
)
from clustersim.analysis.matching import Matched, fit_window, match
from clustersim.analysis.observed import AnnualValue, DataError, ObservedData, load_observed
from clustersim.analysis.options import Options
from clustersim.analysis.series import SeriesSpec, scenario_series
from clustersim.analysis.text import level_text, lines_text, years_text
from clustersim.grid import Grid
from clustersim.i18n import WORDS, translate, word
from clustersim.kinds.growth import Elasticity
from clustersim.scenario.models import Scenario

__all__ = ["OUTLIER_Z", "Calibration", "SeriesFit", "calibrate", "fit_series"]

#: standardised residual above which a point of a log-linear fit is flagged (n >= 5)
OUTLIER_Z = 2.5


@dataclass
class SeriesFit:
    """The fit of one series and everything its provenance needs.

    Attributes
    ----------
    spec : SeriesSpec
    fit : CompoundFit, LogisticFit or ElasticityFit
    used : list of AnnualValue
        The values the fit used.
    left_out : list of AnnualValue
        Values before the break year.
    break_year : int or None
    break_from : str or None
        Where the break was marked.
    flags : list of str
        Warnings: jumps, outliers, partial-year hints, base mismatch.
    growth : GrowthFit or None
        For a compound fit: the predictive model of the series' log growth (mean, its
        standard error, innovation sd, ar), which the fragment writes.
    """

    spec: SeriesSpec
    fit: Fit
    used: list[AnnualValue]
    left_out: list[AnnualValue] = field(default_factory=list)
    break_year: int | None = None
    break_from: str | None = None
    flags: list[str] = field(default_factory=list)
    growth: GrowthFit | None = None

    @property
    def years_text(self) -> str:
        return years_text([v.year for v in self.used])

    @property
    def lines(self) -> list[int]:
        return sorted({ln for v in self.used for ln in v.lines})

    def rate_text(self) -> str:
        f = self.fit
        if isinstance(f, CompoundFit) and self.growth is not None:
            return f"{self.growth.rate * 100:+.2f}%/yr"  # the rate the fragment writes
        if isinstance(f, CompoundFit):
            return f"{f.rate * 100:+.2f}%/yr"
        if isinstance(f, LogisticFit):
            return f"K={level_text(f.capacity)}, r={f.rate:.3f}"
        return f"{f.elasticity:.3f} x {f.to}"

    def se_text(self) -> str:
        f = self.fit
        if isinstance(f, CompoundFit) and self.growth is not None:
            se = self.growth.se_rate
            return "-" if se is None else f"{se * 100:.2f} pp"
        if isinstance(f, CompoundFit):
            return "-" if f.se is None else f"{f.se * 100:.2f} pp"
        if isinstance(f, LogisticFit):
            k = "-" if f.se_capacity is None else level_text(f.se_capacity)
            r = "-" if f.se_rate is None else f"{f.se_rate:.3f}"
            return f"K {k}, r {r}"
        return "-" if f.se is None else f"{f.se:.3f}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary of the fit."""
        f = self.fit
        d: dict[str, Any] = {
            "series": self.spec.name,
            "fit": f.kind,
            "scenario_kind": self.spec.kind,
            "years": [v.year for v in self.used],
            "values": [v.value for v in self.used],
            "lines": self.lines,
            "n": f.n,
            "r2": f.r2,
            "break_year": self.break_year,
            "flags": list(self.flags),
            "annualised": [
                {"year": v.year, "method": v.method} for v in self.used if v.method is not None
            ],
        }
        if isinstance(f, CompoundFit):
            d.update(rate=f.rate, se=f.se)
            g = self.growth
            if g is not None:
                d["predictive"] = {
                    "rate": g.rate,
                    "se": g.se_rate,
                    "innovation_sd": g.sd,
                    "ar": g.ar,
                    "ar_estimated": g.ar_estimated,
                    "df": g.df,
                }
        elif isinstance(f, LogisticFit):
            d.update(
                capacity=f.capacity,
                rate=f.rate,
                midpoint=f.midpoint,
                se_capacity=f.se_capacity,
                se_rate=f.se_rate,
            )
        else:
            d.update(elasticity=f.elasticity, se=f.se, to=f.to)
        return d


@dataclass
class Calibration:
    """The result of :func:`calibrate`."""

    scenario_path: str
    scenario: Scenario
    data: ObservedData
    region: str
    fits: list[SeriesFit]
    notes: list[str] = field(default_factory=list)
    until: int | None = None

    def table(self, lang: str = "en") -> Grid:
        """The fit table: series, fit, years, n, rate, s.e., R², flags (headings, fit kinds
        and flags in ``lang``)."""
        rows = [
            [
                f.spec.name,
                fit_name(f.fit.kind, lang),
                f.years_text,
                str(f.fit.n),
                f.rate_text(),
                f.se_text(),
                f"{f.fit.r2:.3f}",
                "; ".join(_short_flags(f, lang)) or "-",
            ]
            for f in self.fits
        ]
        return Grid(
            (
                word("cal_col_series", lang),
                word("cal_col_fit", lang),
                word("cal_col_years", lang),
                "n",
                word("cal_col_rate", lang),
                word("cal_col_se", lang),
                "R²",
                word("cal_col_flags", lang),
            ),
            tuple(tuple(r) for r in rows),
            "lllrrrrl",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario_path,
            "data": self.data.path,
            "data_sha256": self.data.sha256,
            "region": self.region,
            "until": self.until,
            "fits": [f.to_dict() for f in self.fits],
            "notes": list(self.notes),
        }


def fit_name(kind: str, lang: str) -> str:
    """A fit's kind (compound, logistic, elasticity) in ``lang``."""
    return word(f"fit_{kind}", lang) if f"fit_{kind}" in WORDS else kind


def flag_text(flag: str, lang: str) -> str:
    """A fit's flag in ``lang`` (the flags are written in English; :func:`translate`)."""
    return translate(flag) if lang == "zh" else flag


def _short_flags(f: SeriesFit, lang: str = "en") -> list[str]:
    out = []
    if f.break_year is not None:
        out.append(word("cal_short_break", lang, year=f.break_year))
    if any(v.method for v in f.used):
        years = ", ".join(str(v.year) for v in f.used if v.method)
        out.append(word("cal_short_annualised", lang, years=years))
    # the full text is printed below
    out.extend(re.split(": |：", flag_text(flag, lang))[0] for flag in f.flags)
    return out


def _fit_kind(spec: SeriesSpec, options: Options) -> str:
    kind = options.fits.get(spec.name)
    if kind is None:
        return {"logistic": "logistic", "elasticity": "elasticity"}.get(spec.kind, "compound")
    if kind == "elasticity" and not isinstance(spec.growth, Elasticity):
        raise DataError(
            f"{options.map_file or '--fit'} {spec.name}: an elasticity fit needs the scenario's "
            f"growth of {spec.name} to be an elasticity (it is {spec.kind}): say there which "
            "series it follows"
        )
    return kind


def fit_series(
    m: Matched,
    matched: Mapping[str, Matched],
    options: Options,
    *,
    until: int | None = None,
    base_year: int | None = None,
) -> SeriesFit:
    """Fit the growth of one matched series on its values up to ``until``.

    Raises
    ------
    DataError
        Too few values, non-positive values, a fit that does not converge, or an elasticity
        whose followed series has no observations.
    """
    spec = m.spec
    kind = _fit_kind(spec, options)
    used, left_out = fit_window(m, until)
    where = f"{m.rows[0].file}: {spec.name}"
    lines = lines_text(sorted({ln for v in used for ln in v.lines}))
    years = [v.year for v in used]
    values = [v.value for v in used]
    flags: list[str] = []
    # growth fits take logarithms: name each row with a zero or negative value, its own line
    nonpositive = [
        f"{m.rows[0].file}:{v.lines[0]}: value: "
        + ("is zero" if v.value == 0 else f"is negative ({v.value:g})")
        + f"; a {kind} fit of {spec.name} needs positive values (leave the row out, or mark "
        "a break after it)"
        for v in used
        if v.value <= 0 and v.lines
    ]
    if nonpositive:
        raise DataError(nonpositive)
    try:
        fit: Fit
        if kind == "compound":
            fit = fit_loglinear(years, values)
            if fit.n >= 5:
                s = math.sqrt(sum(r * r for r in fit.resid) / (fit.n - 2))
                for y, r in zip(fit.years, fit.resid, strict=True):
                    if s > 0 and abs(r) / s > OUTLIER_Z:
                        flags.append(f"outlier {y} ({math.expm1(r) * 100:+.0f}% off the trend)")
        elif kind == "logistic":
            fit = fit_logistic(years, values)
            if fit.capacity > 50 * max(values):
                flags.append("capacity poorly determined (no bend in the data yet)")
        else:
            fit, used = _fit_elasticity(m, matched, until)
    except ValueError as exc:
        hint = ""
        if kind == "logistic":
            hint = f"; fit compound growth instead with --fit {spec.name}=compound"
        raise DataError(
            f"{where}: {exc} ({lines}"
            + (f"; the fit starts at the break in {m.break_year}" if m.break_year else "")
            + f"){hint}"
        ) from exc
    if m.break_year is None and kind != "elasticity":
        for y0, y1, g, med in growth_jumps(years, values):
            flags.append(
                f"jump {y0}->{y1} ({g * 100:+.0f}%/yr; median of the others {med * 100:+.0f}%/yr): "
                "a scope change? mark a break year"
            )
    for v in used:
        if v.hint:
            flags.append(f"{v.year} {v.hint!r} in the unit, no months: taken as a full year")
    if base_year is not None and m.break_year is not None and base_year < m.break_year:
        flags.append(
            f"base year {base_year} precedes the break: the scenario's base value is on the "
            "old scope, the fitted rate on the new one"
        )
    if base_year is not None:
        at_base = next((v for v in used if v.year == base_year), None)
        if at_base is not None and spec.base > 0 and abs(at_base.value / spec.base - 1) > 0.01:
            flags.append(
                f"base {level_text(spec.base)} vs observed {level_text(at_base.value)} in {base_year}"
            )
    growth = fit_growth(years, values) if isinstance(fit, CompoundFit) else None
    return SeriesFit(spec, fit, used, left_out, m.break_year, m.break_from, flags, growth)


def _fit_elasticity(
    m: Matched, matched: Mapping[str, Matched], until: int | None
) -> tuple[ElasticityFit, list[AnnualValue]]:
    """The elasticity fit and the values it used (years where both series are observed)."""
    spec = m.spec
    to = spec.follows
    assert to is not None  # _fit_kind checked the growth kind
    if to not in matched:
        raise ValueError(
            f"fitting the elasticity of {spec.name} to {to} needs observations of {to!r}, "
            f"and the data have none; or fit compound growth with --fit {spec.name}=compound"
        )
    own, _ = fit_window(m, until)
    other, _ = fit_window(matched[to], until)
    xs = {v.year: v.value for v in other}
    common = [v for v in own if v.year in xs]
    k, g, gx, yrs = [], [], [], []
    for a, b in itertools.pairwise(common):
        span = b.year - a.year
        if a.value <= 0 or xs[a.year] <= 0:
            raise ValueError("an elasticity fit needs positive values")
        k.append(span)
        g.append((b.value / a.value) ** (1.0 / span) - 1.0)
        gx.append((xs[b.year] / xs[a.year]) ** (1.0 / span) - 1.0)
        yrs.append(b.year)
    if not k:
        raise ValueError(
            f"an elasticity fit needs two years in which both {spec.name} and {to} are observed"
        )
    return fit_elasticity(k, g, gx, to=to, years=yrs), common


def calibrate(
    data: str | Path | ObservedData,
    scenario: str | Path,
    *,
    options: Options | None = None,
) -> Calibration:
    """Fit the growth of every scenario series the observed data cover.

    Parameters
    ----------
    data : path or ObservedData
        Tidy observed data (see :mod:`clustersim.analysis.observed`).
    scenario : path
        The scenario file (its ``extends`` chain is followed).
    options : Options, optional
        Series selection, fit overrides, breaks, name mapping, region, ``until``.

    Returns
    -------
    Calibration
        One :class:`SeriesFit` per series, in scenario order.

    Raises
    ------
    DataError, ScenarioError
        Bad data, a bad scenario, or data that do not fit the scenario.
    """
    from clustersim.scenario.loader import load_scenario

    opts = options or Options()
    obs = data if isinstance(data, ObservedData) else load_observed(data, extra_units=opts.units)
    sc = load_scenario(scenario)
    region, matched, notes = match(obs, sc, opts)
    order = list(scenario_series(sc))
    chosen = [n for n in order if n in matched and (not opts.series or n in opts.series)]
    fits: list[SeriesFit] = []
    problems: list[str] = []
    for name in chosen:
        try:
            fits.append(
                fit_series(matched[name], matched, opts, until=opts.until, base_year=sc.base_year)
            )
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return Calibration(str(scenario), sc, obs, region, fits, notes, opts.until)
