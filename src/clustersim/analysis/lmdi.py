"""Additive LMDI-I decomposition of the change in a regional intensity (Ang 2004, 2005).

Regional energy intensity splits over the clusters and the rest of the economy::

    I = E / GDP = sum_i (E_i / VA_i) (VA_i / GDP) + E_rest / GDP = sum_i e_i s_i + r

with ``e_i`` the cluster's energy per unit of value added (its intensity) and ``s_i`` its
value added as a share of GDP (the structure). R&D intensity reads the same with R&D per
unit of output and output as a share of GDP. Between years 0 and T, with ``I_i = e_i s_i``
and the logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)`` (``L(a, a) = a``), the
additive LMDI-I effects of cluster ``i`` are

    structure_i = L(I_i^T, I_i^0) ln(s_i^T / s_i^0)
    intensity_i = L(I_i^T, I_i^0) ln(e_i^T / e_i^0)

and ``structure_i + intensity_i = I_i^T - I_i^0`` exactly (the logs add up to
``ln(I_i^T / I_i^0)``), so with the rest's change ``r^T - r^0`` the effects sum to the total
change ``I^T - I^0`` with no residual. A cluster whose ``I_i`` is zero in one of the two years
(it enters or leaves) has ``L = 0``: its whole change goes to the factor that is zero (Ang &
Liu 2007's small-value limit); a cluster zero in both contributes nothing.

Everything is vectorised over samples, clusters and years: per year (``t - 1`` to ``t``) and
over a window (its first year to its last, directly: LMDI-I is not additive over chained
years, the window's effects are not the sum of the yearly ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError

__all__ = ["METRICS", "Decomposition", "decompose_series", "lmdi_pair", "logmean"]

Array = NDArray[np.float64]

#: metric -> (cluster numerator, cluster structure base, region rest, region denominator)
METRICS: dict[str, tuple[str, str, str, str]] = {
    "energy_intensity": ("energy", "value_added", "energy_rest", "gdp"),
    "rd_intensity": ("rd", "output", "rd_rest", "gdp"),
}

PERCENTILES = (5, 50, 95)


def logmean(a: Array, b: Array) -> Array:
    """The logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``, ``L(a, a) = a``, and 0
    when either is 0 (its limit). Elementwise over arrays of non-negative numbers."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(a.shape)
    pos = (a > 0) & (b > 0)
    same = pos & (a == b)
    diff = pos & (a != b)
    out[same] = a[same]
    out[diff] = (a[diff] - b[diff]) / (np.log(a[diff]) - np.log(b[diff]))
    return out


