"""Growth-rate functions, one per growth kind (numpy only).

Each returns an array of annual rates shaped ``(S', T')`` with ``S'`` in ``{1, S}`` and
``T'`` in ``{1, T}``: a growth assumption that does not vary by year keeps ``T' = 1`` so
no ``(S, T)`` array is materialised for it. Parameters are floats or ``(S,)`` arrays
(sampled). ``rates[:, 0]`` (the base year) is ignored by :func:`~clustersim.core.kernels.compound`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clustersim.core.kernels import growth_of, logistic_levels

__all__ = [
    "ar1",
    "ar1_years",
    "constant_rates",
    "interpolation_weights",
    "logistic_rates",
    "path_rates",
    "shocked_rates",
    "shocked_rates_years",
    "to_target_rates",
]

Array = NDArray[np.float64]


def _col(x: ArrayLike) -> Array:
    """A float or ``(S,)`` array as an ``(S', 1)`` column."""
    a = np.atleast_1d(np.asarray(x, dtype=np.float64))
    return a.reshape(-1, 1)


def constant_rates(rate: ArrayLike) -> Array:
    """The same rate every year: ``(S', 1)``."""
    return _col(rate)


def interpolation_weights(
    knots: Sequence[int], years: NDArray[np.int64], interpolation: str
) -> Array:
    """Weights ``W (T, K)`` such that ``rates = values (S', K) @ W.T``.

    ``step`` holds each knot's value until the next knot; ``linear`` interpolates
    between knots. Before the first knot the first value holds, after the last the last.
    """
    k = np.asarray(knots, dtype=np.float64)
    y = years.astype(np.float64)
    w = np.zeros((len(y), len(k)))
    idx = np.searchsorted(k, y, side="right") - 1  # last knot <= year
    before = idx < 0
    idx = np.clip(idx, 0, len(k) - 1)
    if interpolation == "step" or len(k) == 1:
        w[np.arange(len(y)), idx] = 1.0
        return w
    nxt = np.minimum(idx + 1, len(k) - 1)
    span = k[nxt] - k[idx]
    frac = np.where(span > 0, (y - k[idx]) / np.where(span > 0, span, 1.0), 0.0)
    frac = np.where(before, 0.0, frac)
    rows = np.arange(len(y))
    np.add.at(w, (rows, idx), 1.0 - frac)
    np.add.at(w, (rows, nxt), frac)
    return w


def path_rates(
    knots: Sequence[int],
    values: Sequence[ArrayLike],
    years: NDArray[np.int64],
    interpolation: str = "step",
) -> Array:
    """Rates given at some years, held (``step``) or interpolated (``linear``) between.

    Parameters
    ----------
    knots : sequence of int, increasing
        Years at which a rate is given.
    values : sequence of float or (S,) arrays
        Rate at each knot.
    years : array (T,)
        The projection years.

    Returns
    -------
    array (S', T)
    """
    cols = np.broadcast_arrays(*[_col(v) for v in values])
    vals = np.concatenate(cols, axis=1)  # (S', K)
    w = _weights(tuple(knots), tuple(years.tolist()), interpolation)
    out: Array = vals @ w.T
    return out


@functools.lru_cache(maxsize=1024)
def _weights(knots: tuple[int, ...], years: tuple[int, ...], interpolation: str) -> Array:
    """:func:`interpolation_weights`, computed once per knots and years (a sweep compiles
    the same paths for every chunk); read only."""
    w = interpolation_weights(knots, np.array(years, dtype=np.int64), interpolation)
    w.flags.writeable = False
    return w


def to_target_rates(x0: ArrayLike, value: ArrayLike, n_years: int) -> Array:
    """The constant rate that takes ``x0`` to ``value`` in ``n_years``: the implied CAGR.

    ``r = (value / x0) ** (1 / n_years) - 1``; returns ``(S', 1)``.
    """
    out: Array = np.power(_col(value) / _col(x0), 1.0 / n_years) - 1.0
    return out


def logistic_rates(x0: ArrayLike, capacity: ArrayLike, rate: ArrayLike, n_years: int) -> Array:
    """Annual growth rates of the logistic curve from ``x0`` to ``capacity`` (``(S', T)``)."""
    levels = logistic_levels(_col(x0)[:, 0], _col(capacity)[:, 0], _col(rate)[:, 0], n_years)
    return growth_of(levels)


def ar1(innovations: Array, ar: float) -> Array:
    """The AR(1) recursion ``d[:, k] = ar * d[:, k-1] + e[:, k]`` from ``d[:, -1] = 0``.

    Parameters
    ----------
    innovations : array (S, n)
        ``e``, one row per sample, one column per projected year.
    ar : float
        In [0, 1); 0 returns ``innovations`` itself (a random walk of the log level).

    Returns
    -------
    array (S, n)
    """
    if ar == 0.0:
        return innovations
    d = np.array(innovations, dtype=np.float64)
    for k in range(1, d.shape[1]):  # a loop over years; each step vectorised over samples
        d[:, k] += ar * d[:, k - 1]
    return d


def shocked_rates(rates: Array, deviations: Array, out: Array | None = None) -> Array:
    """Rates with log-growth deviations: ``(1 + r[t]) * exp(d[t]) - 1`` for ``t >= 1``.

    Parameters
    ----------
    rates : array (S', T')
        A growth's own rates (``T' = 1``: the same every year).
    deviations : array (S, T - 1)
        ``d`` of every projected year (the base year, column 0 of the result, is kept).

    out : array (S, T), optional
        Where to write the result (a view of a larger array is fine).

    Returns
    -------
    array (S, T)
        ``ln(1 + out[:, t]) = ln(1 + rates[:, t]) + d[:, t - 1]``.
    """
    s, n = deviations.shape
    if out is None:
        out = np.empty((s, n + 1))
    out[:, 0] = rates[:, 0]
    tail = out[:, 1:]
    np.exp(deviations, out=tail)
    tail *= 1.0 + (rates if rates.shape[1] == 1 else rates[:, 1:])
    tail -= 1.0
    return out


def ar1_years(innovations: Array, ar: float) -> Array:
    """:func:`ar1` of innovations stored year first, ``(n, S)``, in place: row ``k`` becomes
    ``ar * d[k - 1] + e[k]``, the same numbers as ``ar1(innovations.T, ar).T``, each step a
    contiguous row instead of a strided column."""
    if ar != 0.0:
        for k in range(1, innovations.shape[0]):
            innovations[k] += ar * innovations[k - 1]
    return innovations


def shocked_rates_years(rates: Array, deviations: Array, out: Array) -> Array:
    """:func:`shocked_rates` year first: ``deviations (T - 1, S)`` into ``out (T, S)``, the same
    numbers as ``shocked_rates(rates, deviations.T).T``."""
    out[0] = rates[:, 0]
    tail = out[1:]
    np.exp(deviations, out=tail)
    tail *= 1.0 + (rates.T if rates.shape[1] == 1 else rates[:, 1:].T)
    tail -= 1.0
    return out
