"""What every distribution is: a frozen set of parameters with an inverse CDF.

A distribution is sampled by inverse CDF of uniforms ``u`` in (0, 1), so the same code
serves Monte Carlo, Latin hypercube and Sobol designs. ``ppf(u, lo, hi)`` also truncates
to ``[lo, hi]``: the natural bounds of the scenario field the number sits in (a growth
rate above -100%, a share in [0, 1]) intersected with the distribution's own bounds.

The inverse normal CDF is an explicit argument (``inverse_normal``): scipy's compiled
``ndtri`` by default (:func:`clustersim.sampling.normal_cdf.cephes_ndtri`, loaded without
``scipy.special``'s package import); the compiled engine passes its own compiled AS241
(:mod:`clustersim.accel.draws`), which agrees with it to a few units in the last place.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from clustersim.sampling.normal_cdf import cephes_ndtri as ndtri
from clustersim.sampling.normal_cdf import ndtr

__all__ = ["POSITIVE", "Distribution", "InverseNormal", "ndtr", "ndtri", "scipy_ndtri"]

Array = NDArray[np.float64]
#: a standard normal quantile function: ``(...)`` array of probabilities -> same shape
InverseNormal = Callable[[Array], Array]
#: field metadata: the parameter must be > 0 (the scenario schema says so too)
POSITIVE = {"positive": True}
#: below this much probability between the bounds a truncated distribution has no mass
NO_MASS = 1e-12


def scipy_ndtri(u: Array) -> Array:
    """Standard normal quantiles of ``u`` (any shape) with ``scipy.special.ndtri`` (for
    comparisons; the draws use :func:`ndtri`)."""
    from scipy.special import ndtri

    return np.asarray(ndtri(u), dtype=np.float64)


@dataclass(frozen=True)
class Distribution(ABC):
    """One family of distributions: parameters as dataclass fields, numerics as methods.

    Subclasses set :attr:`name` (the ``dist:`` tag in scenario files) and implement
    :attr:`central` and :meth:`ppf`; they check their parameters in ``__post_init__``
    (raising ``ValueError`` with a message naming the values), and may set
    :attr:`low`/:attr:`high` as their own bounds. The scenario's pydantic model of each
    registered distribution is built from the dataclass fields
    (:mod:`clustersim.values.numbers`): a ``float`` field is a required number, a
    ``float | None`` field an optional one, ``metadata=POSITIVE`` one that must be > 0.
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def central(self) -> float:
        """The value a plain (one-sample) run uses."""

    @abstractmethod
    def ppf(
        self,
        u: Array,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        inverse_normal: InverseNormal | None = None,
    ) -> Array:
        """Values at uniform quantiles ``u`` in (0, 1), truncated to ``[lo, hi]``.

        Parameters
        ----------
        u : ndarray, shape (n,)
            Quantiles in the open interval (0, 1).
        lo, hi : float
            Bounds of the field the value sits in (intersected with the distribution's own).
        inverse_normal : callable, optional
            Standard normal quantile function; :func:`ndtri` (scipy's compiled ``ndtri``) when None.

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValueError
            When the distribution has no mass in ``[lo, hi]``.
        """

    def own_bounds(self) -> tuple[float | None, float | None]:
        """The distribution's own truncation bounds, ``None`` where it has none."""
        return getattr(self, "low", None), getattr(self, "high", None)

    def central_within(self, lo: float = -math.inf, hi: float = math.inf) -> float:
        """The central value clipped into ``[lo, hi]`` and the distribution's own bounds.

        Raises
        ------
        ValueError
            When the two sets of bounds do not meet.
        """
        own_lo, own_hi = self.own_bounds()
        lo_d = lo if own_lo is None else max(lo, float(own_lo))
        hi_d = hi if own_hi is None else min(hi, float(own_hi))
        if hi_d < lo_d:
            raise ValueError("the distribution has no mass where the value is allowed")
        return min(max(self.central, lo_d), hi_d)
