"""Path growth: rates given for some years, held or interpolated between them."""

from typing import Literal

from pydantic import Field

from clustersim.core import growth as g
from clustersim.kinds.growth.base import RATE_LO, Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["Path"]


class Path(GrowthKind):
    """Rates given for some years; ``step`` holds each until the next, ``linear`` interpolates."""

    reads_base = False
    kind: Literal["path"]
    rates: dict[int, Num] = Field(min_length=1, description="year -> annual rate")
    interpolation: Literal["step", "linear"] = "step"

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        knots = sorted(self.rates)
        vals = [ctx.value(self.rates[k], f"{path}.rates.{k}", RATE_LO) for k in knots]
        return CompiledGrowth(g.path_rates(knots, vals, ctx.years, self.interpolation))
