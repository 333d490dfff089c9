"""Growth kinds: one module and one class each; this module is their one registry.

A growth block is ``{kind: <name>, ...}``; it may also be written as a bare number
(``growth: 0.05`` or ``"5%"``) or a bare distribution (``growth: {dist: normal, mean:
0.05, sd: 0.01}``): both mean ``{kind: constant, rate: ...}``.

Each kind is a :class:`GrowthKind`: pydantic fields and ``compile(ctx, x0, path)``, which
returns the annual rates ``(S', T')`` (see :mod:`clustersim.core.growth`) and any
elasticity links. :data:`GROWTH_KINDS` (tag -> class) is the one list of kinds: the
scenario model's :data:`Growth` union and the compiler read it. Adding a kind is one
module in this package and its line in :data:`GROWTH_KINDS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union, get_args

from pydantic import BeforeValidator, Field

from clustersim.kinds.growth.base import (
    RATE_LO,
    CompiledGrowth,
    GrowthContext,
    GrowthKind,
    Shocks,
)
from clustersim.kinds.growth.constant import Constant
from clustersim.kinds.growth.elasticity import Elasticity
from clustersim.kinds.growth.linear import Linear
from clustersim.kinds.growth.logistic import Logistic
from clustersim.kinds.growth.path import Path
from clustersim.kinds.growth.to_target import ToTarget
from clustersim.values.numbers import Dist, NumberText

__all__ = [
    "GROWTH_KINDS",
    "RATE_LO",
    "CompiledGrowth",
    "Constant",
    "Elasticity",
    "Growth",
    "GrowthContext",
    "GrowthKind",
    "Linear",
    "Logistic",
    "Path",
    "Shocks",
    "ToTarget",
]


def _tag(cls: type[GrowthKind]) -> str:
    """The ``kind`` a class answers to (its ``Literal`` annotation)."""
    (tag,) = get_args(cls.model_fields["kind"].annotation)
    return str(tag)


#: ``kind`` tag -> growth kind class, in the order the schema and messages list them
GROWTH_KINDS: dict[str, type[GrowthKind]] = {
    _tag(cls): cls for cls in (Constant, Path, Linear, ToTarget, Logistic, Elasticity)
}


def _shorthand(v: Any) -> Any:
    """``0.05``, ``"5%"`` or ``{dist: ...}`` mean ``{kind: constant, rate: v}``."""
    if isinstance(v, int | float | str) and not isinstance(v, bool):
        return {"kind": "constant", "rate": v}
    if isinstance(v, dict) and "dist" in v:
        return {"kind": "constant", "rate": v}
    if isinstance(v, dict) and "kind" not in v and "rate" in v:
        return {"kind": "constant", **v}
    return v


if TYPE_CHECKING:
    Growth = GrowthKind
else:
    _Kinds = Annotated[Union[tuple(GROWTH_KINDS.values())], Field(discriminator="kind")]  # noqa: UP007
    #: a growth block in a scenario: one of :data:`GROWTH_KINDS` or a shorthand
    Growth = Annotated[
        _Kinds,
        # the schema also shows the shorthands: a rate (0.05, "5%") or a bare distribution
        BeforeValidator(_shorthand, json_schema_input_type=_Kinds | float | NumberText | Dist),
    ]
