"""Constant growth: the same annual rate every year."""

from typing import Literal

from clustersim.core import growth as g
from clustersim.kinds.growth.base import RATE_LO, Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["Constant"]


class Constant(GrowthKind):
    """The same annual rate every year: ``x[t] = x[t-1] * (1 + rate)``."""

    reads_base = False
    kind: Literal["constant"] = "constant"
    rate: Num

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        return CompiledGrowth(g.constant_rates(ctx.value(self.rate, f"{path}.rate", RATE_LO)))
