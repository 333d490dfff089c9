"""Numbers in a scenario: plain values, sourced observations and distributions.

Anywhere the scenario format takes a number (a base value, a rate, a capacity...) it
accepts one of:

- a plain number, or a percentage string: ``0.12`` or ``"12%"``;
- an observation ``{value: 2226.9, months: 7, source: ...}``; a partial-year value
  (``months`` < 12) is annualised pro rata, ``value * 12 / months``;
- a distribution sampled in Monte Carlo runs (its central value in a plain run):
  ``{dist: normal, mean, sd}``, ``{dist: lognormal, median, sigma}``,
  ``{dist: uniform, low, high}``, ``{dist: triangular, low, mode, high}``. Normal and
  lognormal take optional ``low``/``high`` truncation; every distribution is also
  truncated to the natural bounds of the field it sits in (a growth rate stays above
  -100%, a share in [0, 1], a level at or above 0).

The distribution models are built from the registry :data:`clustersim.sampling.DISTRIBUTIONS`
and hold fields only; sampling (inverse CDF of uniforms, truncation) is
:mod:`clustersim.sampling`'s.
"""

import dataclasses
import math
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, Union

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    create_model,
    model_validator,
)

from clustersim.sampling import DISTRIBUTIONS, Distribution, InverseNormal

__all__ = [
    "DIST_MODELS",
    "Dist",
    "LogNormal",
    "Normal",
    "Num",
    "Observed",
    "Triangular",
    "Uniform",
    "central",
    "parse_number",
]

Array = NDArray[np.float64]
_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*%\s*$")


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def parse_number(v: Any) -> Any:
    """``"12%"`` -> 0.12 and ``"1,000"`` -> 1000.0; anything else passes through."""
    if isinstance(v, str):
        m = _PERCENT.match(v)
        if m:
            return float(m.group(1)) / 100.0
        s = v.replace(",", "").replace("_", "").strip()
        try:
            return float(s)
        except ValueError:
            return v
    return v


#: what the JSON Schema accepts for a number: a float, or a string such as "12%" or "1,000"
NumberText = Annotated[
    str,
    StringConstraints(
        pattern=r"^\s*([-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*%"
        r"|[-+]?([0-9][0-9,_]*)?\.?[0-9]*([eE][-+]?[0-9]+)?)\s*$"
    ),
]
Float = Annotated[
    float,
    Field(allow_inf_nan=False),
    BeforeValidator(parse_number, json_schema_input_type=float | NumberText),
]
Positive = Annotated[
    float,
    Field(gt=0, allow_inf_nan=False),
    BeforeValidator(parse_number, json_schema_input_type=float | NumberText),
]


class Observed(Strict):
    """A sourced value, optionally covering only part of a year."""

    value: Float
    months: int | None = Field(None, ge=1, le=12, description="months covered; annualised pro rata")
    source: str | None = None
    note: str | None = None

    @property
    def point(self) -> float:
        return self.value * 12.0 / self.months if self.months else self.value


class _Dist(Strict):
    """Base of the distribution models: fields and validation only.

    The numerics (inverse CDF, truncation, central value, parameter checks) are those of
    :attr:`sampling`, a :class:`clustersim.sampling.Distribution` subclass whose dataclass
    fields the model's fields mirror; :attr:`sampler` is the model as that class.
    """

    source: str | None = None
    note: str | None = None
    #: the sampling class this model parameterises (set on each generated model)
    sampling: ClassVar[type[Distribution]]

    if TYPE_CHECKING:  # the generated models take their parameters as keywords

        def __init__(self, **data: Any) -> None: ...

    @property
    def sampler(self) -> Distribution:
        """The distribution these fields describe (does the sampling)."""
        cls = self.sampling
        return cls(**{f.name: getattr(self, f.name) for f in dataclasses.fields(cls)})

    @property
    def point(self) -> float:
        """The central value, used in a plain (one-sample) run."""
        return self.sampler.central

    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        """:meth:`clustersim.sampling.Distribution.ppf` of :attr:`sampler`."""
        return self.sampler.ppf(u, lo, hi, inverse_normal=inverse_normal)

    @model_validator(mode="after")
    def _check(self) -> Self:
        _ = self.sampler  # the sampling class checks its parameters (ValueError names them)
        return self


def _model_of(cls: type[Distribution]) -> type[_Dist]:
    """The scenario model of distribution ``cls``: ``dist: <name>`` and its parameters.

    A ``float`` parameter is a required number (``"12%"`` accepted), ``float | None`` an
    optional one, and one with ``metadata=POSITIVE`` must be > 0.
    """
    fields: dict[str, Any] = {"dist": (Literal[cls.name], ...)}
    for f in dataclasses.fields(cls):
        typ: Any = Positive if f.metadata.get("positive") else Float
        fields[f.name] = (typ | None, None) if f.default is None else (typ, ...)
    model = create_model(
        cls.__name__, __base__=_Dist, __module__=__name__, __doc__=cls.__doc__, **fields
    )
    model.sampling = cls
    return model


#: ``dist:`` tag -> scenario model, one per registered distribution, in registry order
DIST_MODELS: dict[str, type[_Dist]] = {name: _model_of(c) for name, c in DISTRIBUTIONS.items()}
Normal = DIST_MODELS["normal"]
LogNormal = DIST_MODELS["lognormal"]
Uniform = DIST_MODELS["uniform"]
Triangular = DIST_MODELS["triangular"]

if TYPE_CHECKING:
    Dist = _Dist
else:
    Dist = Annotated[Union[tuple(DIST_MODELS.values())], Field(discriminator="dist")]  # noqa: UP007


# union tags; they appear in pydantic error locations, never in scenario files
NUM_TAGS = ("number", "observation", "distribution")


def _num_tag(v: Any) -> str:
    if isinstance(v, dict):
        return "distribution" if "dist" in v else "observation"
    if isinstance(v, Observed):
        return "observation"
    if isinstance(v, _Dist):
        return "distribution"
    return "number"


Num = Annotated[
    Annotated[float, Field(allow_inf_nan=False), Tag("number")]
    | Annotated[Observed, Tag("observation")]
    | Annotated[Dist, Tag("distribution")],
    Discriminator(_num_tag),
    BeforeValidator(parse_number, json_schema_input_type=float | NumberText | Observed | Dist),
]


def central(x: float | Observed | _Dist) -> float:
    """The value used in a plain (one-sample) run."""
    return float(x) if isinstance(x, int | float) else x.point


def is_uncertain(x: object) -> bool:
    """Whether ``x`` is a distribution (sampled in Monte Carlo runs)."""
    return isinstance(x, _Dist)
