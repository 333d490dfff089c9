"""The triangular distribution."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from clustersim.sampling.base import NO_MASS, Array, Distribution, InverseNormal

__all__ = ["Triangular"]


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular with ``low <= mode <= high``; its central value is the mode."""

    name: ClassVar[str] = "triangular"
    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        if not (self.low <= self.mode <= self.high) or self.low >= self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )

    @property
    def central(self) -> float:
        return self.mode

    def cdf(self, x: float) -> float:
        """``F(x)``: 0 below ``low``, two parabolas joined at ``mode``, 1 above ``high``."""
        a, c, b = self.low, self.mode, self.high
        if x <= a:
            return 0.0
        if x >= b:
            return 1.0
        if x <= c:
            return (x - a) ** 2 / ((b - a) * (c - a))
        return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        fa, w, fc, a, b, ba, ca, bc, lo_, hi_ = self.constants(lo, hi)
        q = fa + np.asarray(u) * w
        # np.where(q < fc, left, right) with each branch computed only where it is taken
        # (the same expressions element by element, so the same doubles; half the work)
        # left = a + sqrt(q (b - a) (c - a)), right = b - sqrt((1 - q) (b - a) (b - c))
        out = np.empty_like(q)
        m = q < fc
        ql = q[m]
        out[m] = a + np.sqrt(ql * ba * ca)
        qr = q[~m]
        out[~m] = b - np.sqrt((1.0 - qr) * ba * bc)
        return np.clip(out, lo_, hi_, out=out)

    def constants(self, lo: float, hi: float) -> tuple[float, ...]:
        """What :meth:`ppf` works out within ``[lo, hi]``: ``(F(lo), F(hi) - F(lo), F(mode),
        low, high, high - low, mode - low, high - mode, lo', hi')`` (quantiles within
        ``[F(lo), F(hi)]``, the clip's bounds ``lo', hi'``), for
        :mod:`clustersim.sampling.columns` too.

        Raises
        ------
        ValueError
            When there is no mass between the bounds.
        """
        a, c, b = self.low, self.mode, self.high
        fa, fb = self.cdf(lo), self.cdf(hi)  # truncation: quantiles within [F(lo), F(hi)]
        if fb - fa < NO_MASS:
            raise ValueError(f"triangular({a}, {c}, {b}) has no mass in [{lo}, {hi}]")
        return (fa, fb - fa, (c - a) / (b - a), a, b, b - a, c - a, b - c, max(lo, a), min(hi, b))
