"""The estimators calibration uses: pure functions over arrays, and their results.

- :func:`fit_loglinear`: compound growth, least squares of ``ln x_t = a + b (t - t̄)``;
  the rate is ``exp(b) - 1`` and its standard error ``exp(b) se(b)`` (delta method);
- :func:`fit_logistic`: logistic growth, nonlinear least squares of
  ``x_t = K / (1 + exp(-r (t - m)))`` (``scipy.optimize.curve_fit``) for the capacity ``K``
  and rate ``r``, with standard errors from the covariance of the estimates;
- :func:`fit_elasticity`: ``g = e G`` to another series, weighted least squares through the
  origin of one series' annual growth on the other's over the same intervals;
- :func:`growth_jumps`: intervals whose growth is far from the others' (candidate breaks);
- :func:`fit_growth`: the predictive model of log growth (a mean with an AR(1) deviation and
  annual innovations): mean growth and its standard error, innovation sd, ar, and the
  Student-t predictive distribution of the log level ``h`` years ahead.

Nothing here knows about scenarios, observed-data files or fragments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AR_MIN_PAIRS",
    "FIT_KINDS",
    "JUMP_MIN",
    "JUMP_SIGMAS",
    "CompoundFit",
    "ElasticityFit",
    "Fit",
    "GrowthFit",
    "LogisticFit",
    "fit_elasticity",
    "fit_growth",
    "fit_logistic",
    "fit_loglinear",
    "growth_jumps",
    "widening",
]

Array = NDArray[np.float64]
#: the fits calibrate can make; the default for a series follows its growth kind
FIT_KINDS: tuple[str, ...] = ("compound", "logistic", "elasticity")
#: consecutive pairs of annual growth rates below which ar is not estimated (set to 0)
AR_MIN_PAIRS = 8
#: the estimated ar is kept inside [-AR_MAX, AR_MAX] (a stationary deviation)
AR_MAX = 0.9
#: a growth jump is flagged when it is this far (in log points a year) from the median ...
JUMP_MIN = 0.2
#: ... and this many robust standard deviations (1.4826 MAD) away
JUMP_SIGMAS = 4.0


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


@dataclass(frozen=True)
class GrowthFit:
    """The predictive model of a series' log growth, fitted by :func:`fit_growth`.

    The model, for the log level ``y_t = ln x_t``::

        y_t = y_{t-1} + g_t,   g_t = mu + u_t,   u_t = ar u_{t-1} + e_t,   e_t ~ N(0, sd^2)

    (with ``ar = 0`` a random walk with drift ``mu``).

    Attributes
    ----------
    years : tuple of int
        The observed years used.
    mu : float
        Mean annual log growth ``(y_last - y_first) / (t_last - t_first)``; the rate is
        ``exp(mu) - 1``.
    se_mu : float or None
        Standard error of ``mu``: ``sd / (1 - ar) / sqrt(t_last - t_first)`` (None with two
        points).
    sd : float or None
        Innovation standard deviation (log points a year; None with two points).
    ar : float
        AR(1) coefficient of the growth's deviation from ``mu`` (0 when it was not estimated).
    ar_estimated : bool
        False when there were fewer than :data:`AR_MIN_PAIRS` consecutive pairs of annual
        growth rates and ``ar`` was shrunk to 0.
    df : int
        Degrees of freedom of ``sd`` (intervals minus one, minus one more with ``ar``).
    last_dev : float
        ``g_T - mu`` of the last annual interval (0 when it is longer than a year).
    """

    years: tuple[int, ...]
    mu: float
    se_mu: float | None
    sd: float | None
    ar: float
    ar_estimated: bool
    df: int
    last_dev: float = 0.0
    kind: str = "growth"

    @property
    def n(self) -> int:
        return len(self.years)

    @property
    def rate(self) -> float:
        """``exp(mu) - 1``: the median annual growth rate."""
        return math.expm1(self.mu)

    @property
    def se_rate(self) -> float | None:
        """Standard error of :attr:`rate` (delta method, ``exp(mu) se(mu)``)."""
        return None if self.se_mu is None else math.exp(self.mu) * self.se_mu

    def predictive(self, h: ArrayLike) -> tuple[Array, Array, int]:
        """The predictive distribution of ``y_{T+h} - y_T`` (log change from the last value).

        Parameters
        ----------
        h : array_like of int (k,)
            Horizons in years, >= 1.

        Returns
        -------
        centre, scale : ndarray (k,)
            Location and scale of a Student-t with ``df`` degrees of freedom:
            ``centre = h mu + last_dev ar (1 - ar^h) / (1 - ar)`` and
            ``scale^2 = sd^2 Σ_{i=1..h} c_i^2 + h^2 se(mu)^2`` with
            ``c_i = (1 - ar^i) / (1 - ar)`` (innovation variance) and ``h^2 se(mu)^2`` the
            variance of ``h mu`` (parameter uncertainty). With ``ar = 0``:
            ``sd^2 (h + h^2 / K)``, ``K = t_last - t_first``: the exact predictive of a
            Gaussian random walk with drift and unknown variance.
        df : int

        Raises
        ------
        ValueError
            Without an innovation sd (two points: nothing to say how wide).
        """
        hh = np.asarray(h, dtype=np.float64)
        if self.sd is None:
            raise ValueError("two observations give no innovation sd: no predictive interval")
        phi = self.ar
        span = float(self.years[-1] - self.years[0])
        hmax = int(hh.max()) if hh.size else 0
        i = np.arange(1, hmax + 1, dtype=np.float64)
        # weight of one innovation in the h-year sum of growth: 1 for a random walk
        c = np.ones_like(i) if phi == 0 else (1.0 - phi**i) / (1.0 - phi)
        csum = np.concatenate([[0.0], np.cumsum(c * c)])
        hi = hh.astype(np.int64)
        carry = 0.0 * hh if phi == 0 else self.last_dev * phi * (1.0 - phi**hh) / (1.0 - phi)
        centre: Array = hh * self.mu + carry
        se_mu = self.se_mu if self.se_mu is not None else self.sd / math.sqrt(span)
        scale: Array = np.sqrt(self.sd**2 * csum[hi] + (hh * se_mu) ** 2)
        return centre, scale, self.df


def fit_growth(
    years: ArrayLike, values: ArrayLike, *, ar_min_pairs: int = AR_MIN_PAIRS
) -> GrowthFit:
    """Fit the mean, AR(1) deviation and innovation sd of a series' annual log growth.

    Parameters
    ----------
    years : array_like (n,)
        Distinct years, n >= 2, in any order; gaps allowed (an interval of ``k`` years
        counts as ``k`` annual steps).
    values : array_like (n,)
        Positive levels.
    ar_min_pairs : int
        Consecutive pairs of annual growth rates needed to estimate ``ar``.

    Returns
    -------
    GrowthFit
        The estimators:

        - ``mu = Σ Δy_i / Σ k_i`` (the maximum-likelihood drift of a random walk with drift
          observed with gaps: the total log change over the years it took);
        - ``sd^2 = Σ (Δy_i - mu k_i)^2 / k_i / (m - 1)`` over the ``m`` intervals (an interval
          of ``k`` years has variance ``k sd^2`` when ``ar = 0``);
        - ``se(mu) = sd / (1 - ar) / sqrt(Σ k_i)`` (the long-run sd of an AR(1) mean);
        - ``ar``: least squares through the origin of ``g_t - mu`` on ``g_{t-1} - mu`` over
          consecutive annual growth rates, clipped to ``[-0.9, 0.9]``, with ``sd`` then the
          residual sd of that regression (``m - 2`` degrees of freedom). With fewer than
          ``ar_min_pairs`` pairs ``ar`` is *shrunk to 0*: a short series cannot tell
          persistence from noise, and an AR(1) estimate from a handful of points is biased
          towards zero and noisy enough to make forecasts worse.

    Raises
    ------
    ValueError
        Fewer than two points, repeated years or a value <= 0.
    """
    t, x = _as_xy(years, values, 2, "growth")
    if np.any(x <= 0):
        raise ValueError("a growth fit needs positive values")
    order = np.argsort(t)
    t, y = t[order], np.log(x[order])
    k = np.diff(t)
    d = np.diff(y)
    m = len(d)
    span = float(k.sum())
    mu = float(d.sum()) / span
    last_dev = float(d[-1] - mu) if k[-1] == 1 else 0.0
    if m < 2:
        return GrowthFit(tuple(int(v) for v in t), mu, None, None, 0.0, False, 0, last_dev)
    resid = d - mu * k
    sd = math.sqrt(float((resid * resid / k).sum()) / (m - 1))
    df = m - 1
    ar, estimated = 0.0, False
    annual = k == 1
    pairs = annual[1:] & annual[:-1]
    if int(pairs.sum()) >= ar_min_pairs:
        g = d - mu
        prev, cur = g[:-1][pairs], g[1:][pairs]
        sxx = float(prev @ prev)
        if sxx > 0:
            ar = float(np.clip(float(prev @ cur) / sxx, -AR_MAX, AR_MAX))
            e = cur - ar * prev
            sd = math.sqrt(float(e @ e) / (len(e) - 1))
            df = len(e) - 1
            estimated = True
    return GrowthFit(
        tuple(int(v) for v in t),
        mu,
        sd / (1.0 - ar) / math.sqrt(span),  # long-run sd of an AR(1) mean
        sd,
        ar,
        estimated,
        df,
        last_dev,
    )


def widening(df: int, level: float = 0.8) -> float:
    """Small-sample widening of a normal: ``t_df((1 + level) / 2) / z((1 + level) / 2)``.

    A normal whose sd is multiplied by this has the same central ``level`` interval as a
    Student t with ``df`` degrees of freedom and the same scale (3 points, ``df = 1``: 2.40;
    ``df = 4``: 1.19; large ``df``: 1). It is how a fragment, whose distributions are
    normal, carries the small-sample uncertainty of an estimated sd.
    """
    from scipy.stats import norm
    from scipy.stats import t as student

    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    p = (1.0 + level) / 2.0
    return float(student.ppf(p, df) / norm.ppf(p))
