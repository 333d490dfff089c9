"""To-target growth: the constant rate (implied CAGR) that reaches a value in a year."""

from __future__ import annotations

from typing import Literal

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
        v = ctx.value(self.value, f"{path}.value", 0.0)
        return CompiledGrowth(g.to_target_rates(x0, v, n))
