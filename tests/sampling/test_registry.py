"""The distribution registry: every distribution is registered, complete, and samples
what scipy.stats says, truncated to its bounds."""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from clustersim.sampling import (
    DISTRIBUTIONS,
    Choice,
    Distribution,
    Normal,
    scipy_ndtri,
    uniform_stream,
)
from clustersim.sampling.normal_cdf import ndtri as numpy_ndtri
from clustersim.scenario.models import scenario_json_schema
from clustersim.values.numbers import DIST_MODELS, Dist

#: one example per registered distribution: its parameters, scipy's frozen equivalent and
#: its central value. A new distribution adds its line (test_every_distribution_has_an_example).
EXAMPLES: dict[str, tuple[dict[str, float], Any, float]] = {
    "normal": ({"mean": 100.0, "sd": 10.0}, stats.norm(100.0, 10.0), 100.0),
    "lognormal": ({"median": 2.0, "sigma": 0.5}, stats.lognorm(s=0.5, scale=2.0), 2.0),
    "uniform": ({"low": 1.0, "high": 3.0}, stats.uniform(1.0, 2.0), 2.0),
    "triangular": (
        {"low": 1.0, "mode": 2.0, "high": 4.0},
        stats.triang(c=1.0 / 3.0, loc=1.0, scale=3.0),
        2.0,  # the mode
    ),
}
#: quantiles, down to the extremes a 53-bit uniform can take
U = np.array([1e-12, 1e-6, 0.01, 0.2, 0.5, 0.73, 0.99, 1.0 - 1e-9, 1.0 - 2.0**-53])


def example(name: str) -> Distribution:
    params, _, _ = EXAMPLES[name]
    return DISTRIBUTIONS[name](**params)


def test_every_distribution_has_an_example() -> None:
    assert set(EXAMPLES) == set(DISTRIBUTIONS)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_registered_class_is_complete(name: str) -> None:
    cls = DISTRIBUTIONS[name]
    assert cls.name == name
    assert issubclass(cls, Distribution) and not inspect.isabstract(cls)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    d = example(name)
    assert math.isfinite(d.central)
    assert d.ppf(np.array([0.5])).shape == (1,)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_scenario_model_mirrors_the_class(name: str) -> None:
    """The scenario's ``dist:`` union reads the registry: one model per class, same fields."""
    model = DIST_MODELS[name]
    cls = DISTRIBUTIONS[name]
    assert model.__name__ == cls.__name__ and model.sampling is cls
    params = [f.name for f in dataclasses.fields(cls)]
    assert list(model.model_fields) == ["source", "note", "dist", *params]
    parsed = TypeAdapter(Dist).validate_python({"dist": name, **EXAMPLES[name][0]})
    assert isinstance(parsed, model)
    assert parsed.sampler == example(name)
    assert parsed.point == example(name).central
    defs = scenario_json_schema()["$defs"]
    assert defs[cls.__name__]["properties"]["dist"]["const"] == name


def test_an_unknown_dist_lists_the_registry() -> None:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(Dist).validate_python({"dist": "gamma", "shape": 2})
    for name in DISTRIBUTIONS:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_ppf_and_central_value_match_scipy(name: str) -> None:
    d, frozen, central = example(name), EXAMPLES[name][1], EXAMPLES[name][2]
    assert_allclose(d.ppf(U), frozen.ppf(U), rtol=1e-9)
    assert d.central == central
    if name != "triangular":  # the mean, the median, the midpoint
        assert_allclose(central, frozen.median(), rtol=1e-15)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_truncated_ppf_matches_scipy(name: str) -> None:
    """Truncated to [lo, hi]: the quantile ``F^-1(F(lo) + u (F(hi) - F(lo)))``."""
    d, frozen = example(name), EXAMPLES[name][1]
    lo, hi = frozen.ppf(0.2), frozen.ppf(0.9)
    a, b = frozen.cdf(lo), frozen.cdf(hi)
    assert_allclose(d.ppf(U, lo, hi), frozen.ppf(a + U * (b - a)), rtol=1e-9)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_truncation_puts_no_mass_outside_the_bounds(name: str) -> None:
    d, frozen = example(name), EXAMPLES[name][1]
    u = np.concatenate([np.random.default_rng(7).random(100_000), U])
    for lo, hi in [
        (frozen.ppf(0.3), frozen.ppf(0.31)),  # a narrow slice
        (frozen.ppf(0.999), math.inf),  # the far right tail
        (-math.inf, frozen.ppf(0.001)),  # the far left tail
        (frozen.ppf(0.5), frozen.ppf(0.5) + 1e-9 * abs(frozen.ppf(0.5))),  # almost a point
    ]:
        x = d.ppf(u, lo, hi)
        assert np.all((x >= lo) & (x <= hi)), (lo, hi)
    top = frozen.ppf(1.0)
    beyond = top + 1.0 if math.isfinite(top) else 1e300  # no mass above the support
    with pytest.raises(ValueError, match="no mass"):
        d.ppf(u, beyond, math.inf)