def lmdi_pair(
    num0: Array, base0: Array, den0: Array, num1: Array, base1: Array, den1: Array
) -> tuple[Array, Array]:
    """Structure and intensity effects of each cluster between two years.

    Parameters
    ----------
    num0, base0, num1, base1 : float arrays (..., C)
        Cluster numerator (energy, R&D) and structure base (value added, output).
    den0, den1 : float arrays (...,)
        Region denominator (GDP).

    Returns
    -------
    structure, intensity : float arrays (..., C)
    """
    d0, d1 = den0[..., None], den1[..., None]
    i0, i1 = num0 / d0, num1 / d1
    w = logmean(i1, i0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_log = np.log((base1 / d1) / (base0 / d0))
        e_log = np.log((num1 / base1) / (num0 / base0))
    live = w > 0
    structure = np.where(live, w * np.where(live, s_log, 0.0), 0.0)
    intensity = np.where(live, w * np.where(live, e_log, 0.0), 0.0)
    # entering or leaving: the whole change to the factor that is zero
    change = i1 - i0
    jump = ~live & (change != 0)
    share_zero = (base0 == 0) | (base1 == 0)
    structure = np.where(jump & share_zero, change, structure)
    intensity = np.where(jump & ~share_zero, change, intensity)
    return structure, intensity


def _summary(a: Array) -> dict[str, float]:
    """Median and 5th/95th percentiles over the sample axis (axis 0) of an ``(S,)`` array."""
    q = np.percentile(a, PERCENTILES)
    return {f"p{p}": float(v) for p, v in zip(PERCENTILES, q, strict=True)}


@dataclass(frozen=True)
class Decomposition:
    """The LMDI-I effects of one metric.

    Attributes
    ----------
    metric : str
    years : int array (T,)
        The years decomposed (``start .. end``).
    clusters : tuple of str (C,)
    structure, intensity : float arrays (S, C, T - 1)
        Per year: effect of year ``years[k]`` to ``years[k + 1]``.
    rest, total : float arrays (S, T - 1)
        The change outside the clusters and the total change, per year.
    window_structure, window_intensity : float arrays (S, C)
    window_rest, window_total : float arrays (S,)
        First year to last, directly.
    level : float array (S, T)
        The metric itself.
    """

    scenario: str
    metric: str
    years: NDArray[np.int64]
    clusters: tuple[str, ...]
    structure: Array
    intensity: Array
    rest: Array
    total: Array
    window_structure: Array
    window_intensity: Array
    window_rest: Array
    window_total: Array
    level: Array

    def __post_init__(self) -> None:
        s, c, t = self.structure.shape[0], len(self.clusters), len(self.years)
        for name, arr, shape in (
            ("structure", self.structure, (s, c, t - 1)),
            ("intensity", self.intensity, (s, c, t - 1)),
            ("rest", self.rest, (s, t - 1)),
            ("total", self.total, (s, t - 1)),
            ("window_structure", self.window_structure, (s, c)),
            ("window_intensity", self.window_intensity, (s, c)),
            ("window_rest", self.window_rest, (s,)),
            ("window_total", self.window_total, (s,)),
            ("level", self.level, (s, t)),
        ):
            if arr.shape != shape:
                raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")

    @property
    def samples(self) -> int:
        return int(self.structure.shape[0])

    def residual(self) -> float:
        """Largest ``|sum of effects - total change|`` over samples and years, window included."""
        per_year = self.structure.sum(axis=1) + self.intensity.sum(axis=1) + self.rest - self.total
        window = (
            self.window_structure.sum(axis=1)
            + self.window_intensity.sum(axis=1)
            + self.window_rest
            - self.window_total
        )
        return float(max(np.max(np.abs(per_year), initial=0.0), np.max(np.abs(window))))

    def to_dict(self) -> dict[str, Any]:
        """Percentiles (p5, p50, p95 over samples) of every effect, window and per year."""
        ys = [int(y) for y in self.years]
        per_year = []
        for k in range(len(ys) - 1):
            per_year.append(
                {
                    "from": ys[k],
                    "to": ys[k + 1],
                    "structure": _summary(self.structure[:, :, k].sum(axis=1)),
                    "intensity": _summary(self.intensity[:, :, k].sum(axis=1)),
                    "rest": _summary(self.rest[:, k]),
                    "total": _summary(self.total[:, k]),
                }
            )
        clusters = [
            {
                "cluster": c,
                "structure": _summary(self.window_structure[:, i]),
                "intensity": _summary(self.window_intensity[:, i]),
            }
            for i, c in enumerate(self.clusters)
        ]
        return {
            "scenario": self.scenario,
            "metric": self.metric,
            "from": ys[0],
            "to": ys[-1],
            "samples": self.samples,
            "start_value": _summary(self.level[:, 0]),
            "end_value": _summary(self.level[:, -1]),
            "window": {
                "structure": _summary(self.window_structure.sum(axis=1)),
                "intensity": _summary(self.window_intensity.sum(axis=1)),
                "rest": _summary(self.window_rest),
                "total": _summary(self.window_total),
                "clusters": clusters,
            },
            "per_year": per_year,
            "residual": self.residual(),
        }


def decompose_series(
    series: Mapping[str, Array],
    years: NDArray[np.int64],
    clusters: tuple[str, ...],
    *,
    metric: str = "energy_intensity",
    start: int | None = None,
    end: int | None = None,
    scenario: str = "",
) -> Decomposition:
    """Decompose ``metric`` over ``start .. end`` from projected series.

    Parameters
    ----------
    series : mapping of str to array
        ``(S, T)`` region and ``(S, C, T)`` cluster series of a run (``Result.series`` or a
        results directory's), with the metric's parts (:data:`METRICS`).
    years : int array (T,)
    start, end : int, optional
        The window (default: the whole projection).

    Raises
    ------
    ClusterSimError
        An unknown metric, a missing series, a window outside the years.
    """
    if metric not in METRICS:
        raise ClusterSimError(f"--metric: {metric!r} is not one of {', '.join(METRICS)}")
    num_n, base_n, rest_n, den_n = METRICS[metric]
    ys = [int(y) for y in years]
    start = ys[0] if start is None else start
    end = ys[-1] if end is None else end
    if not (ys[0] <= start < end <= ys[-1]):
        raise ClusterSimError(
            f"--from/--to: {start}-{end} is not a window of the projection {ys[0]}-{ys[-1]}"
        )
    if den_n not in series:
        raise ClusterSimError(f"{scenario}: no {den_n} series; nothing to decompose")
    den = np.asarray(series[den_n], dtype=np.float64)
    s = den.shape[0]
    t = len(ys)
    c = len(clusters)
    num = series.get(num_n)
    if num is None:
        if rest_n not in series:
            raise ClusterSimError(
                f"{scenario}: {metric}: neither cluster {num_n} nor {rest_n} is projected; "
                "nothing to decompose"
            )
        num = np.zeros((s, c, t))
        base = np.ones((s, c, t))
    else:
        if base_n not in series:
            raise ClusterSimError(f"{scenario}: {metric}: no cluster {base_n} series")
        base = np.asarray(series[base_n], dtype=np.float64)
    num = np.asarray(num, dtype=np.float64)
    rest = np.asarray(series.get(rest_n, np.zeros((s, t))), dtype=np.float64)
    a, b = ys.index(start), ys.index(end) + 1
    num, base, den, rest = num[..., a:b], base[..., a:b], den[:, a:b], rest[:, a:b]
    level = (num.sum(axis=1) + rest) / den
    r = rest / den
    st, it = lmdi_pair(
        num[..., :-1].swapaxes(1, 2),
        base[..., :-1].swapaxes(1, 2),
        den[:, :-1],
        num[..., 1:].swapaxes(1, 2),
        base[..., 1:].swapaxes(1, 2),
        den[:, 1:],
    )
    ws, wi = lmdi_pair(
        num[..., 0], base[..., 0], den[:, 0], num[..., -1], base[..., -1], den[:, -1]
    )
    return Decomposition(
        scenario,
        metric,
        np.arange(start, end + 1, dtype=np.int64),
        clusters,
        st.swapaxes(1, 2),
        it.swapaxes(1, 2),
        np.diff(r, axis=1),
        np.diff(level, axis=1),
        ws,
        wi,
        r[:, -1] - r[:, 0],
        level[:, -1] - level[:, 0],
        level,
    )
