"""The uniform distribution."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from clustersim.sampling.base import Array, Distribution, InverseNormal

__all__ = ["Uniform"]


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    name: ClassVar[str] = "uniform"
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")

    @property
    def central(self) -> float:
        return 0.5 * (self.low + self.high)

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        a, b = max(lo, self.low), min(hi, self.high)
        if b <= a:
            raise ValueError(f"uniform({self.low}, {self.high}) has no mass in [{lo}, {hi}]")
        return a + u * (b - a)
