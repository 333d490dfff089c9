"""Sampling: one class per distribution (inverse CDF, bounds, truncation) and the registry.

:data:`DISTRIBUTIONS` is the one list of the distributions a scenario's ``dist:`` may
name, in the order the schema and messages list them; the scenario's pydantic models
are built from it (:mod:`clustersim.values.numbers`). Adding a distribution is one
module here (a :class:`Distribution` subclass) and its line below.

Randomness and the inverse normal CDF are explicit arguments: :func:`uniform_stream`
takes a seed, and :meth:`Distribution.ppf` an ``inverse_normal``.
"""

from __future__ import annotations

from clustersim.sampling.base import Distribution, InverseNormal, scipy_ndtri
from clustersim.sampling.choice import Choice
from clustersim.sampling.lognormal import LogNormal
from clustersim.sampling.normal import Normal
from clustersim.sampling.streams import uniform_stream
from clustersim.sampling.triangular import Triangular
from clustersim.sampling.uniform import Uniform

__all__ = [
    "DISTRIBUTIONS",
    "Choice",
    "Distribution",
    "InverseNormal",
    "LogNormal",
    "Normal",
    "Triangular",
    "Uniform",
    "scipy_ndtri",
    "uniform_stream",
]

#: ``dist:`` tag -> distribution class, for scenario files (:class:`Choice` is for sweep
#: designs only and is not listed)
DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.name: cls for cls in (Normal, LogNormal, Uniform, Triangular)
}
