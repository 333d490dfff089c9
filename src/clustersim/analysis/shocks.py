"""Estimating a scenario's ``shocks:`` from a history panel (issue 15, part 2).

Each series' annual log growth ``g_t = ln x_t - ln x_{t-1}`` is taken as its mean plus an
AR(1) deviation, ``r_t = g_t - mean(g) = ar r_{t-1} + e_t``: the model the projection draws
(``shocks: {sd, ar}`` in :mod:`clustersim.kinds.growth.base`). :func:`fit_shocks` estimates
per series ``ar`` (the lag-1 regression of the residuals through the origin, kept in
``[0, AR_MAX]``) and ``sd`` (of the innovations ``e_t``), then, over the years every series
has, the correlation of the innovations and a one-factor model of it: ``corr(e_i, e_j) =
sqrt(L_i L_j)`` for ``i != j``, ``L_i`` the share of series ``i``'s innovation variance from
the common factor (``loading:``), fitted by iterated principal axes.

A pure function over arrays: nothing here reads files or scenarios.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AR_MAX",
    "MIN_COMMON_GROWTHS",
    "MIN_SERIES_GROWTHS",
    "PRIOR_LOADING",
    "FactorEstimate",
    "ShockFit",
    "fit_shocks",
    "one_factor_loadings",
    "panel_factor",
]

Array = NDArray[np.float64]
#: the largest AR(1) coefficient a fit returns (the scenario allows [0, 1))
AR_MAX = 0.95


@dataclass(frozen=True)
class ShockFit:
    """Shock parameters estimated from a panel of series.

    Attributes
    ----------
    names : tuple of str (k,)
    years : tuple of int
        The growth years (``t`` of ``ln x_t - ln x_{t-1}``) every series has; the
        correlation and the loadings use those.
    mean : ndarray (k,)
        Mean annual log growth of each series.
    ar : ndarray (k,)
        AR(1) coefficient of each series' log-growth deviation, in ``[0, AR_MAX]``.
    sd : ndarray (k,)
        Standard deviation of each series' innovations (the ``shocks.sd`` of a scenario).
    correlation : ndarray (k, k)
        Correlation of the innovations over :attr:`years`.
    loading : ndarray (k,)
        Share of each series' innovation variance from one common factor (the
        ``shocks.loading`` of a shared ``factor``); NaN with fewer than two series.
    """

    names: tuple[str, ...]
    years: tuple[int, ...]
    mean: Array
    ar: Array
    sd: Array
    correlation: Array
    loading: Array

    def shocks(self, name: str, factor: str | None = None) -> dict[str, float | str]:
        """The ``shocks:`` block of series ``name`` (with ``factor``: its loading too)."""
        i = self.names.index(name)
        out: dict[str, float | str] = {"sd": float(self.sd[i]), "ar": float(self.ar[i])}
        if factor is not None and not math.isnan(self.loading[i]):
            out["factor"] = factor
            out["loading"] = float(self.loading[i])
        return out


def one_factor_loadings(corr: ArrayLike, iterations: int = 200) -> Array:
    """Shares ``L`` with ``corr[i, j] ~ sqrt(L_i L_j)`` off the diagonal (iterated
    principal axes: the leading eigenpair of ``corr`` with ``L`` on its diagonal).

    With two series the split is not identified; both get ``|corr[0, 1]|``.

    Parameters
    ----------
    corr : array (k, k)
        A correlation matrix.

    Returns
    -------
    ndarray (k,)
        In ``[0, 1]``.
    """
    r = np.array(corr, dtype=np.float64)
    k = r.shape[0]
    if r.shape != (k, k) or k < 2:
        raise ValueError(f"corr must be a square matrix of at least 2 series, got {r.shape}")
    if k == 2:
        return np.full(2, min(abs(float(r[0, 1])), 1.0))
    # start from each series' largest squared correlation with another
    off = r - np.diag(np.diag(r))
    h = np.max(off**2, axis=1)
    for _ in range(iterations):
        m = off + np.diag(h)
        w, v = np.linalg.eigh(m)
        lam = v[:, -1] * math.sqrt(max(float(w[-1]), 0.0))
        new = np.clip(lam**2, 0.0, 1.0)
        if np.max(np.abs(new - h)) < 1e-12:
            h = new
            break
        h = new
    return np.asarray(h, dtype=np.float64)


def fit_shocks(years: Sequence[int] | ArrayLike, panel: Mapping[str, ArrayLike]) -> ShockFit:
    """Estimate the yearly shocks of several series and their common factor.

    Parameters
    ----------
    years : array (n,) of int
        Consecutive years of the panel.
    panel : mapping of str to array (n,)
        Levels of each series (> 0; NaN where a year is missing).

    Returns
    -------
    ShockFit

    Raises
    ------
    ValueError
        Years not consecutive, a non-positive level, or a series with fewer than 4 growth
        years (an AR(1) and its innovations need at least 3 deviations).
    """
    y = np.asarray(years, dtype=np.int64)
    if y.ndim != 1 or len(y) < 2 or np.any(np.diff(y) != 1):
        raise ValueError("years must be consecutive (one value per year)")
    names = tuple(panel)
    if not names:
        raise ValueError("the panel has no series")
    innov = np.full((len(names), len(y) - 1), np.nan)
    means, ars, sds = [], [], []
    for i, name in enumerate(names):
        x = np.asarray(panel[name], dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"{name}: {x.shape[0]} values for {len(y)} years")
        if np.any(x[~np.isnan(x)] <= 0):
            raise ValueError(f"{name}: levels must be > 0 (log growth)")
        g = np.diff(np.log(x))  # NaN where either year is missing
        ok = ~np.isnan(g)
        if ok.sum() < 4:
            raise ValueError(f"{name}: needs at least 4 growth years, has {int(ok.sum())}")
        mu = float(np.mean(g[ok]))
        r = g - mu
        pairs = ok[1:] & ok[:-1]  # r_t and r_{t-1} both observed
        prev, cur = r[:-1][pairs], r[1:][pairs]
        phi = float(np.sum(cur * prev) / np.sum(prev * prev)) if np.any(prev) else 0.0
        phi = min(max(phi, 0.0), AR_MAX)
        e = np.full_like(r, np.nan)
        e[1:][pairs] = cur - phi * prev
        if phi == 0.0:
            e = r.copy()
        # innovations: the mean (and ar) are fitted, so ddof counts them
        ev = e[~np.isnan(e)]
        sd = float(np.sqrt(np.sum(ev**2) / max(len(ev) - 1 - (phi > 0.0), 1)))
        innov[i] = e
        means.append(mu)
        ars.append(phi)
        sds.append(sd)
    common = ~np.any(np.isnan(innov), axis=0)
    corr = np.eye(len(names))
    loading = np.full(len(names), np.nan)
    if len(names) >= 2 and common.sum() >= 3:
        corr = np.corrcoef(innov[:, common])
        loading = one_factor_loadings(corr)
    return ShockFit(
        names=names,
        years=tuple(int(t) for t in y[1:][common]),
        mean=np.array(means),
        ar=np.array(ars),
        sd=np.array(sds),
        correlation=corr,
        loading=loading,
    )


#: the loading of a shared factor when the panel is too short to estimate it: half of each
#: series' innovation variance common (the engine's default share, ``DEFAULT_LOADING``)
PRIOR_LOADING = 0.5
#: growth years each series needs, and common growth years the panel needs, for fit_shocks
MIN_SERIES_GROWTHS = 4
MIN_COMMON_GROWTHS = 3


@dataclass(frozen=True)
class FactorEstimate:
    """The loadings of one shared factor on a panel: estimated, or a documented prior.

    Attributes
    ----------
    names : tuple of str
    loading : dict of str to float
        Share of each series' innovation variance from the factor.
    estimated : bool
        True when :func:`fit_shocks` estimated them; False when the prior is used.
    growth_years : dict of str to tuple of int
        The annual growth years each series has (``t`` with ``t - 1`` and ``t`` observed).
    common_years : tuple of int
        The growth years every series has.
    reason : str
        Why the prior is used (empty when estimated), with the counts.
    """

    names: tuple[str, ...]
    loading: dict[str, float]
    estimated: bool
    growth_years: dict[str, tuple[int, ...]]
    common_years: tuple[int, ...]
    reason: str

    @property
    def text(self) -> str:
        """One sentence for a ``source:``: how the loadings were obtained."""
        common = ", ".join(str(y) for y in self.common_years) or "none"
        if self.estimated:
            shares = ", ".join(f"{n} {v:.3f}" for n, v in self.loading.items())
            return (
                f"one-factor fit (fit_shocks) of the innovations of {', '.join(self.names)} "
                f"over the {len(self.common_years)} common growth years ({common}): loadings {shares}"
            )
        return f"prior loading {PRIOR_LOADING:g} on every series: {self.reason}"


def panel_factor(
    panel: Mapping[str, Mapping[int, float]], *, prior: float = PRIOR_LOADING
) -> FactorEstimate:
    """Estimate one shared factor's loadings on a panel of levels, or use ``prior``.

    The loadings are :func:`fit_shocks`' when every series has at least
    :data:`MIN_SERIES_GROWTHS` annual growths (consecutive years both observed), there are
    at least two series and at least :data:`MIN_COMMON_GROWTHS` growth years common to all;
    otherwise every series gets ``prior`` and :attr:`FactorEstimate.reason` gives the counts.

    Parameters
    ----------
    panel : mapping of series name to {year: level}
        Levels (> 0) by year; gaps are allowed.
    prior : float
        The loading used when the panel is too short.
    """
    names = tuple(panel)
    if not names:
        raise ValueError("the panel has no series")
    growth: dict[str, tuple[int, ...]] = {
        n: tuple(sorted(t for t in panel[n] if t - 1 in panel[n])) for n in names
    }
    common = tuple(sorted(set.intersection(*(set(g) for g in growth.values()))))
    short = [n for n in names if len(growth[n]) < MIN_SERIES_GROWTHS]
    problems = []
    if len(names) < 2:
        problems.append("one series only (a shared factor needs two)")
    if short:
        problems.append(
            "annual growths per series "
            + ", ".join(f"{n} {len(growth[n])}" for n in names)
            + f" (fit_shocks needs {MIN_SERIES_GROWTHS} each)"
        )
    if len(common) < MIN_COMMON_GROWTHS:
        listed = ", ".join(str(y) for y in common) or "none"
        problems.append(
            f"{len(common)} overlapping growth year(s) ({listed}); the factor needs "
            f"{MIN_COMMON_GROWTHS}"
        )
    if problems:
        return FactorEstimate(
            names=names,
            loading={n: prior for n in names},
            estimated=False,
            growth_years=growth,
            common_years=common,
            reason="; ".join(problems),
        )
    years = range(min(min(panel[n]) for n in names), max(max(panel[n]) for n in names) + 1)
    fit = fit_shocks(
        list(years),
        {n: [panel[n].get(t, math.nan) for t in years] for n in names},
    )
    if np.any(np.isnan(fit.loading)):  # AR(1) innovations lost the overlap at a gap
        return FactorEstimate(
            names=names,
            loading={n: prior for n in names},
            estimated=False,
            growth_years=growth,
            common_years=fit.years,
            reason=f"{len(fit.years)} overlapping innovation year(s) after the AR(1) filter; "
            f"the factor needs {MIN_COMMON_GROWTHS}",
        )
    return FactorEstimate(
        names=names,
        loading={n: float(v) for n, v in zip(names, fit.loading, strict=True)},
        estimated=True,
        growth_years=growth,
        common_years=fit.years,
        reason="",
    )
