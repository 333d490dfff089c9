"""Calibrate a scenario's growth assumptions on observed history.

For each series of a scenario that observed data cover, fit its growth assumption and
write a scenario fragment that ``extends:`` the scenario with the fitted values:

- **compound** growth (the scenario's ``constant``, ``path``, ``linear``, ``to_target``):
  log-linear least squares ``ln x_t = a + b t``; the rate is ``exp(b) - 1`` and its standard
  error ``exp(b) se(b)`` (delta method); written as ``{kind: constant, rate: {dist: normal,
  mean: rate, sd: se}}`` so Monte Carlo runs carry the fit's uncertainty;
- **logistic** growth: nonlinear least squares of ``x_t = K / (1 + exp(-r (t - m)))``
  (``scipy.optimize.curve_fit``) for the capacity ``K`` and rate ``r``, with standard errors
  from the covariance of the estimates;
- **elasticity** ``g = e G`` to another series: weighted least squares through the origin of
  the series' annual growth on the other series' growth over the same intervals.

Partial-year values are annualised first (:func:`clustersim.observed.annualise`), a
structural break (``break`` column, a ``--break`` option or a mapping file) starts the fit
at the break year, and suspicious jumps or outliers are flagged, never silently used.
The fragment records its provenance: data file and hash, rows and years used, fit
statistics, annualisation and flags, as YAML comments and ``source:``/``note:`` fields.

The fitting functions (:func:`fit_loglinear`, :func:`fit_logistic`, :func:`fit_elasticity`,
:func:`growth_jumps`) are pure functions over arrays.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clustersim.atomic import atomic_path
from clustersim.errors import ClusterSimError, ScenarioError
from clustersim.observed import (
    AnnualValue,
    DataError,
    Observation,
    ObservedData,
    Unit,
    annualise,
    load_observed,
    parse_unit,
)
from clustersim.scenario.growth import Elasticity, Growth
from clustersim.scenario.models import (
    LevelIndicator,
    Scenario,
    Series,
    StockIndicator,
)
from clustersim.scenario.names import label_text
from clustersim.scenario.numbers import central

__all__ = [
    "FIT_KINDS",
    "Calibration",
    "CompoundFit",
    "ElasticityFit",
    "LogisticFit",
    "Options",
    "SeriesFit",
    "SeriesSpec",
    "calibrate",
    "fit_elasticity",
    "fit_logistic",
    "fit_loglinear",
    "format_table",
    "growth_jumps",
    "load_mapping",
    "scenario_series",
    "write_fragment",
]

Array = NDArray[np.float64]
#: the fits calibrate can make; the default for a series follows its growth kind
FIT_KINDS: tuple[str, ...] = ("compound", "logistic", "elasticity")
#: a growth jump is flagged when it is this far (in log points a year) from the median ...
JUMP_MIN = 0.2
#: ... and this many robust standard deviations (1.4826 MAD) away
JUMP_SIGMAS = 4.0
#: standardised residual above which a point of a log-linear fit is flagged (n >= 5)
OUTLIER_Z = 2.5


class CalibrationError(ClusterSimError):
    """Observed data and a scenario that cannot be calibrated together."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# --- fits: pure functions over arrays ---------------------------------------------------------


@dataclass(frozen=True)
class CompoundFit:
    """Log-linear least squares ``ln x_t = a + b (t - t̄)``.

    Attributes
    ----------
    years : tuple of int
    rate : float
        ``exp(b) - 1``, the annual growth rate.
    se : float or None
        Standard error of ``rate`` (``exp(b) se(b)``); None with two points.
    r2 : float
        ``1 - SSR / SST`` of the log fit.
    slope, se_slope, t_mean, intercept : float
        ``b``, ``se(b)``, ``t̄`` and ``a``.
    resid : tuple of float
        Log residuals, by year.
    """

    years: tuple[int, ...]
    rate: float
    se: float | None
    r2: float
    slope: float
    se_slope: float | None
    t_mean: float
    intercept: float
    resid: tuple[float, ...]
    kind: str = "compound"

    @property
    def n(self) -> int:
        return len(self.years)

    def value_at(self, year: float) -> float:
        """The fitted level in ``year``."""
        return math.exp(self.intercept + self.slope * (year - self.t_mean))


@dataclass(frozen=True)
class LogisticFit:
    """Least squares of ``x_t = K / (1 + exp(-r (t - m)))`` on levels.

    Attributes
    ----------
    capacity, rate, midpoint : float
        ``K``, ``r`` (per year) and ``m`` (the year of fastest growth, where ``x = K/2``).
    se_capacity, se_rate : float or None
        Standard errors from the estimates' covariance (None when it is not finite).
    r2 : float
        ``1 - SSR / SST`` on levels.
    """

    years: tuple[int, ...]
    capacity: float
    rate: float
    midpoint: float
    se_capacity: float | None
    se_rate: float | None
    r2: float
    kind: str = "logistic"

    @property
    def n(self) -> int:
        return len(self.years)

    @property
    def se(self) -> float | None:
        return self.se_rate

    def value_at(self, year: float) -> float:
        return self.capacity / (1.0 + math.exp(-self.rate * (year - self.midpoint)))


@dataclass(frozen=True)
class ElasticityFit:
    """Weighted least squares through the origin of ``g_t = e G_t``.

    ``g`` and ``G`` are the annualised growth rates of the series and of ``to`` over the
    same intervals between observed years, each interval weighted by its length in years.

    Attributes
    ----------
    to : str
        The series followed.
    years : tuple of int
        End years of the intervals.
    elasticity : float
    se : float or None
        Standard error of ``e`` (None with one interval).
    r2 : float
        Centred ``1 - SSR / Σ w (g - ḡ)²``; may be negative when a line through the origin
        fits worse than the mean.
    """

    to: str
    years: tuple[int, ...]
    elasticity: float
    se: float | None
    r2: float
    kind: str = "elasticity"

    @property
    def n(self) -> int:
        return len(self.years)


