"""To-target growth: the constant rate (implied CAGR) that reaches a value in a year."""

from typing import Literal

import numpy as np

from clustersim.core import growth as g
from clustersim.kinds.growth.base import Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["ToTarget"]


class ToTarget(GrowthKind):
    """Reach ``value`` in ``year`` at a constant rate (the implied CAGR), and keep that rate."""

    kind: Literal["to_target"]
    value: Num
    year: int

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        n = self.year - int(ctx.years[0])
        if n <= 0:
            raise ValueError(
                f"{path}.year: {self.year} must be after the base year {int(ctx.years[0])}"
            )
        if not np.all(x0 > 0):  # a rate that multiplies zero never reaches the target
            raise ValueError(
                f"{path}: to_target needs a positive base to grow from, the base is "
                f"{float(np.min(x0))!r}; set the base, or use a path or linear growth"
            )
        v = ctx.value(self.value, f"{path}.value", 0.0)
        return CompiledGrowth(g.to_target_rates(x0, v, n))
