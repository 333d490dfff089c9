"""The estimators calibration uses: pure functions over arrays, and their results.

- :func:`fit_loglinear`: compound growth, least squares of ``ln x_t = a + b (t - t̄)``;
  the rate is ``exp(b) - 1`` and its standard error ``exp(b) se(b)`` (delta method);
- :func:`fit_logistic`: logistic growth, nonlinear least squares of
  ``x_t = K / (1 + exp(-r (t - m)))`` (``scipy.optimize.curve_fit``) for the capacity ``K``
  and rate ``r``, with standard errors from the covariance of the estimates;
- :func:`fit_elasticity`: ``g = e G`` to another series, weighted least squares through the
  origin of one series' annual growth on the other's over the same intervals;
- :func:`growth_jumps`: intervals whose growth is far from the others' (candidate breaks).

Nothing here knows about scenarios, observed-data files or fragments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FIT_KINDS",
    "JUMP_MIN",
    "JUMP_SIGMAS",
    "CompoundFit",
    "ElasticityFit",
    "Fit",
    "LogisticFit",
    "fit_elasticity",
    "fit_logistic",
    "fit_loglinear",
    "growth_jumps",
]

Array = NDArray[np.float64]
#: the fits calibrate can make; the default for a series follows its growth kind
FIT_KINDS: tuple[str, ...] = ("compound", "logistic", "elasticity")
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
