"""Uncertain numbers: central values, sampled distributions, truncation, seeding, partial years."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

import clustersim as cs
from clustersim.compile import Compiled

T = 5  # 2023..2027
N_BIG = 200_000


def scenario(
    region: dict[str, Any] | None = None, clusters: dict[str, Any] | None = None
) -> cs.Scenario:
    """A 2023-2027 scenario; GDP 1000 flat unless ``region`` overrides it."""
    reg: dict[str, Any] = {"gdp": {"base": 1000.0}}
    reg.update(region or {})
    d = {
        "id": "dists",
        "name": "dists",
        "base_year": 2023,
        "end_year": 2027,
        "region": reg,
        "clusters": clusters or {},
    }
    return cs.Scenario.model_validate(d)


def x0_of(comp: Compiled, name: str) -> np.ndarray:
    """Per-sample base value of a region series, (S,)."""
    return np.asarray(comp.model.op(name).x0)  # type: ignore[union-attr]


def rate_of(comp: Compiled, name: str) -> np.ndarray:
    """Per-sample constant growth rate of a region series, (S,)."""
    return np.asarray(comp.model.op(name).rates)[:, 0]  # type: ignore[union-attr]


# --- central values -------------------------------------------------------------------------------

CLUSTERS = {
    "n": {
        "name": "N",
        "output": {"base": 100.0, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
    },
    "l": {
        "name": "L",
        "output": {"base": 100.0, "growth": {"dist": "lognormal", "median": 0.09, "sigma": 0.3}},
    },
    "u": {
        "name": "U",
        "output": {"base": 100.0, "growth": {"dist": "uniform", "low": -0.02, "high": 0.03}},
    },
    "t": {
        "name": "T",
        "output": {
            "base": 100.0,
            "growth": {"dist": "triangular", "low": 0.03, "mode": 0.08, "high": 0.12},
        },
    },
}


def test_plain_run_uses_central_values() -> None:
    """Normal -> mean, lognormal -> median, uniform -> midpoint, triangular -> mode."""
    base = {"dist": "normal", "mean": 5264.07, "sd": 300}
    res = cs.run(scenario({"gdp": {"base": base}}, CLUSTERS), required=False)
    t = np.arange(T)
    out = res.series["output"][0]
    for i, rate in enumerate([0.05, 0.09, 0.005, 0.08]):
        assert_allclose(out[i], 100.0 * (1.0 + rate) ** t, rtol=1e-12)
    assert_allclose(res.series["gdp"][0], np.full(T, 5264.07), rtol=1e-15)


# --- inverse CDF at given quantiles, against scipy.stats ------------------------------------------


U = np.array([1e-6, 0.01, 0.2, 0.5, 0.73, 0.99, 1.0 - 1e-9])


@pytest.mark.parametrize(
    ("dist", "frozen"),
    [
        ({"dist": "normal", "mean": 100.0, "sd": 10.0}, stats.norm(100.0, 10.0)),
        ({"dist": "lognormal", "median": 2.0, "sigma": 0.5}, stats.lognorm(s=0.5, scale=2.0)),
        ({"dist": "uniform", "low": 1.0, "high": 3.0}, stats.uniform(1.0, 2.0)),
        (
            {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0},
            stats.triang(c=1.0 / 3.0, loc=1.0, scale=3.0),
        ),
        (
            {"dist": "triangular", "low": 1.0, "mode": 1.0, "high": 4.0},
            stats.triang(c=0.0, loc=1.0, scale=3.0),
        ),
        (
            {"dist": "normal", "mean": 50.0, "sd": 20.0, "low": 40.0, "high": 90.0},
            stats.truncnorm(-0.5, 2.0, loc=50.0, scale=20.0),
        ),
        (
            {"dist": "lognormal", "median": 2.0, "sigma": 0.5, "low": 1.5, "high": 3.0},
            None,  # truncated lognormal: computed below from a truncated normal of the log
        ),
    ],
)
def test_quantiles_match_scipy(dist: dict[str, Any], frozen: Any) -> None:
    """Values at chosen uniform quantiles equal scipy's ppf of the same distribution."""
    if frozen is None:  # truncated lognormal by hand: exp of a truncated normal of the log
        mu, s = np.log(2.0), 0.5
        a, b = (np.log(1.5) - mu) / s, (np.log(3.0) - mu) / s
        want = np.exp(stats.truncnorm(a, b, loc=mu, scale=s).ppf(U))
    else:
        want = frozen.ppf(U)
    comp = cs.compile_scenario(
        scenario({"gdp": {"base": dist}}), samples=len(U), uniforms={"region.gdp.base": U}
    )
    assert_allclose(x0_of(comp, "gdp"), want, rtol=1e-9)


