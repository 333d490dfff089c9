"""What every growth kind is: scenario fields plus how they compile into annual rates."""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from clustersim.values.numbers import Strict

__all__ = ["RATE_LO", "CompiledGrowth", "GrowthContext", "GrowthKind"]

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


class GrowthKind(Strict):
    """Base of the growth kinds: pydantic fields (``kind`` the tag) and :meth:`compile`.

    Subclasses declare ``kind: Literal["<name>"]`` and their fields, and implement
    :meth:`compile`. Raising ``ValueError("<path>.<field>: message")`` names the field.
    """

    source: str | None = None
    note: str | None = None

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
