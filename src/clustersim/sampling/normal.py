"""The normal distribution, optionally truncated."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from clustersim.sampling.base import (
    NO_MASS,
    POSITIVE,
    Array,
    Distribution,
    InverseNormal,
    ndtr,
)
from clustersim.sampling.base import (
    ndtri as default_ndtri,
)

__all__ = ["Normal"]


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal, optionally truncated to ``[low, high]``."""

    name: ClassVar[str] = "normal"
    mean: float
    sd: float = field(metadata=POSITIVE)
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if not self.sd > 0:
            raise ValueError(f"sd must be > 0, got {self.sd}")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")

    @property
    def central(self) -> float:
        return self.mean

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        ndtri = inverse_normal or default_ndtri
        kind, (m, sd, a, w, lo, hi) = self.branch(lo, hi)
        if kind == "free":  # bounds beyond float reach (a rate 50 sd above -100%)
            x = ndtri(u)
            x *= sd
            x += m
            return x
        if kind == "tail":
            # upper tail: F(lo) rounds towards 1 (F(6 sd) = 1 - 1e-9) and a quantile near
            # 1 gives +inf; mirror it, x = mean - sd * ndtri(q) with q within
            # [1 - F(hi), 1 - F(lo)], where the probabilities are small and exact
            q = a + (1.0 - u) * w  # 1 - u is exact where it matters, near u = 1
            return np.clip(m - sd * ndtri(q), lo, hi)
        # truncation: quantiles within [F(lo), F(hi)]
        q = a + u * w
        return np.clip(m + sd * ndtri(q), lo, hi)

    def branch(self, lo: float, hi: float) -> tuple[str, tuple[float, ...]]:
        """Which form :meth:`ppf` takes within ``[lo, hi]`` (``free``: no truncation within
        float reach; ``tail``: mirrored upper tail; ``trunc``) and its constants ``(mean,
        sd, a, b - a, lo', hi')``, ``[a, b]`` the probabilities drawn from and ``[lo', hi']``
        the bounds met with the distribution's own (:mod:`clustersim.sampling.columns` draws
        many columns with them).

        Raises
        ------
        ValueError
            When there is no mass between the bounds.
        """
        lo = max(lo, self.low if self.low is not None else -math.inf)
        hi = min(hi, self.high if self.high is not None else math.inf)
        a, b = ndtr((lo - self.mean) / self.sd), ndtr((hi - self.mean) / self.sd)
        if b - a < NO_MASS:
            raise ValueError(f"normal(mean={self.mean}, sd={self.sd}) has no mass in [{lo}, {hi}]")
        if a == 0.0 and b == 1.0:
            return "free", (self.mean, self.sd, 0.0, 0.0, lo, hi)
        if lo > self.mean:
            a2, b2 = ndtr((self.mean - hi) / self.sd), ndtr((self.mean - lo) / self.sd)
            return "tail", (self.mean, self.sd, a2, b2 - a2, lo, hi)
        return "trunc", (self.mean, self.sd, a, b - a, lo, hi)