# --- sample moments -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big() -> Compiled:
    """200k draws of one distribution per region series base."""
    region = {
        "gdp": {"base": {"dist": "normal", "mean": 100.0, "sd": 10.0}},
        "population": {"base": {"dist": "lognormal", "median": 2.0, "sigma": 0.5}},
        "industrial_output": {"base": {"dist": "uniform", "low": 1.0, "high": 3.0}},
        "rd_rest": {"base": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0}},
        "energy_rest": {"base": 1.0, "growth": {"dist": "normal", "mean": 0.0, "sd": 1.0}},
    }
    return cs.compile_scenario(scenario(region), samples=N_BIG, seed=2024)


def _moments_ok(x: np.ndarray, mean: float, var: float, kurt_excess: float) -> None:
    """Sample mean and variance within 5 standard errors of the exact values."""
    n = len(x)
    se_mean = np.sqrt(var / n)
    se_var = var * np.sqrt((2.0 + kurt_excess) / n)
    assert abs(x.mean() - mean) < 5 * se_mean, (x.mean(), mean)
    assert abs(x.var() - var) < 5 * se_var, (x.var(), var)


@pytest.mark.parametrize(
    ("name", "frozen"),
    [
        ("gdp", stats.norm(100.0, 10.0)),
        ("population", stats.lognorm(s=0.5, scale=2.0)),
        ("industrial_output", stats.uniform(1.0, 2.0)),
        ("rd_rest", stats.triang(c=1.0 / 3.0, loc=1.0, scale=3.0)),
    ],
)
def test_sample_moments_and_shape(big: Compiled, name: str, frozen: Any) -> None:
    """200k draws: mean and variance within 5 s.e. of the exact values; KS test does not reject."""
    x = x0_of(big, name)
    assert x.shape == (N_BIG,)
    _moments_ok(x, float(frozen.mean()), float(frozen.var()), float(frozen.stats(moments="k")))
    assert stats.kstest(x, frozen.cdf).pvalue > 1e-3


def test_lognormal_sample_median_and_log_moments(big: Compiled) -> None:
    """The lognormal's sample median is near its median; its log has mean log(2), sd 0.5."""
    x = x0_of(big, "population")
    assert abs(np.median(x) - 2.0) < 0.01
    _moments_ok(np.log(x), float(np.log(2.0)), 0.25, 0.0)


def test_growth_rate_truncated_above_minus_100_percent(big: Compiled) -> None:
    """normal(0, 1) for a growth rate never draws <= -100%; it follows the truncated normal."""
    r = rate_of(big, "energy_rest")
    assert r.min() > -1.0
    assert np.mean(r < -0.9) > 0  # the lower tail is populated close to the bound
    tn = stats.truncnorm(-1.0, np.inf, loc=0.0, scale=1.0)
    _moments_ok(r, float(tn.mean()), float(tn.var()), float(tn.stats(moments="k")))
    assert stats.kstest(r, tn.cdf).pvalue > 1e-3


def test_explicit_truncation_bounds_respected() -> None:
    """Explicit low/high of normal and lognormal bound every draw; the mean is truncated."""
    region = {
        "gdp": {
            "base": 1.0,
            "growth": {"dist": "normal", "mean": 0.05, "sd": 0.05, "low": 0.0, "high": 0.08},
        },
        "population": {
            "base": {"dist": "lognormal", "median": 2.0, "sigma": 0.5, "low": 1.5, "high": 3.0}
        },
    }
    comp = cs.compile_scenario(scenario(region), samples=50_000, seed=5)
    r = rate_of(comp, "gdp")
    assert r.min() >= 0.0 and r.max() <= 0.08
    tn = stats.truncnorm(-1.0, 0.6, loc=0.05, scale=0.05)
    _moments_ok(r, float(tn.mean()), float(tn.var()), float(tn.stats(moments="k")))
    p = x0_of(comp, "population")
    assert p.min() >= 1.5 and p.max() <= 3.0


def test_share_field_truncated_to_unit_interval() -> None:
    """A triangular va_ratio reaching above 1 is truncated to [0, 1] (renormalised, not clipped)."""
    cl = {
        "a": {
            "name": "A",
            "output": {"base": 10.0},
            "va_ratio": {"base": {"dist": "triangular", "low": 0.6, "mode": 0.9, "high": 1.3}},
        }
    }
    comp = cs.compile_scenario(scenario(clusters=cl), samples=20_000, seed=3)
    va = np.asarray(comp.model.op("va_ratio").x0)[:, 0]  # type: ignore[union-attr]
    assert va.min() >= 0.6 and va.max() <= 1.0
    assert np.mean(va == 1.0) == 0.0  # no probability mass piled up at the bound
    # truncated to [0.6, 1]: P(X <= 0.9 | X <= 1) = (0.3 / 0.7) / (1 - 0.09 / 0.28)
    want = (0.3 / 0.7) / (1.0 - 0.09 / 0.28)
    assert abs(np.mean(va <= 0.9) - want) < 5 * np.sqrt(want * (1 - want) / 20_000)


