"""Logistic growth: an S-curve towards a capacity."""

from typing import Literal

import numpy as np
from pydantic import Field

from clustersim.core import growth as g
from clustersim.kinds.growth.base import Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["Logistic"]


class Logistic(GrowthKind):
    """S-curve towards ``capacity``: ``x[t] = K / (1 + (K/x0 - 1) exp(-rate t))``."""

    kind: Literal["logistic"]
    capacity: Num
    rate: Num = Field(description="intrinsic growth rate per year (> 0)")

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        k = ctx.value(self.capacity, f"{path}.capacity", 0.0)
        r = ctx.value(self.rate, f"{path}.rate", 0.0)
        if np.any(k <= 0):
            raise ValueError(f"{path}.capacity: the capacity must be > 0")
        return CompiledGrowth(g.logistic_rates(x0, k, r, len(ctx.years)))
