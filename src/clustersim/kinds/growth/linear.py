"""Linear growth: the rate moves in a straight line between two years."""

from typing import Literal

from clustersim.core import growth as g
from clustersim.kinds.growth.base import RATE_LO, Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["Linear"]


class Linear(GrowthKind):
    """The rate moves in a straight line from ``start`` (in ``from_year``) to ``end`` (in ``to_year``).

    Defaults: ``from_year`` is the first projected year, ``to_year`` the end year.
    """

    reads_base = False
    kind: Literal["linear"]
    start: Num
    end: Num
    from_year: int | None = None
    to_year: int | None = None

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        y0 = self.from_year if self.from_year is not None else int(ctx.years[0]) + 1
        y1 = self.to_year if self.to_year is not None else int(ctx.years[-1])
        if y1 <= y0:
            raise ValueError(f"{path}: to_year ({y1}) must be after from_year ({y0})")
        a = ctx.value(self.start, f"{path}.start", RATE_LO)
        b = ctx.value(self.end, f"{path}.end", RATE_LO)
        return CompiledGrowth(g.path_rates([y0, y1], [a, b], ctx.years, "linear"))
