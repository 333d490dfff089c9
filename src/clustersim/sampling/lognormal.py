"""The lognormal distribution, given by its median, optionally truncated."""

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

__all__ = ["LogNormal"]


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal given by its median and the standard deviation ``sigma`` of its log."""

    name: ClassVar[str] = "lognormal"
    median: float = field(metadata=POSITIVE)
    sigma: float = field(metadata=POSITIVE)
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        for what in ("median", "sigma"):
            if not getattr(self, what) > 0:
                raise ValueError(f"{what} must be > 0, got {getattr(self, what)}")

    @property
    def central(self) -> float:
        return self.median

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        ndtri = inverse_normal or default_ndtri
        kind, (mu, sigma, a, w, lo, hi) = self.branch(lo, hi)
        if (
            kind == "log-tail"
        ):  # upper tail: mirrored, as for the normal (a quantile near 1 is +inf)
            return np.clip(np.exp(mu - sigma * ndtri(a + (1.0 - u) * w)), lo, hi)
        return np.clip(np.exp(mu + sigma * ndtri(a + u * w)), lo, hi)

    def branch(self, lo: float, hi: float) -> tuple[str, tuple[float, ...]]:
        """Which form :meth:`ppf` takes within ``[lo, hi]`` (``log-tail``: mirrored upper
        tail; ``log-trunc``) and its constants ``(log median, sigma, a, b - a, lo', hi')``, as
        :meth:`clustersim.sampling.Normal.branch` gives them for the log.

        Raises
        ------
        ValueError
            When there is no mass between the bounds.
        """
        lo = max(lo, self.low if self.low is not None else 0.0, 0.0)
        hi = min(hi, self.high if self.high is not None else math.inf)
        if hi <= lo:  # bounds at or below zero: a lognormal is positive
            raise ValueError(f"lognormal(median={self.median}) has no mass in [{lo}, {hi}]")
        mu = math.log(self.median)
        la = -math.inf if lo <= 0 else (math.log(lo) - mu) / self.sigma
        lb = math.inf if hi == math.inf else (math.log(hi) - mu) / self.sigma
        a, b = ndtr(la), ndtr(lb)
        if b - a < NO_MASS:
            raise ValueError(f"lognormal(median={self.median}) has no mass in [{lo}, {hi}]")
        if la > 0:
            a2, b2 = ndtr(-lb), ndtr(-la)
            return "log-tail", (mu, self.sigma, a2, b2 - a2, lo, hi)
        return "log-trunc", (mu, self.sigma, a, b - a, lo, hi)
