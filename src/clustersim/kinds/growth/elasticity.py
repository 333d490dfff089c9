"""Elasticity growth: proportional to another series' growth."""

from typing import Literal

import numpy as np
from pydantic import field_validator

from clustersim.kinds.growth.base import Array, CompiledGrowth, GrowthContext, GrowthKind
from clustersim.values.numbers import Num

__all__ = ["Elasticity"]


class Elasticity(GrowthKind):
    """Growth proportional to another series' growth: ``g[t] = elasticity * growth(to)[t]``.

    ``to`` names a region series (``gdp``, ``industrial_output``...) or, for a cluster
    series, another series of the same cluster (``output``).
    """

    reads_base = False
    kind: Literal["elasticity"]
    to: str
    elasticity: Num

    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        e = ctx.value(self.elasticity, f"{path}.elasticity")
        # no rates of its own: the projection follows ``to`` through the link
        return CompiledGrowth(np.zeros((1, 1)), ((self.to, e),))

    @field_validator("to")
    @classmethod
    def _ident(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"'to' must name a series, got {v!r}")
        return v
