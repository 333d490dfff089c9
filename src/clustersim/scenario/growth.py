"""Growth assumption kinds: one pydantic model each, registered by their ``kind``.

A growth block may also be written as a bare number (``growth: 0.05`` or ``"5%"``) or a
bare distribution (``growth: {dist: normal, mean: 0.05, sd: 0.01}``): both mean
``{kind: constant, rate: ...}``.

Each kind implements ``to_rates(ctx, x0, path)`` returning the annual rates array
``(S', T')`` (see :mod:`clustersim.core.growth`) and any elasticity links.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, Field, field_validator

from clustersim.core import growth as g
from clustersim.scenario.numbers import Dist, Num, NumberText, Strict

__all__ = [
    "GROWTH_KINDS",
    "Constant",
    "Elasticity",
    "Growth",
    "GrowthContext",
    "Linear",
    "Logistic",
    "Path",
    "ToTarget",
]

Array = NDArray[np.float64]
RATE_LO = -1.0 + 1e-9  # growth must stay above -100%


class GrowthContext(Protocol):
    """What a growth kind needs from the compiler."""

    years: NDArray[np.int64]

    def value(self, num: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> Array:
        """A number as a float array of shape ``(S',)``, sampled when uncertain."""
        ...


Elastic = tuple[str, Array]


class _Kind(Strict):
    source: str | None = None
    note: str | None = None


class Constant(_Kind):
    """The same annual rate every year: ``x[t] = x[t-1] * (1 + rate)``."""

    kind: Literal["constant"] = "constant"
    rate: Num

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        return g.constant_rates(ctx.value(self.rate, f"{path}.rate", RATE_LO)), []


class Path(_Kind):
    """Rates given for some years; ``step`` holds each until the next, ``linear`` interpolates."""

    kind: Literal["path"]
    rates: dict[int, Num] = Field(min_length=1, description="year -> annual rate")
    interpolation: Literal["step", "linear"] = "step"

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        knots = sorted(self.rates)
        vals = [ctx.value(self.rates[k], f"{path}.rates.{k}", RATE_LO) for k in knots]
        return g.path_rates(knots, vals, ctx.years, self.interpolation), []


class Linear(_Kind):
    """The rate moves in a straight line from ``start`` (in ``from_year``) to ``end`` (in ``to_year``).

    Defaults: ``from_year`` is the first projected year, ``to_year`` the end year.
    """

    kind: Literal["linear"]
    start: Num
    end: Num
    from_year: int | None = None
    to_year: int | None = None

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        y0 = self.from_year if self.from_year is not None else int(ctx.years[0]) + 1
        y1 = self.to_year if self.to_year is not None else int(ctx.years[-1])
        if y1 <= y0:
            raise ValueError(f"{path}: to_year ({y1}) must be after from_year ({y0})")
        a = ctx.value(self.start, f"{path}.start", RATE_LO)
        b = ctx.value(self.end, f"{path}.end", RATE_LO)
        return g.path_rates([y0, y1], [a, b], ctx.years, "linear"), []


class ToTarget(_Kind):
    """Reach ``value`` in ``year`` at a constant rate (the implied CAGR), and keep that rate."""

    kind: Literal["to_target"]
    value: Num
    year: int

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        n = self.year - int(ctx.years[0])
        if n <= 0:
            raise ValueError(
                f"{path}.year: {self.year} must be after the base year {int(ctx.years[0])}"
            )
        v = ctx.value(self.value, f"{path}.value", 0.0)
        return g.to_target_rates(x0, v, n), []


class Logistic(_Kind):
    """S-curve towards ``capacity``: ``x[t] = K / (1 + (K/x0 - 1) exp(-rate t))``."""

    kind: Literal["logistic"]
    capacity: Num
    rate: Num = Field(description="intrinsic growth rate per year (> 0)")

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        k = ctx.value(self.capacity, f"{path}.capacity", 0.0)
        r = ctx.value(self.rate, f"{path}.rate", 0.0)
        if np.any(k <= 0):
            raise ValueError(f"{path}.capacity must be > 0")
        return g.logistic_rates(x0, k, r, len(ctx.years)), []


class Elasticity(_Kind):
    """Growth proportional to another series' growth: ``g[t] = elasticity * growth(to)[t]``.

    ``to`` names a region series (``gdp``, ``industrial_output``...) or, for a cluster
    series, another series of the same cluster (``output``).
    """

    kind: Literal["elasticity"]
    to: str
    elasticity: Num

    def to_rates(self, ctx: GrowthContext, x0: Array, path: str) -> tuple[Array, list[Elastic]]:
        e = ctx.value(self.elasticity, f"{path}.elasticity")
        return np.zeros((1, 1)), [(self.to, e)]

    @field_validator("to")
    @classmethod
    def _ident(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"'to' must name a series, got {v!r}")
        return v


def _shorthand(v: Any) -> Any:
    """``0.05``, ``"5%"`` or ``{dist: ...}`` mean ``{kind: constant, rate: v}``."""
    if isinstance(v, int | float | str) and not isinstance(v, bool):
        return {"kind": "constant", "rate": v}
    if isinstance(v, dict) and "dist" in v:
        return {"kind": "constant", "rate": v}
    if isinstance(v, dict) and "kind" not in v and "rate" in v:
        return {"kind": "constant", **v}
    return v


_GrowthModels = Constant | Path | Linear | ToTarget | Logistic | Elasticity
Growth = Annotated[
    _GrowthModels,
    Field(discriminator="kind"),
    # the schema also shows the shorthands: a rate (0.05, "5%") or a bare distribution
    BeforeValidator(
        _shorthand,
        json_schema_input_type=Annotated[_GrowthModels, Field(discriminator="kind")]
        | float
        | NumberText
        | Dist,
    ),
]
GROWTH_KINDS: tuple[str, ...] = (
    "constant",
    "path",
    "linear",
    "to_target",
    "logistic",
    "elasticity",
)