def test_own_bounds_truncate_and_clip_the_central_value() -> None:
    d = Normal(mean=0.05, sd=0.02, low=0.06, high=0.1)
    assert d.own_bounds() == (0.06, 0.1)
    assert d.central_within() == 0.06  # the mean lies below its own low
    assert d.central_within(-math.inf, 0.08) == 0.06
    assert np.all(d.ppf(np.random.default_rng(1).random(10_000)) >= 0.06)
    with pytest.raises(ValueError, match="no mass"):
        d.central_within(0.2, math.inf)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("normal", {"mean": 0.0, "sd": 1.0, "low": 1.0, "high": 1.0}, "must be below"),
        ("normal", {"mean": 0.0, "sd": 0.0}, "sd must be > 0"),
        ("lognormal", {"median": -1.0, "sigma": 1.0}, "median must be > 0"),
        ("uniform", {"low": 2.0, "high": 1.0}, "must be below"),
        ("triangular", {"low": 0.0, "mode": 2.0, "high": 1.0}, "low <= mode <= high"),
    ],
)
def test_parameters_are_checked(name: str, params: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DISTRIBUTIONS[name](**params)


@pytest.mark.parametrize("name", ["normal", "lognormal"])
def test_the_inverse_normal_is_an_explicit_argument(name: str) -> None:
    d = example(name)
    u = np.random.default_rng(2).random(1000)
    calls: list[int] = []

    def spy(q: np.ndarray) -> np.ndarray:
        calls.append(q.size)
        return np.asarray(scipy_ndtri(q), dtype=np.float64)

    assert_array_equal(d.ppf(u, inverse_normal=spy), d.ppf(u))
    assert calls == [1000]
    # the default is scipy's compiled ndtri, bit for bit; AS241 in NumPy is within a few ulp
    assert_array_equal(d.ppf(u, inverse_normal=scipy_ndtri), d.ppf(u))
    assert_allclose(d.ppf(u, inverse_normal=numpy_ndtri), d.ppf(u), rtol=1e-14, atol=1e-16)


def test_choice_picks_by_quantile_and_is_not_a_scenario_distribution() -> None:
    c = Choice((1.0, 2.0, 5.0))
    assert "choice" not in DISTRIBUTIONS
    assert c.central == 2.0 and Choice((1.0, 2.0)).central == 1.0
    assert_array_equal(c.ppf(np.array([0.1, 0.5, 0.9, 1.0])), [1.0, 2.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="outside the allowed"):
        c.ppf(np.array([0.5]), 0.0, 3.0)


def test_uniform_stream_is_chunkable_keyed_by_path_and_open() -> None:
    whole = uniform_stream(5, (), "region.gdp.base", 1000)
    parts = [uniform_stream(5, (), "region.gdp.base", 250, k) for k in range(0, 1000, 250)]
    assert_array_equal(np.concatenate(parts), whole)
    assert np.all((whole > 0.0) & (whole < 1.0))
    other = uniform_stream(5, (), "region.gdp.growth.rate", 1000)
    assert not np.array_equal(other, whole)
    assert not np.array_equal(uniform_stream(5, (1,), "region.gdp.base", 1000), whole)
