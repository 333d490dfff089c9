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

Sampling is by inverse CDF of uniforms, so the same code serves Monte Carlo,
Latin hypercube and Sobol designs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any, Literal

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
    model_validator,
)

__all__ = [
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

    model_config = ConfigDict(extra="forbid", frozen=True)


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
    source: str | None = None
    note: str | None = None

    # Each distribution defines ``point`` (its central value, used in a plain run) and
    # ``ppf(u, lo, hi)``: values at uniform quantiles ``u`` in (0, 1) truncated to [lo, hi].


def _ndtr(x: Array | float) -> Any:
    from scipy.special import ndtr

    return ndtr(x)


#: The inverse normal CDF the distributions draw with: scipy's ``ndtri`` unless a caller
#: sets another for a block of work (the accelerated engine sets its compiled AS241, see
#: :mod:`clustersim.accel.draws`; the two agree to a few units in the last place).
INVERSE_NORMAL: ContextVar[Callable[[Array], Array] | None] = ContextVar(
    "clustersim_inverse_normal", default=None
)


def _ndtri(u: Array) -> Array:
    fast = INVERSE_NORMAL.get()
    if fast is not None:
        return fast(u)
    from scipy.special import ndtri

    return np.asarray(ndtri(u), dtype=np.float64)


class Normal(_Dist):
    """Normal, optionally truncated to ``[low, high]``."""

    dist: Literal["normal"]
    mean: Float
    sd: Positive
    low: Float | None = None
    high: Float | None = None

    @property
    def point(self) -> float:
        return self.mean

    def ppf(self, u: Array, lo: float = -math.inf, hi: float = math.inf) -> Array:
        lo = max(lo, self.low if self.low is not None else -math.inf)
        hi = min(hi, self.high if self.high is not None else math.inf)
        a, b = _ndtr((lo - self.mean) / self.sd), _ndtr((hi - self.mean) / self.sd)
        if b - a < 1e-12:
            raise ValueError(f"normal(mean={self.mean}, sd={self.sd}) has no mass in [{lo}, {hi}]")
        if a == 0.0 and b == 1.0:  # bounds beyond float reach (a rate 50 sd above -100%)
            x = _ndtri(u)
            x *= self.sd
            x += self.mean
            return x
        q = a + u * (b - a)
        return np.clip(self.mean + self.sd * _ndtri(q), lo, hi)

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class LogNormal(_Dist):
    """Lognormal given by its median and the standard deviation ``sigma`` of its log."""

    dist: Literal["lognormal"]
    median: Positive
    sigma: Positive
    low: Float | None = None
    high: Float | None = None

    @property
    def point(self) -> float:
        return self.median

    def ppf(self, u: Array, lo: float = -math.inf, hi: float = math.inf) -> Array:
        lo = max(lo, self.low if self.low is not None else 0.0, 0.0)
        hi = min(hi, self.high if self.high is not None else math.inf)
        mu = math.log(self.median)
        la = -math.inf if lo <= 0 else (math.log(lo) - mu) / self.sigma
        lb = math.inf if hi == math.inf else (math.log(hi) - mu) / self.sigma
        a, b = _ndtr(la), _ndtr(lb)
        if b - a < 1e-12:
            raise ValueError(f"lognormal(median={self.median}) has no mass in [{lo}, {hi}]")
        return np.clip(np.exp(mu + self.sigma * _ndtri(a + u * (b - a))), lo, hi)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: Float
    high: Float

    @property
    def point(self) -> float:
        return 0.5 * (self.low + self.high)

    def ppf(self, u: Array, lo: float = -math.inf, hi: float = math.inf) -> Array:
        a, b = max(lo, self.low), min(hi, self.high)
        if b <= a:
            raise ValueError(f"uniform({self.low}, {self.high}) has no mass in [{lo}, {hi}]")
        return a + u * (b - a)

    @model_validator(mode="after")
    def _bounds(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Triangular(_Dist):
    """Triangular with ``low <= mode <= high``; its central value is the mode."""

    dist: Literal["triangular"]
    low: Float
    mode: Float
    high: Float

    @property
    def point(self) -> float:
        return self.mode

    def cdf(self, x: float) -> float:
        a, c, b = self.low, self.mode, self.high
        if x <= a:
            return 0.0
        if x >= b:
            return 1.0
        if x <= c:
            return (x - a) ** 2 / ((b - a) * (c - a))
        return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))

    def ppf(self, u: Array, lo: float = -math.inf, hi: float = math.inf) -> Array:
        a, c, b = self.low, self.mode, self.high
        fa, fb = self.cdf(lo), self.cdf(hi)  # truncation: quantiles within [F(lo), F(hi)]
        if fb - fa < 1e-12:
            raise ValueError(f"triangular({a}, {c}, {b}) has no mass in [{lo}, {hi}]")
        q = fa + np.asarray(u) * (fb - fa)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(q * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - q) * (b - a) * (b - c))
        return np.clip(np.where(q < fc, left, right), max(lo, a), min(hi, b))

    @model_validator(mode="after")
    def _bounds(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low >= self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )
        return self


Dist = Annotated[Normal | LogNormal | Uniform | Triangular, Field(discriminator="dist")]


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


AnyDist = Normal | LogNormal | Uniform | Triangular


def central(x: float | Observed | AnyDist) -> float:
    """The value used in a plain (one-sample) run."""
    return float(x) if isinstance(x, int | float) else x.point


def is_uncertain(x: object) -> bool:
    return isinstance(x, _Dist)
