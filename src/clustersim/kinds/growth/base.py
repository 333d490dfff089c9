"""What every growth kind is: scenario fields plus how they compile into annual rates."""

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, Field, model_validator

from clustersim.values.names import Id
from clustersim.values.numbers import Num, NumberText, Strict, parse_number

__all__ = ["RATE_LO", "CompiledGrowth", "GrowthContext", "GrowthKind", "Shocks"]

Array = NDArray[np.float64]
#: growth must stay above -100%: the lower bound of every sampled growth rate
RATE_LO = -1.0 + 1e-9


class GrowthContext(Protocol):
    """What a growth kind needs from the compiler."""

    #: projection years, base year first, shape (T,)
    years: NDArray[np.int64]

    def value(self, num: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> Array:
        """A number as a float array of shape ``(S',)``, sampled when uncertain."""
        ...


@dataclass(frozen=True)
class CompiledGrowth:
    """A growth assumption as the projection core takes it.

    Attributes
    ----------
    rates : ndarray, shape (S', T')
        Annual growth rates (see :mod:`clustersim.core.growth`); ``S'`` and ``T'`` are 1
        or the sample and year counts.
    links : tuple of (str, ndarray (S',))
        Elasticity links: the series followed and the elasticity per sample.
    """

    rates: Array
    links: tuple[tuple[str, Array], ...] = ()


#: the default share of a shock's variance that comes from its factor, when one is named
DEFAULT_LOADING = 0.5
_ArRange = Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]
_ShareRange = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# a number or a percent string ("40%"); the schema shows the range of the number
_Ar = Annotated[
    _ArRange, BeforeValidator(parse_number, json_schema_input_type=_ArRange | NumberText)
]
_Share = Annotated[
    _ShareRange, BeforeValidator(parse_number, json_schema_input_type=_ShareRange | NumberText)
]


class Shocks(Strict):
    """Year-to-year innovations on a growth (issue 15): ``shocks: {sd, ar, factor, loading}``.

    In Monte Carlo runs the growth's own rate ``r[t]`` (what its kind gives) becomes
    ``(1 + r[t]) * exp(d[t]) - 1`` in every projected year, where the deviation of the log
    growth rate follows ``d[t] = ar * d[t-1] + e[t]`` from ``d[base_year] = 0`` and the
    innovation is ``e[t] = sd * (sqrt(loading) * F[t] + sqrt(1 - loading) * z[t])``:
    ``z`` the growth's own standard-normal innovations, ``F`` the named factor (a
    scenario-level ``shocks.factors`` entry, ``F[t] = ar_f * F[t-1] + eta[t]``, ``eta``
    standard normal, ``F[base_year] = 0``). So ``sd`` is the standard deviation of the
    innovation of ``ln(1 + g)`` (what a fit of log-growth residuals estimates), not the
    stationary one (``sd / sqrt(1 - ar**2)``). A plain run (one sample, central values)
    has no shocks: its path is the median path.
    """

    sd: Num = Field(description="standard deviation of the annual innovation of ln(1 + growth)")
    ar: _Ar = Field(0.0, description="AR(1) coefficient of the deviation, in [0, 1)")
    factor: Id | None = Field(None, description="a factor of the scenario's shocks.factors")
    loading: _Share | None = Field(
        None, description="share of the innovation's variance from the factor (default 0.5)"
    )
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _loading_needs_factor(self) -> Self:
        if self.loading is not None and self.factor is None:
            raise ValueError("loading is the share of a factor: name the factor too")
        return self

    @property
    def share(self) -> float:
        """The factor's share of the innovation variance (0 without a factor)."""
        if self.factor is None:
            return 0.0
        return DEFAULT_LOADING if self.loading is None else self.loading


class GrowthKind(Strict):
    """Base of the growth kinds: pydantic fields (``kind`` the tag) and :meth:`compile`.

    Subclasses declare ``kind: Literal["<name>"]`` and their fields, and implement
    :meth:`compile`. Raising ``ValueError("<path>.<field>: message")`` names the field.
    """

    source: str | None = None
    note: str | None = None
    #: year-to-year innovations (Monte Carlo runs only); None: none
    shocks: Shocks | None = None

    #: whether :meth:`compile` reads ``x0``. A kind that does not (its rates follow from its
    #: own numbers alone) says False: a compiler may then reuse rates it compiled from
    #: numbers that were all constant (a sweep compiles the same scenario chunk after chunk).
    reads_base: ClassVar[bool] = True

    if TYPE_CHECKING:  # each kind declares it as a ``Literal`` field
        kind: str

    @abstractmethod
    def compile(self, ctx: GrowthContext, x0: Array, path: str) -> CompiledGrowth:
        """The rates (and elasticity links) of this growth.

        Parameters
        ----------
        ctx : GrowthContext
            Turns the kind's numbers into ``(S',)`` arrays (sampling them when uncertain).
        x0 : ndarray, shape (S',)
            The series' base value (some kinds aim at a level).
        path : str
            Dotted scenario path of the growth block, for messages (``region.gdp.growth``).
        """