Fit = CompoundFit | LogisticFit | ElasticityFit


def _as_xy(years: ArrayLike, values: ArrayLike, need: int, what: str) -> tuple[Array, Array]:
    t = np.asarray(years, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    if t.shape != x.shape or t.ndim != 1:
        raise ValueError(
            f"years and values must be 1-d and of one length, got {t.shape}, {x.shape}"
        )
    if len(t) < need:
        raise ValueError(f"a {what} fit needs at least {need} observed years, got {len(t)}")
    if len(np.unique(t)) != len(t):
        raise ValueError("years must be distinct")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite")
    return t, x


def fit_loglinear(years: ArrayLike, values: ArrayLike) -> CompoundFit:
    """Compound growth by least squares of ``ln x`` on the year.

    Parameters
    ----------
    years : array_like (n,)
        Distinct years, n >= 2 (gaps allowed).
    values : array_like (n,)
        Positive levels.

    Returns
    -------
    CompoundFit
        ``rate = exp(b) - 1`` with ``b = Σ (t - t̄) (ln x - mean) / Σ (t - t̄)²``;
        ``se(b) = sqrt(SSR / (n - 2) / Σ (t - t̄)²)`` and ``se(rate) = exp(b) se(b)``.

    Raises
    ------
    ValueError
        Fewer than two years, repeated years, or a value <= 0.
    """
    t, x = _as_xy(years, values, 2, "log-linear")
    if np.any(x <= 0):
        raise ValueError("a log-linear fit needs positive values")
    y = np.log(x)
    tm = float(t.mean())
    dt = t - tm
    sxx = float(dt @ dt)
    b = float(dt @ (y - y.mean())) / sxx
    a = float(y.mean())
    resid = y - (a + b * dt)
    ssr = float(resid @ resid)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - ssr / sst if sst > 0 else 1.0
    n = len(t)
    se_b = math.sqrt(ssr / (n - 2) / sxx) if n > 2 else None
    rate = math.exp(b) - 1.0
    se = math.exp(b) * se_b if se_b is not None else None
    return CompoundFit(
        tuple(int(v) for v in t),
        rate,
        se,
        r2,
        b,
        se_b,
        tm,
        a,
        tuple(float(v) for v in resid),
    )


def fit_logistic(years: ArrayLike, values: ArrayLike) -> LogisticFit:
    """Logistic growth by nonlinear least squares on levels (``scipy.optimize.curve_fit``).

    Parameters
    ----------
    years : array_like (n,)
        Distinct years, n >= 4 (three parameters and one degree of freedom).
    values : array_like (n,)
        Positive levels.

    Returns
    -------
    LogisticFit
        The best of several starts (capacity 1.1 to 20 times the largest value, rate and
        midpoint from the linearised curve ``ln(K/x - 1) = -r (t - m)``).

    Raises
    ------
    ValueError
        Too few points, a value <= 0, or no start converges to a finite covariance.
    """
    from scipy.optimize import curve_fit

    t, x = _as_xy(years, values, 4, "logistic")
    if np.any(x <= 0):
        raise ValueError("a logistic fit needs positive values")
    scale = float(x.max())
    y = x / scale
    tm = float(t.mean())
    dt = t - tm

    def curve(tt: Array, k: float, r: float, m: float) -> Array:
        out: Array = k / (1.0 + np.exp(-r * (tt - m)))
        return out

    best: tuple[float, Array, Array] | None = None
    for k0 in (1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0):
        z = np.log(k0 / y - 1.0)
        slope, icpt = np.polyfit(dt, z, 1)
        r0 = -float(slope)
        if not r0 > 0:
            continue
        m0 = float(icpt) / r0
        try:
            with np.errstate(all="ignore"):
                p, cov = curve_fit(
                    curve,
                    dt,
                    y,
                    p0=(k0, r0, m0),
                    bounds=([1e-9, 1e-9, -1e3], [1e6, 20.0, 1e3]),
                    maxfev=20000,
                )
        except (RuntimeError, ValueError):
            continue
        ssr = float(((y - curve(dt, *p)) ** 2).sum())
        if best is None or ssr < best[0]:
            best = (ssr, np.asarray(p), np.asarray(cov))
    if best is None:
        raise ValueError(
            "the logistic fit did not converge (the series may not bend towards a capacity yet)"
        )
    ssr, p, cov = best
    sst = float(((y - y.mean()) ** 2).sum())
    diag = np.diag(cov)
    se_k = float(math.sqrt(diag[0]) * scale) if math.isfinite(diag[0]) and diag[0] >= 0 else None
    se_r = float(math.sqrt(diag[1])) if math.isfinite(diag[1]) and diag[1] >= 0 else None
    return LogisticFit(
        tuple(int(v) for v in t),
        float(p[0] * scale),
        float(p[1]),
        float(p[2] + tm),
        se_k,
        se_r,
        1.0 - ssr / sst if sst > 0 else 1.0,
    )


def fit_elasticity(
    lengths: ArrayLike,
    growth: ArrayLike,
    driver: ArrayLike,
    *,
    to: str = "",
    years: Sequence[int] = (),
) -> ElasticityFit:
    """Elasticity of one series' growth to another's: ``g = e G`` through the origin.

    Parameters
    ----------
    lengths : array_like (n,)
        Length in years ``k`` of each interval (its weight).
    growth, driver : array_like (n,)
        Annualised growth rates ``g`` of the series and ``G`` of the series it follows over
        the same intervals.
    to : str
        Name of the followed series (recorded).
    years : sequence of int
        End year of each interval (recorded).

    Returns
    -------
    ElasticityFit
        ``e = Σ k G g / Σ k G²``; ``se(e) = sqrt(Σ k (g - e G)² / (n - 1) / Σ k G²)``.
    """
    k = np.asarray(lengths, dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    gx = np.asarray(driver, dtype=np.float64)
    if not (k.shape == g.shape == gx.shape) or k.ndim != 1 or len(k) < 1:
        raise ValueError("an elasticity fit needs at least one interval with both series observed")
    sxx = float((k * gx * gx).sum())
    if sxx <= 0:
        raise ValueError("the followed series does not change over the observed intervals")
    e = float((k * gx * g).sum()) / sxx
    resid = g - e * gx
    ssr = float((k * resid * resid).sum())
    gbar = float((k * g).sum() / k.sum())
    sst = float((k * (g - gbar) ** 2).sum())
    n = len(k)
    se = math.sqrt(ssr / (n - 1) / sxx) if n > 1 else None
    return ElasticityFit(to, tuple(years), e, se, 1.0 - ssr / sst if sst > 0 else 1.0)


def growth_jumps(years: ArrayLike, values: ArrayLike) -> list[tuple[int, int, float, float]]:
    """Intervals whose growth is far from the others': candidate structural breaks.

    For each interval between consecutive observed years, the annualised log growth
    ``λ_i = ln(x_1 / x_0) / (t_1 - t_0)`` is compared with the median ``m`` of the other
    intervals; it is flagged when ``|λ_i - m| > max(JUMP_MIN, JUMP_SIGMAS × 1.4826 MAD)``
    (MAD of the other intervals). Needs three intervals or more.

    Returns
    -------
    list of (year from, year to, annual growth, median annual growth of the others)
        Growth rates as ``exp(λ) - 1``.
    """
    t = np.asarray(years, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    if len(t) < 4 or np.any(x <= 0):
        return []
    lam = np.diff(np.log(x)) / np.diff(t)
    out = []
    for i in range(len(lam)):
        others = np.delete(lam, i)
        med = float(np.median(others))
        mad = float(np.median(np.abs(others - med))) * 1.4826
        if abs(lam[i] - med) > max(JUMP_MIN, JUMP_SIGMAS * mad):
            out.append((int(t[i]), int(t[i + 1]), math.expm1(lam[i]), math.expm1(med)))
    return out


# --- the scenario's series -----------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesSpec:
    """A scenario series calibration can set.

    Attributes
    ----------
    name : str
        As observed data and ``--series`` name it: ``gdp``, ``sei_va``, ``patents_flow``,
        ``output[electronics]``.
    variable : str
        The series in the projection (``output``, ``rd_own``, ``rd_share``...).
    cluster : str or None
    path : tuple of str
        Scenario path of the block whose ``growth`` calibration writes.
    growth : Growth or None
        The scenario's growth assumption there.
    base : float
        The scenario's (central) base-year value.
    category : str or None
        Unit category the observations must have (``money``, ``share``, ``count``...).
    unit : Unit or None
        The unit the scenario states for the series; observations are converted into it.
    flow : bool
        Whether a partial-year observation undercounts the year (and is annualised).
    """

    name: str
    variable: str
    cluster: str | None
    path: tuple[str, ...]
    growth: Growth | None
    base: float
    category: str | None
    unit: Unit | None
    flow: bool = True

    @property
    def kind(self) -> str:
        """The scenario's growth kind (``constant`` when it gives none)."""
        return self.growth.kind if self.growth is not None else "constant"

    @property
    def follows(self) -> str | None:
        """For an elasticity: the name of the followed series as observed data name it."""
        if not isinstance(self.growth, Elasticity):
            return None
        to = self.growth.to
        if self.cluster is not None and to in _CLUSTER_VARS:
            return f"{to}[{self.cluster}]"
        return to


_CLUSTER_VARS = ("output", "va_ratio", "rd", "rd_share", "energy_per_va", "firms", "entries")
_DERIVED = {
    "cluster_output": "the sum of cluster output",
    "rd_total": "cluster R&D + rd_rest",
    "energy_total": "cluster energy + energy_rest",
    "rd_intensity": "rd_total / gdp",
    "energy_intensity": "energy_total / gdp",
    "value_added": "output x va_ratio",
    "energy": "value_added x energy_per_va",
}


def _unit_of(text: str | None) -> Unit | None:
    return parse_unit(text) if text else None


def scenario_series(sc: Scenario) -> dict[str, SeriesSpec]:
    """Every series of ``sc`` whose growth calibration can fit, by name.

    Region series (``gdp``, ``population``, ``industrial_output``, ``rd_rest``,
    ``energy_rest``), level indicators (by id), the flows of stock indicators
    (``<id>_flow``), and per cluster ``output``, ``va_ratio``, ``rd`` (own path) or
    ``rd_share`` (share of output), ``energy_per_va``, ``firms`` (growth mode) and ``entries``,
    named ``variable[cluster]``.
    """
    money = _unit_of(sc.unit)
    out: dict[str, SeriesSpec] = {}

    def add(
        name: str,
        variable: str,
        cluster: str | None,
        path: tuple[str, ...],
        s: Series | None,
        category: str | None,
        unit: Unit | None,
        *,
        growth: Growth | None = None,
        base: Any = None,
        flow: bool = True,
    ) -> None:
        if s is not None:
            growth, base = s.growth, s.base
            if s.unit:
                unit = _unit_of(s.unit) or unit
        out[name] = SeriesSpec(
            name, variable, cluster, path, growth, central(base), category, unit, flow
        )

    reg = sc.region
    add("gdp", "gdp", None, ("region", "gdp"), reg.gdp, "money", money)
    for nm, cat, unit in (
        ("population", "count", None),
        ("industrial_output", "money", money),
        ("rd_rest", "money", money),
        ("energy_rest", "energy", _unit_of(sc.energy_unit)),
    ):
        s = getattr(reg, nm)
        if s is not None:
            add(nm, nm, None, ("region", nm), s, cat, unit)
    for iid, ind in sc.indicators.items():
        iu = _unit_of(ind.unit)
        icat = iu.category if iu else None
        if isinstance(ind, LevelIndicator):
            add(
                iid,
                iid,
                None,
                ("indicators", iid),
                None,
                icat,
                iu,
                growth=ind.growth,
                base=ind.base,
                flow=icat not in ("share", "index"),
            )
        elif isinstance(ind, StockIndicator):
            add(f"{iid}_flow", f"{iid}_flow", None, ("indicators", iid, "flow"), ind.flow, icat, iu)
    for cid, c in sc.clusters.items():
        p = ("clusters", cid)
        add(f"output[{cid}]", "output", cid, (*p, "output"), c.output, "money", money)
        if c.va_ratio is not None:
            add(
                f"va_ratio[{cid}]",
                "va_ratio",
                cid,
                (*p, "va_ratio"),
                c.va_ratio,
                "share",
                None,
                flow=False,
            )
        if c.rd is not None:
            if c.rd.share_of_output is not None:
                add(
                    f"rd_share[{cid}]",
                    "rd_share",
                    cid,
                    (*p, "rd", "share_of_output"),
                    c.rd.share_of_output,
                    "share",
                    None,
                    flow=False,
                )
            else:
                add(
                    f"rd[{cid}]",
                    "rd_own",
                    cid,
                    (*p, "rd"),
                    None,
                    "money",
                    money,
                    growth=c.rd.growth,
                    base=c.rd.base,
                )
        if c.energy_per_va is not None:
            add(
                f"energy_per_va[{cid}]",
                "energy_per_va",
                cid,
                (*p, "energy_per_va"),
                c.energy_per_va,
                None,
                None,
                flow=False,
            )
        if c.firms is not None:
            if c.firms.entries is not None:
                add(
                    f"entries[{cid}]",
                    "entries",
                    cid,
                    (*p, "firms", "entries"),
                    c.firms.entries,
                    "count",
                    None,
                )
            if c.firms.growth is not None or (
                c.firms.entries is None and c.firms.exit_rate is None
            ):
                add(
                    f"firms[{cid}]",
                    "firms",
                    cid,
                    (*p, "firms"),
                    None,
                    "count",
                    None,
                    growth=c.firms.growth,
                    base=c.firms.base,
                    flow=False,
                )
    return out


def _why_not(name: str, sc: Scenario, known: Mapping[str, SeriesSpec]) -> str:
    """Why ``name`` is not a series calibration can set, with a suggestion."""
    m = re.fullmatch(r"(\w+)\[(\w+)\]", name)
    var, cid = (m.group(1), m.group(2)) if m else (name, None)
    if cid is not None and cid not in sc.clusters:
        return f"{cid!r} is not a cluster of the scenario{_close(cid, sc.clusters)}"
    if var in _DERIVED:
        return f"{var!r} is derived ({_DERIVED[var]}): calibrate its parts"
    if cid is None and var in sc.metrics:
        return f"{var!r} is a metric (an expression): calibrate the series it reads"
    ind = sc.indicators.get(var)
    if isinstance(ind, StockIndicator):
        return f"{var!r} is a stock fed by a flow: calibrate its flow {var + '_flow'!r} instead"
    if cid is not None and var == "rd" and f"rd_share[{cid}]" in known:
        return (
            f"cluster {cid} spends on R&D as a share of output: observe the share "
            f"'rd_share[{cid}]' (R&D / output)"
        )
    if cid is not None and var == "firms" and f"entries[{cid}]" in known:
        return f"firms of {cid} are a stock fed by entries: calibrate 'entries[{cid}]' instead"
    return f"{name!r} is not a series of the scenario{_close(name, known)}"


def _close(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- options and the mapping file ------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """How observed data meet the scenario.

    Attributes
    ----------
    series : tuple of str
        Calibrate only these series (every other row is ignored); empty: every row must map.
    fits : mapping of series name to fit kind
        Override the fit chosen from the scenario's growth kind (``compound``...).
    breaks : mapping of series name to year
        First year of a new scope: fits use this year and later only.
    names : mapping of observed name to series name (None: ignore those rows)
        Observed names are ``indicator`` or ``indicator[cluster]``.
    region : str, optional
        The data's region to use (default: the one matching the scenario's region name).
    until : int, optional
        Use observations up to this year only.
    units : mapping of unit name to (category, factor)
        Units beyond :data:`clustersim.observed.UNITS`.
    map_file : str, optional
        Where ``names``/``fits``/``breaks``/``units`` came from, for messages.
    """

    series: tuple[str, ...] = ()
    fits: Mapping[str, str] = field(default_factory=dict)
    breaks: Mapping[str, int] = field(default_factory=dict)
    names: Mapping[str, str | None] = field(default_factory=dict)
    region: str | None = None
    until: int | None = None
    units: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    map_file: str | None = None


def load_mapping(path: str | Path) -> Options:
    """Read a calibration mapping file (YAML).

    ::

        series:                        # observed name -> scenario series (~: ignore the rows)
          GDP: gdp
          "R&D spending": ~
          iot_revenue[digital]: output[digital]
        fit:                           # scenario series -> compound | logistic | elasticity
          sei_va: compound
        breaks:                        # scenario series -> first year of a new scope
          output[electronics]: 2022
        units:                         # extra units: name -> [category, factor]
          万标箱: [containers, 10000]

    Raises
    ------
    DataError
        ``FILE:LINE: key: message`` for unknown sections, bad values or YAML errors.
    """
    from clustersim.scenario.loader import read_yaml

    name = str(path)
    try:
        data, origins = read_yaml(Path(path))
    except ScenarioError as exc:
        msg = str(exc).replace("a scenario must be a mapping", "a mapping file must be a mapping")
        raise DataError(msg.splitlines()) from exc

    def at(*key: str) -> str:
        o = origins.get(tuple(key))
        return f"{o}" if o else name

    problems: list[str] = []
    sections = ("series", "fit", "breaks", "units")
    for k in data:
        if k not in sections:
            problems.append(
                f"{at(str(k))}: {k}: unknown section{_close(str(k), sections)} (allowed: {', '.join(sections)})"
            )
    for sec in sections:
        if sec in data and not isinstance(data[sec], dict):
            problems.append(f"{at(sec)}: {sec}: must be a mapping")
    names: dict[str, str | None] = {}
    fits: dict[str, str] = {}
    breaks: dict[str, int] = {}
    units: dict[str, tuple[str, float]] = {}
    if isinstance(data.get("series"), dict):
        for k, v in data["series"].items():
            if v is not None and not isinstance(v, str):
                problems.append(f"{at('series', str(k))}: series.{k}: must be a series name or ~")
            else:
                names[str(k)] = v
    if isinstance(data.get("fit"), dict):
        for k, v in data["fit"].items():
            if v not in FIT_KINDS:
                problems.append(
                    f"{at('fit', str(k))}: fit.{k}: unknown fit {v!r}{_close(str(v), FIT_KINDS)} "
                    f"(allowed: {', '.join(FIT_KINDS)})"
                )
            else:
                fits[str(k)] = str(v)
    if isinstance(data.get("breaks"), dict):
        for k, v in data["breaks"].items():
            if not isinstance(v, int) or isinstance(v, bool):
                problems.append(f"{at('breaks', str(k))}: breaks.{k}: {v!r} is not a year")
            else:
                breaks[str(k)] = v
    if isinstance(data.get("units"), dict):
        for k, v in data["units"].items():
            ok = (
                isinstance(v, list)
                and len(v) == 2
                and isinstance(v[0], str)
                and isinstance(v[1], int | float)
                and not isinstance(v[1], bool)
                and v[1] > 0
            )
            if not ok:
                problems.append(f"{at('units', str(k))}: units.{k}: must be [category, factor > 0]")
            else:
                units[str(k)] = (str(v[0]), float(v[1]))
    if problems:
        raise DataError(problems)
    return Options(fits=fits, breaks=breaks, names=names, units=units, map_file=name)


# --- matching observations to series -------------------------------------------------------------


@dataclass
class Matched:
    """The observations of one scenario series."""

    spec: SeriesSpec
    rows: list[Observation]
    values: list[AnnualValue]
    break_year: int | None = None
    break_from: str | None = None


def _choose_region(data: ObservedData, sc: Scenario, region: str | None) -> str:
    regions = data.regions()
    if region is not None:
        if region not in regions:
            raise DataError(
                f"{data.path}: --region {region!r}: no rows for it (regions: {', '.join(regions)})"
            )
        return region
    labels = [
        label_text(sc.region.name, "en", "").lower(),
        label_text(sc.region.name, "zh", "").lower(),
        sc.id.lower(),
    ]
    hits = [
        r for r in regions if any(r.strip().lower() in lab for lab in labels if lab) and r.strip()
    ]
    if len(hits) == 1:
        return hits[0]
    if len(regions) == 1:
        return next(iter(regions))
    raise DataError(
        f"{data.path}: rows of several regions ({', '.join(regions)}): choose one with --region"
    )


def _convert(obs: Observation, spec: SeriesSpec, scenario_unit: str) -> float:
    """Factor that converts ``obs`` into the units of ``spec``; raises DataError on mismatch."""
    u = obs.unit
    where = f"{obs.where}: unit"
    if u.category == "rate":
        raise DataError(
            f"{where}: {u.text!r} is a growth rate or change, not a level: it cannot calibrate "
            f"{spec.name!r} (fit the level's series instead)"
        )
    if spec.category is not None and u.category != spec.category:
        want = {
            "money": f"money ({scenario_unit})",
            "share": "a share (%, fraction or ratio)",
            "count": "a count",
        }.get(spec.category, spec.category)
        raise DataError(f"{where}: {u.text!r} does not fit {spec.name!r}, which is {want}")
    if u.category == "share":
        return u.factor  # shares are fractions in a scenario, whatever their label
    target = spec.unit
    if target is not None and target.category == u.category:
        return u.factor / target.factor
    if spec.category == "money" and target is None and u.name != scenario_unit:
        raise DataError(
            f"{where}: {u.text!r} cannot be converted to the scenario's unit {scenario_unit!r}"
        )
    return 1.0


def match(
    data: ObservedData, sc: Scenario, options: Options
) -> tuple[str, dict[str, Matched], list[str]]:
    """Map the rows of ``data`` to the series of ``sc``.

    Returns
    -------
    region : str
    matched : dict of series name to Matched
        Every series some row maps to (whether selected or not: an elasticity fit may need
        the series it follows).
    notes : list of str
        What was ignored.

    Raises
    ------
    DataError
        A row that names or maps to a series the scenario does not have (when no
        ``series`` selection is given, every row must map), a unit that does not fit its
        series, a selected series without observations, or a bad break.
    """
    known = scenario_series(sc)
    region = _choose_region(data, sc, options.region)
    problems: list[str] = []
    for name in options.series:
        if name not in known:
            problems.append(f"--series {name}: {_why_not(name, sc, known)}")
    for what, d in (("--fit", options.fits), ("--break", options.breaks)):
        for name in d:
            if name not in known:
                problems.append(f"{options.map_file or what} {name}: {_why_not(name, sc, known)}")
    for obs_name, target in options.names.items():
        if target is not None and target not in known:
            problems.append(f"{options.map_file}: series.{obs_name}: {_why_not(target, sc, known)}")
    if problems:
        raise DataError(problems)
    # with a selection, only the chosen series and the series they follow are read
    wanted: set[str] | None = None
    if options.series:
        wanted = set(options.series)
        wanted |= {f for n in options.series if n in known and (f := known[n].follows)}
    rows_of: dict[str, list[Observation]] = {}
    notes: list[str] = []
    other_regions = 0
    unmapped = 0
    skipped: dict[str, int] = {}
    for obs in data.rows:
        if obs.region != region:
            other_regions += 1
            continue
        explicit = (obs.series or "").strip()
        if explicit and explicit not in ("-", "~") and explicit not in known:
            problems.append(f"{obs.where}: series: {_why_not(explicit, sc, known)}")
            continue
        resolved, why = _resolve(obs, sc, known, options)
        if resolved is None or (wanted is not None and resolved not in wanted):
            if why is None or wanted is not None:  # ignored on purpose, or not chosen
                skipped[obs.label] = skipped.get(obs.label, 0) + 1
            else:
                problems.append(f"{obs.where}: {why}")
                unmapped += 1
            continue
        if options.until is not None and obs.year > options.until:
            continue
        rows_of.setdefault(resolved, []).append(obs)
    if unmapped:
        problems.append(
            f"{data.path}: {unmapped} row(s) name no series of the scenario: choose the series to "
            "fit with --series, map names with --map FILE (~ ignores a name), or set the rows' "
            "series column"
        )
    if problems:
        raise DataError(problems)
    matched: dict[str, Matched] = {}
    for name, rows in rows_of.items():
        spec = known[name]
        try:
            factors = {_convert(o, spec, sc.unit) for o in rows}
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if len(factors) > 1:  # mixed units within a series: convert row by row
            values = []
            for o in rows:
                values.extend(annualise([o], _convert(o, spec, sc.unit), flow=spec.flow))
            values.sort(key=lambda v: v.year)
        else:
            values = annualise(rows, factors.pop(), flow=spec.flow)
        m = Matched(spec, rows, values)
        marks = sorted({o.year for o in rows if o.is_break})
        if len(marks) > 1:
            problems.append(
                f"{data.path}: {name}: break marked in several years ({', '.join(map(str, marks))}); "
                "mark the latest scope change only"
            )
        elif marks:
            line = next(o.line for o in rows if o.is_break and o.year == marks[0])
            m.break_year, m.break_from = marks[0], f"{data.path}:{line}"
        if name in options.breaks:
            m.break_year = options.breaks[name]
            m.break_from = options.map_file or "--break"
        matched[name] = m
    for name in options.series:
        if name not in matched and name in known:
            problems.append(
                f"--series {name}: no observations of it in {data.path} (region {region}"
                + (f", up to {options.until}" if options.until is not None else "")
                + ")"
            )
    if problems:
        raise DataError(problems)
    if other_regions:
        notes.append(f"{other_regions} rows of other regions than {region} ignored")
    if skipped:
        names = sorted(skipped)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        notes.append(f"{sum(skipped.values())} rows of {len(names)} other series ignored: {shown}")
    return region, matched, notes


def _resolve(
    obs: Observation, sc: Scenario, known: Mapping[str, SeriesSpec], options: Options
) -> tuple[str | None, str | None]:
    """The series name a row maps to, or (None, reason); (None, None) when ignored."""
    if obs.series is not None:
        explicit = obs.series.strip()
        return (None, None) if explicit in ("-", "~") else (explicit, None)
    if obs.label in options.names:
        return options.names[obs.label], None
    ind = obs.indicator.strip().lower()
    if not obs.cluster:
        if ind in known and "[" not in ind:
            return ind, None
        return None, f"indicator: {_why_not(obs.indicator, sc, known)}"
    if obs.cluster not in sc.clusters:
        return None, (
            f"cluster: {obs.cluster!r} is not a cluster of the scenario"
            f"{_close(obs.cluster, sc.clusters)}"
        )
    name = f"{ind}[{obs.cluster}]"
    if name in known:
        return name, None
    return None, f"indicator: {_why_not(f'{obs.indicator}[{obs.cluster}]', sc, known)}"


# --- calibration ------------------------------------------------------------------------------------


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
    """

    spec: SeriesSpec
    fit: Fit
    used: list[AnnualValue]
    left_out: list[AnnualValue] = field(default_factory=list)
    break_year: int | None = None
    break_from: str | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def years_text(self) -> str:
        return years_text([v.year for v in self.used])

    @property
    def lines(self) -> list[int]:
        return sorted({ln for v in self.used for ln in v.lines})

    def rate_text(self) -> str:
        f = self.fit
        if isinstance(f, CompoundFit):
            return f"{f.rate * 100:+.2f}%/yr"
        if isinstance(f, LogisticFit):
            return f"K={level_text(f.capacity)}, r={f.rate:.3f}"
        return f"{f.elasticity:.3f} x {f.to}"

    def se_text(self) -> str:
        f = self.fit
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

    def table(self) -> str:
        """The fit table: series, fit, years, n, rate, s.e., R², flags."""
        rows = [
            [
                f.spec.name,
                f.fit.kind,
                f.years_text,
                str(f.fit.n),
                f.rate_text(),
                f.se_text(),
                f"{f.fit.r2:.3f}",
                "; ".join(_short_flags(f)) or "-",
            ]
            for f in self.fits
        ]
        return format_table(
            ["series", "fit", "years", "n", "rate", "s.e.", "R²", "flags"],
            rows,
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


def _short_flags(f: SeriesFit) -> list[str]:
    out = []
    if f.break_year is not None:
        out.append(f"break {f.break_year}")
    if any(v.method for v in f.used):
        out.append("annualised " + ", ".join(str(v.year) for v in f.used if v.method))
    out.extend(flag.split(": ")[0] for flag in f.flags)  # the full text is printed below
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


def fit_window(m: Matched, until: int | None) -> tuple[list[AnnualValue], list[AnnualValue]]:
    """Values in the fit window (from the break, up to ``until``) and those before the break."""
    vals = [v for v in m.values if until is None or v.year <= until]
    if m.break_year is None:
        return vals, []
    return [v for v in vals if v.year >= m.break_year], [v for v in vals if v.year < m.break_year]


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
    lines = _lines_text(sorted({ln for v in used for ln in v.lines}))
    years = [v.year for v in used]
    values = [v.value for v in used]
    flags: list[str] = []
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
    return SeriesFit(spec, fit, used, left_out, m.break_year, m.break_from, flags)


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
        Tidy observed data (see :mod:`clustersim.observed`).
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


# --- the fragment --------------------------------------------------------------------------------


def _num(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def _dist(mean: float, sd: float | None, digits: int = 6) -> Any:
    """``{dist: normal, mean, sd}``, or the plain mean when there is no standard error."""
    if sd is None or not sd > 1e-12 * max(1.0, abs(mean)):  # an exact fit: a plain number
        return _num(mean, digits)
    sd_digits = 4 if digits <= 6 else digits  # a standard error needs fewer digits
    return {"dist": "normal", "mean": _num(mean, digits), "sd": _num(sd, sd_digits)}


def growth_block(f: SeriesFit, data_name: str, *, digits: int = 6) -> dict[str, Any]:
    """The scenario ``growth:`` block of a fit, with its source and note.

    Parameters
    ----------
    f : SeriesFit
    data_name : str
        The data file, named in the source.
    digits : int
        Significant digits of the written parameters (6 in a fragment, where the source
        keeps the full estimate; 17 to keep every bit).
    """
    fit = f.fit
    rows = _lines_text(f.lines)
    stats = f"n={fit.n}, R² {fit.r2:.3f}"
    block: dict[str, Any]
    if isinstance(fit, CompoundFit):
        se = "no s.e. (2 points)" if fit.se is None else f"s.e. {fit.se * 100:.2f} pp"
        block = {"kind": "constant", "rate": _dist(fit.rate, fit.se, digits)}
        src = (
            f"calibrate: log-linear least squares of ln({f.spec.name}) on year, "
            f"{data_name} {rows} ({f.years_text}): {fit.rate * 100:+.2f}%/yr, {se}, {stats}"
        )
    elif isinstance(fit, LogisticFit):
        block = {
            "kind": "logistic",
            "capacity": _dist(fit.capacity, fit.se_capacity, digits),
            "rate": _dist(fit.rate, fit.se_rate, digits),
        }
        src = (
            f"calibrate: logistic least squares K / (1 + exp(-r (t - m))) on {f.spec.name}, "
            f"{data_name} {rows} ({f.years_text}): K {level_text(fit.capacity)}"
            f" (s.e. {level_text(fit.se_capacity) if fit.se_capacity is not None else '-'}), r {fit.rate:.4f}"
            f" (s.e. {f'{fit.se_rate:.4f}' if fit.se_rate is not None else '-'}), m {fit.midpoint:.1f}, {stats}"
        )
    else:
        block = {
            "kind": "elasticity",
            "to": _to_name(fit.to),
            "elasticity": _dist(fit.elasticity, fit.se, digits),
        }
        se = "no s.e. (1 interval)" if fit.se is None else f"s.e. {fit.se:.3f}"
        src = (
            f"calibrate: growth of {f.spec.name} regressed on growth of {fit.to} through the origin, "
            f"{data_name} {rows} (intervals ending {years_text(list(fit.years))}): "
            f"elasticity {fit.elasticity:.3f}, {se}, {stats}"
        )
    block["source"] = src
    notes = _note_parts(f)
    block["note"] = "; ".join(notes) if notes else None
    return block


def _to_name(to: str) -> str:
    m = re.fullmatch(r"(\w+)\[\w+\]", to)
    return m.group(1) if m else to  # a cluster series follows its own cluster's series


def _lines_text(lines: Sequence[int]) -> str:
    if not lines:
        return "no rows"
    return ("line " if len(lines) == 1 else "lines ") + years_text(list(lines))


def _note_parts(f: SeriesFit) -> list[str]:
    parts = []
    if f.break_year is not None:
        parts.append(
            f"structural break in {f.break_year} ({f.break_from}): the fit starts there"
            + (
                f", {len(f.left_out)} earlier value(s) ({years_text([v.year for v in f.left_out])}) left out"
                if f.left_out
                else ""
            )
        )
    for v in f.used:
        if v.method:
            parts.append(f"{v.year} annualised: {v.method} = {level_text(v.value)}")
    parts.extend(f"flag: {x}" for x in f.flags)
    if f.spec.kind not in ("constant", f.fit.kind):  # e.g. a path or to_target made constant
        parts.append(f"replaces the scenario's {f.spec.kind} growth")
    return parts


def _overlay(parent: Any, new: Any) -> Any:
    """A child value that, merged onto ``parent`` by the ``extends:`` rules, gives exactly ``new``.

    Keys of the parent's mapping that ``new`` does not have are set to null (deleted), so no
    stale ``source``, ``low`` or ``high`` of the parent survives the merge.
    """
    from clustersim.scenario.loader import MERGE_TAGS

    if isinstance(new, dict) and isinstance(parent, dict):
        if any(t in new and parent.get(t) != new[t] for t in MERGE_TAGS):
            return {k: v for k, v in new.items() if v is not None}  # replaced whole
        out = {
            k: _overlay(parent.get(k), v) for k, v in new.items() if v is not None or k in parent
        }
        for k in parent:
            if k not in new:
                out[k] = None
        return out
    if isinstance(new, dict):
        return {k: v for k, v in new.items() if v is not None}
    return new


def _get(data: Any, path: Sequence[str]) -> Any:
    for k in path:
        if not isinstance(data, dict):
            return None
        data = next((v for kk, v in data.items() if str(kk) == k), None)
    return data


def _set(doc: dict[str, Any], path: Sequence[str], value: Any) -> None:
    cur = doc
    for k in path[:-1]:
        cur = cur.setdefault(k, {})
    cur[path[-1]] = value


def fragment_doc(cal: Calibration, out: str | Path) -> dict[str, Any]:
    """The fragment as data: ``extends`` the scenario, sets each fitted growth block."""
    from clustersim.scenario.loader import load_data

    parent = load_data(cal.scenario_path).data
    out_dir = Path(out).resolve().parent
    scen = Path(cal.scenario_path).resolve()
    # relative when the two share a directory below the root, so the pair can move together
    if os.path.commonpath([scen, out_dir]) != str(Path(scen.anchor)):
        rel = os.path.relpath(scen, out_dir).replace(os.sep, "/")
    else:
        rel = scen.as_posix()
    sid = f"{cal.scenario.id}_calibrated"[:64]
    doc: dict[str, Any] = {
        "extends": rel,
        "id": sid,
        "description": (
            f"{cal.scenario.id} with growth calibrated on {Path(cal.data.path).name} "
            f"({len(cal.fits)} series; clustersim calibrate)"
        ),
    }
    for f in cal.fits:
        path = (*f.spec.path, "growth")
        new = growth_block(f, cal.data.path)
        _set(doc, path, _overlay(_get(parent, path), new))
    return doc


def fragment_text(cal: Calibration, out: str | Path) -> str:
    """The fragment file: provenance comments, then YAML."""
    doc = fragment_doc(cal, out)
    head = [
        f"# Growth of {cal.scenario_path} calibrated on observed data by `clustersim calibrate`.",
        f"# data: {cal.data.path} (sha256 {cal.data.sha256[:16]}...), region {cal.region}"
        + (f", observations up to {cal.until}" if cal.until is not None else ""),
        f"# run:  clustersim run {out}",
        "#",
        *("# " + line if line else "#" for line in cal.table().splitlines()),
        "#",
    ]
    for f in cal.fits:
        head.append(
            f"# {f.spec.name}: {f.fit.kind} fit on {_lines_text(f.lines)} of {cal.data.path}"
        )
        head.extend(f"#   {p}" for p in _note_parts(f))
    for n in cal.notes:
        head.append(f"# note: {n}")
    return "\n".join(head) + "\n\n" + "\n".join(_emit(doc)) + "\n"


def write_fragment(cal: Calibration, out: str | Path) -> Path:
    """Write the fragment to ``out`` atomically, after checking that it loads and compiles.

    The text goes to a temporary file beside ``out``, which is validated (loaded with its
    ``extends`` chain and compiled) and then renamed; on any error it is removed and ``out``
    is left as it was.
    """
    from clustersim.compile import compile_scenario
    from clustersim.scenario.loader import load_scenario

    target = Path(out)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise CalibrationError(f"--out {out}: the fragment is a scenario file: name it .yaml")
    if not target.parent.exists():
        raise CalibrationError(f"--out {out}: directory {target.parent} does not exist")
    text = fragment_text(cal, target)
    with atomic_path(target, suffix=".tmp.yaml") as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            compile_scenario(load_scenario(tmp), samples=1)
        except ClusterSimError as exc:  # a bug here, not the user's: say so
            raise CalibrationError(
                [
                    f"internal error: the calibrated fragment does not validate: {line}"
                    for line in str(exc).splitlines()
                ]
            ) from exc
    return target


# --- a small YAML emitter (block mappings of plain scalars) ---------------------------------------
#
# The loader is the one module that imports PyYAML (the layering contract); the fragment is
# simple enough to write by hand: mappings, numbers, strings and nulls.

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_RESERVED_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}
)


def _scalar(v: Any) -> str:
    if v is None:
        return "~"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} to a scenario")
        s = repr(v)
        if "e" in s and "." not in s:  # PyYAML needs a dot to read 1e-05 as a float
            mant, exp = s.split("e")
            s = f"{mant}.0e{exp}"
        return s
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED_WORDS:
        return s
    return json.dumps(s, ensure_ascii=False)


def _emit(obj: Mapping[Any, Any], indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for k, v in obj.items():
        key = _scalar(k)
        if isinstance(v, Mapping):
            if v:
                lines.append(f"{pad}{key}:")
                lines.extend(_emit(v, indent + 2))
            else:
                lines.append(f"{pad}{key}: {{}}")
        elif isinstance(v, list | tuple):
            lines.append(f"{pad}{key}: [{', '.join(_scalar(x) for x in v)}]")
        else:
            lines.append(f"{pad}{key}: {_scalar(v)}")
    return lines


# --- plain-text tables -----------------------------------------------------------------------------


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