# --- seeding --------------------------------------------------------------------------------------


def _draws(seed: int, sc: cs.Scenario | None = None) -> np.ndarray:
    sc = sc or scenario({"gdp": {"base": {"dist": "normal", "mean": 100.0, "sd": 10.0}}}, CLUSTERS)
    res = cs.run(sc, samples=64, seed=seed, required=False)
    return np.concatenate([res.series["gdp"].ravel(), res.series["output"].ravel()])


def test_same_seed_same_draws() -> None:
    """Two runs with the same seed give bit-identical trajectories."""
    assert_array_equal(_draws(7), _draws(7))


def test_different_seed_different_draws() -> None:
    """Another seed changes the draws of every uncertain number."""
    a = cs.run(
        scenario({"gdp": {"base": {"dist": "normal", "mean": 100.0, "sd": 10.0}}}, CLUSTERS),
        samples=64,
        seed=7,
        required=False,
    )
    b = cs.run(
        scenario({"gdp": {"base": {"dist": "normal", "mean": 100.0, "sd": 10.0}}}, CLUSTERS),
        samples=64,
        seed=8,
        required=False,
    )
    assert np.all(a.series["gdp"][:, 0] != b.series["gdp"][:, 0])
    for c in range(4):
        assert not np.array_equal(a.series["output"][:, c, -1], b.series["output"][:, c, -1])


def test_adding_a_parameter_keeps_other_draws() -> None:
    """Each parameter has its own stream: a new uncertain number does not shift the others."""
    one = cs.compile_scenario(
        scenario({"gdp": {"base": {"dist": "uniform", "low": 1, "high": 2}}}), samples=32, seed=1
    )
    two = cs.compile_scenario(
        scenario(
            {
                "gdp": {"base": {"dist": "uniform", "low": 1, "high": 2}},
                "population": {"base": {"dist": "uniform", "low": 1, "high": 2}},
            }
        ),
        samples=32,
        seed=1,
    )
    assert_array_equal(x0_of(one, "gdp"), x0_of(two, "gdp"))
    assert not np.array_equal(x0_of(two, "gdp"), x0_of(two, "population"))


# --- observations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "months", "annual"), [(700.0, 7, 1200.0), (2226.9, 12, 2226.9), (30.0, 1, 360.0)]
)
def test_partial_year_observation_is_annualised(value: float, months: int, annual: float) -> None:
    """An observed Jan-(months) value becomes value * 12 / months for the base year."""
    cl = {
        "a": {
            "name": "A",
            "output": {"base": {"value": value, "months": months, "source": "x"}, "growth": 0.1},
        }
    }
    res = cs.run(scenario(clusters=cl), required=False)
    assert_allclose(res.series["output"][0, 0], annual * 1.1 ** np.arange(T), rtol=1e-12)


def test_observation_without_months_is_taken_as_is() -> None:
    """{value: v} without months is the full-year value."""
    res = cs.run(scenario({"gdp": {"base": {"value": "1,234.5"}}}), required=False)
    assert_allclose(res.series["gdp"][0], np.full(T, 1234.5), rtol=1e-15)


@pytest.mark.parametrize("months", [0, 13])
def test_observation_months_outside_1_to_12_rejected(months: int) -> None:
    """months must be in 1..12."""
    with pytest.raises(ValueError, match="months"):
        scenario({"gdp": {"base": {"value": 1.0, "months": months}}})


# --- known defects --------------------------------------------------------------------------------


def test_plain_run_central_value_lies_inside_explicit_truncation() -> None:
    """normal(mean 0, sd 5%, low 1%) can only draw >= 1%; its plain-run value must be >= 1% too."""
    sc = scenario(
        {"gdp": {"base": 100.0, "growth": {"dist": "normal", "mean": 0.0, "sd": 0.05, "low": 0.01}}}
    )
    comp = cs.compile_scenario(sc)
    assert rate_of(comp, "gdp")[0] >= 0.01


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "normal", "mean": "5%", "sd": "1%"},
        {"dist": "lognormal", "median": "5%", "sigma": "20%"},
    ],
)
def test_percent_strings_accepted_in_distribution_parameters(dist: dict[str, Any]) -> None:
    """A growth distribution written with percentages means the same as with fractions."""
    sc = scenario({"gdp": {"base": 100.0, "growth": dist}})
    fractions = {
        k: (float(v[:-1]) / 100 if isinstance(v, str) else v)
        for k, v in dist.items()
        if k != "dist"
    }
    ref = scenario({"gdp": {"base": 100.0, "growth": {"dist": dist["dist"], **fractions}}})
    assert_array_equal(
        cs.run(sc, samples=16, seed=1, required=False).series["gdp"],
        cs.run(ref, samples=16, seed=1, required=False).series["gdp"],
    )
