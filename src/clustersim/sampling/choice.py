"""A discrete choice among listed values (sweep designs only, not a scenario ``dist:``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from clustersim.sampling.base import Array, Distribution, InverseNormal

__all__ = ["Choice"]


@dataclass(frozen=True)
class Choice(Distribution):
    """A discrete choice among ``values``, each with probability ``1 / k``.

    Quantile ``u`` picks ``values[floor(u * k)]``, so a grid level ``(l + 0.5) / k`` picks
    ``values[l]`` exactly. Its central value is the middle value (the lower of the two
    middle ones for an even count).
    """

    name: ClassVar[str] = "choice"
    values: tuple[float, ...]

    @property
    def central(self) -> float:
        return self.values[(len(self.values) - 1) // 2]

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        vals = np.asarray(self.values, dtype=np.float64)
        bad = vals[(vals < lo) | (vals > hi)]
        if bad.size:
            raise ValueError(f"value {bad[0]:g} is outside the allowed [{lo:g}, {hi:g}]")
        k = len(vals)
        idx = np.minimum((np.asarray(u) * k).astype(np.intp), k - 1)
        out: Array = vals[idx]
        return out
