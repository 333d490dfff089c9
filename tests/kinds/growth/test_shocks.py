"""Yearly growth shocks, shared factors and the Gaussian copula (issue 15, parts 1 and 2).

Every number below is computed independently of the code under test: closed forms of
the variance of a sum of AR(1) terms, of correlations through a shared factor, of the
variance of a sum of correlated lognormals; exact quantiles for the copula's marginals.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import ndtri

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core.project import project
from clustersim.errors import ScenarioError
from clustersim.sampling import uniform_stream

BASE, END = 2023, 2033
H = END - BASE  # projected years
N = 100_000  # Monte Carlo samples of the closed-form checks


def scenario(
    clusters: dict[str, dict[str, Any]],
    *,
    gdp: Any = 0.05,
    shocks: dict[str, Any] | None = None,
    end: int = END,
) -> cs.Scenario:
    d: dict[str, Any] = {
        "id": "shocks",
        "name": "shocks",
        "base_year": BASE,
        "end_year": end,
        "region": {"gdp": {"base": 100.0, "growth": gdp}},
        "clusters": {
            cid: {"name": cid, "output": {"base": 10.0, "growth": g}} for cid, g in clusters.items()
        },
    }
    if shocks is not None:
        d["shocks"] = shocks
    return cs.Scenario.model_validate(d)


def log_levels(sc: cs.Scenario, samples: int = N, seed: int = 15) -> np.ndarray:
    """``ln output`` of every cluster, ``(S, C, T)``."""
    out = project(compile_scenario(sc, samples=samples, seed=seed).model)["output"]
    return np.log(np.asarray(out))


def ar1_sum_variance(sd: float, ar: float, h: int) -> float:
    """Var of d_1 + ... + d_h for d_t = ar d_{t-1} + e_t, d_0 = 0, e_t ~ N(0, sd²):
    the sum is sum_k e_k (1 - ar^(h-k+1)) / (1 - ar)."""
    return sd**2 * sum(((1.0 - ar ** (h - k + 1)) / (1.0 - ar)) ** 2 for k in range(1, h + 1))


def var_tol(v: float, n: int = N, z: float = 4.5) -> float:
    """z standard errors of a sample variance of n normal draws (sqrt(2 / (n - 1)) v)."""
    return z * v * math.sqrt(2.0 / (n - 1))


# --- part 1: the fan of one growth ------------------------------------------------------------


@pytest.mark.parametrize("ar", [0.0, 0.4, 0.8])
def test_log_level_variance_is_the_closed_form_of_an_ar1_sum(ar: float) -> None:
    sd, mu = 0.025, 0.08
    sc = scenario({"a": {"rate": mu, "shocks": {"sd": sd, "ar": ar}}})
    x = log_levels(sc)[:, 0, :]
    for h in range(1, H + 1):
        want = ar1_sum_variance(sd, ar, h)
        got = x[:, h].var(ddof=1)
        assert abs(got - want) < var_tol(want), (h, got, want)
        # the median path is the path without shocks: ln x = ln 10 + h ln(1 + mu) + N(0, v)
        mean = math.log(10.0) + h * math.log1p(mu)
        assert abs(x[:, h].mean() - mean) < 4.5 * math.sqrt(want / N)


def test_random_walk_variance_grows_linearly_with_the_horizon() -> None:
    sd = 0.03
    x = log_levels(scenario({"a": {"rate": 0.06, "shocks": {"sd": sd}}}))[:, 0, :]
    per_year = [x[:, h].var(ddof=1) / h for h in range(1, H + 1)]
    for v in per_year:
        assert abs(v - sd**2) < var_tol(sd**2)
    # and the increments are uncorrelated: a random walk, not a trend
    inc = np.diff(x, axis=1)
    r = np.corrcoef(inc[:, 2], inc[:, 7])[0, 1]
    assert abs(r) < 4.5 / math.sqrt(N)


def test_every_growth_kind_takes_shocks_and_keeps_its_median_path() -> None:
    """The shocks multiply each year's growth factor by e^d: ln x[T] - ln x_plain[T] is the
    sum of the deviations, whatever the kind (here ar = 0: variance h sd²)."""
    sh = {"sd": 0.02}
    kinds = {
        "constant": {"kind": "constant", "rate": 0.05, "shocks": sh},
        "path": {"kind": "path", "rates": {2024: 0.1, 2028: 0.0}, "shocks": sh},
        "linear": {"kind": "linear", "start": 0.0, "end": 0.1, "shocks": sh},
        "to_target": {"kind": "to_target", "value": 20.0, "year": 2030, "shocks": sh},
        "logistic": {"kind": "logistic", "capacity": 40.0, "rate": 0.3, "shocks": sh},
        "elasticity": {"kind": "elasticity", "to": "gdp", "elasticity": 0.0, "shocks": sh},
    }
    sc = scenario(kinds)
    plain = np.log(project(compile_scenario(sc).model)["output"][0])  # (C, T)
    x = log_levels(sc, samples=20_000)
    dev = x - plain[None]
    for h in (1, 5, H):
        v = dev[:, :, h].var(axis=0, ddof=1)
        assert np.all(np.abs(v - h * 0.02**2) < var_tol(h * 0.02**2, 20_000)), (h, v)
        assert np.all(np.abs(np.median(dev[:, :, h], axis=0)) < 4 * 0.02 * math.sqrt(h / 20_000))


def test_a_plain_run_has_no_shocks_and_a_scenario_without_shocks_is_unchanged() -> None:
    with_ = scenario({"a": {"rate": 0.05, "shocks": {"sd": 0.05}}})
    without = scenario({"a": 0.05})
    p1 = project(compile_scenario(with_).model)["output"]
    assert_allclose(p1[0, 0], 10.0 * 1.05 ** np.arange(H + 1), rtol=1e-13)
    # Monte Carlo: the draws of the others do not move (to rounding: a constant rate
    # stacked beside a shocked one is compounded year by year, not as (1 + r)^t)
    rate = {"dist": "normal", "mean": 0.05, "sd": 0.01}
    a = project(compile_scenario(scenario({"a": rate}), samples=64, seed=3).model)["output"]
    b = project(
        compile_scenario(
            scenario({"a": rate, "b": {"rate": 0.05, "shocks": {"sd": 0.05}}}), samples=64, seed=3
        ).model
    )["output"]
    assert_allclose(a[:, 0], b[:, 0], rtol=1e-14)
    assert without.model_dump()["clusters"]["a"]["output"]["growth"]["shocks"] is None


def test_innovations_are_the_streams_documented() -> None:
    """Own innovations: stream '<growth path>.shocks', sample-major, one uniform per
    projected year, through the inverse normal; rate = (1 + r) e^(sd z) - 1."""
    sd, s = 0.03, 5
    sc = scenario({"a": {"rate": 0.04, "shocks": {"sd": sd}}})
    rates = compile_scenario(sc, samples=s, seed=9).model.op("output").rates  # (S, C, T)
    z = ndtri(uniform_stream(9, (), "clusters.a.output.growth.shocks", s * H)).reshape(s, H)
    assert_allclose(rates[:, 0, 1:], 1.04 * np.exp(sd * z) - 1.0, rtol=1e-14)


def test_chunks_draw_the_samples_of_one_run() -> None:
    sc = scenario(
        {
            "a": {"rate": 0.04, "shocks": {"sd": 0.03, "ar": 0.5, "factor": "region"}},
            "b": {"rate": {"dist": "normal", "mean": 0.05, "sd": 0.01}, "shocks": {"sd": 0.02}},
        },
        shocks={"factors": {"region": {"ar": 0.2}}},
    )
    whole = project(compile_scenario(sc, samples=100, seed=4).model)["output"]
    parts = [
        project(compile_scenario(sc, samples=n, seed=4, offset=a, draw=True).model)["output"]
        for a, n in ((0, 37), (37, 1), (38, 62))
    ]
    assert np.array_equal(np.concatenate(parts), whole)


def test_adding_an_uncertain_number_elsewhere_leaves_the_shocks_alone() -> None:
    base = {"a": {"rate": 0.04, "shocks": {"sd": 0.03, "factor": "region"}}}
    more = {
        **base,
        "b": {"rate": {"dist": "uniform", "low": 0, "high": 0.1}, "shocks": {"sd": 0.1}},
    }
    sh = {"factors": {"region": {}}}
    a = project(compile_scenario(scenario(base, shocks=sh), samples=50, seed=2).model)
    b = project(compile_scenario(scenario(more, shocks=sh), samples=50, seed=2).model)
    assert np.array_equal(a["output"][:, 0], b["output"][:, 0])


def test_sd_may_be_a_distribution() -> None:
    """sd ~ uniform(0, 0.04): Var ln x[h] = h E[sd²] = h (0.04² / 3)."""
    g = {"rate": 0.05, "shocks": {"sd": {"dist": "uniform", "low": 0.0, "high": 0.04}}}
    sc = scenario({"a": g})
    assert "clusters.a.output.growth.shocks.sd" in compile_scenario(sc).params
    x = log_levels(sc)[:, 0, :]
    want = 5 * 0.04**2 / 3
    # a scale mixture of normals: its variance estimate has a larger error than a normal's
    assert abs(x[:, 5].var(ddof=1) - want) < 2 * var_tol(want)


# --- part 2: shared factors -------------------------------------------------------------------


def test_a_shared_factor_gives_the_closed_form_correlation() -> None:
    """Loadings L1, L2 on one white-noise factor: each year's innovations correlate
    sqrt(L1 L2), and so do the log levels (sums of those innovations)."""
    l1, l2 = 0.6, 0.3
    sc = scenario(
        {
            "a": {"rate": 0.05, "shocks": {"sd": 0.02, "factor": "region", "loading": l1}},
            "b": {"rate": 0.08, "shocks": {"sd": 0.05, "factor": "region", "loading": l2}},
            "c": {"rate": 0.08, "shocks": {"sd": 0.05}},
        },
        shocks={"factors": {"region": {}}},
    )
    x = log_levels(sc)
    want = math.sqrt(l1 * l2)
    se = (1 - want**2) / math.sqrt(N)
    for h in (1, 4, H):
        assert abs(np.corrcoef(x[:, 0, h], x[:, 1, h])[0, 1] - want) < 4.5 * se
        assert abs(np.corrcoef(x[:, 0, h], x[:, 2, h])[0, 1]) < 4.5 / math.sqrt(N)
        # the variance of each is unchanged by the split into factor and own parts
        assert abs(x[:, 1, h].var(ddof=1) - h * 0.05**2) < var_tol(h * 0.05**2)


def test_an_ar1_factor_with_full_loading_is_an_ar1_deviation() -> None:
    """loading 1: d = sd F with F[t] = phi F[t-1] + eta[t], i.e. an AR(1) of sd."""
    sc = scenario(
        {"a": {"rate": 0.05, "shocks": {"sd": 0.02, "factor": "cycle", "loading": 1.0}}},
        shocks={"factors": {"cycle": {"ar": 0.6}}},
    )
    x = log_levels(sc)[:, 0, :]
    for h in (1, 3, H):
        want = ar1_sum_variance(0.02, 0.6, h)
        assert abs(x[:, h].var(ddof=1) - want) < var_tol(want)


def test_a_regional_sum_with_a_shared_factor_has_the_closed_form_spread() -> None:
    """X_i = m_i exp(S_i), (S_1, S_2) normal with variances v_i and covariance c: the sum
    has Var = sum m_i² e^(v_i) (e^(v_i) - 1) + 2 m_1 m_2 e^((v_1+v_2)/2) (e^c - 1), where
    m_i is the level without shocks. Without the factor (c = 0) it is less spread."""
    sd, load, h = 0.04, 0.7, 6
    shared = {"sd": sd, "factor": "region", "loading": load}
    own = {"sd": sd}
    res = {}
    for name, sh in (("shared", shared), ("own", own)):
        sc = scenario(
            {"a": {"rate": 0.05, "shocks": sh}, "b": {"rate": 0.09, "shocks": sh}},
            shocks={"factors": {"region": {}}},
            end=BASE + h,
        )
        out = np.asarray(project(compile_scenario(sc, samples=N, seed=8).model)["output"])
        res[name] = out[:, :, h].sum(axis=1).std(ddof=1)
    m = np.array([10.0 * 1.05**h, 10.0 * 1.09**h])
    v = h * sd**2
    for name, c in (("shared", load * v), ("own", 0.0)):
        var = float(np.sum(m**2 * np.exp(v) * (np.exp(v) - 1)))
        var += 2 * m[0] * m[1] * math.exp(v) * (math.exp(c) - 1)
        # the sd of a sample std of 1e5 near-normal draws is about std / sqrt(2 N)
        assert abs(res[name] - math.sqrt(var)) < 4.5 * math.sqrt(var / (2 * N)), name
    assert res["shared"] > 1.2 * res["own"]


# --- part 2: the Gaussian copula --------------------------------------------------------------

RATE_A = {"dist": "normal", "mean": 0.05, "sd": 0.01}
RATE_B = {"dist": "triangular", "low": 0.0, "mode": 0.06, "high": 0.1}
RATE_C = {"dist": "uniform", "low": -0.02, "high": 0.04}
PATH = "clusters.{}.output.growth.rate"


def copula_scenario(rho: float = 0.6, **more: Any) -> cs.Scenario:
    return scenario(
        {"a": RATE_A, "b": RATE_B, "c": RATE_C},
        shocks={
            "correlations": [{"between": [PATH.format("a"), PATH.format("b")], "rho": rho}],
            **more,
        },
    )


def drawn_rates(sc: cs.Scenario, samples: int = N, seed: int = 21) -> np.ndarray:
    rates = compile_scenario(sc, samples=samples, seed=seed).model.op("output").rates
    return np.asarray(rates)[:, :, 0]  # (S, C): constant rates


def test_the_copula_keeps_every_marginal_and_correlates_the_normal_scores() -> None:
    rho = 0.6
    x = drawn_rates(copula_scenario(rho))
    # the first number named keeps its own draws exactly (L[0, 0] = 1)
    u_a = uniform_stream(21, (), PATH.format("a"), N)
    assert_allclose(x[:, 0], 0.05 + 0.01 * ndtri(u_a), rtol=1e-12)
    # the second: its marginal is still triangular(0, 0.06, 0.1) (KS), and its uniforms
    # are a fresh transform of its own stream, not the independent one
    tri = stats.triang(c=0.6, loc=0.0, scale=0.1)
    assert stats.kstest(x[:, 1], tri.cdf).pvalue > 1e-3
    for q in (0.05, 0.5, 0.95):  # exact quantiles within binomial error
        assert abs(np.mean(x[:, 1] <= tri.ppf(q)) - q) < 4.5 * math.sqrt(q * (1 - q) / N)
    # the normal scores correlate as asked
    za, zb = ndtri(stats.norm.cdf(x[:, 0], 0.05, 0.01)), ndtri(tri.cdf(x[:, 1]))
    assert abs(np.corrcoef(za, zb)[0, 1] - rho) < 4.5 * (1 - rho**2) / math.sqrt(N)
    # an unlisted number is untouched: c keeps its own independent draws
    u_c = uniform_stream(21, (), PATH.format("c"), N)
    assert_allclose(x[:, 2], -0.02 + 0.06 * u_c, rtol=1e-12)


def test_a_chain_of_correlations_is_one_group() -> None:
    """a~b 0.5 and b~c 0.5 with a, c unlisted: Corr(z_a, z_c) = 0 (the matrix's entry)."""
    sc = scenario(
        {"a": RATE_A, "b": RATE_B, "c": RATE_C},
        shocks={
            "correlations": [
                {"between": [PATH.format("a"), PATH.format("b")], "rho": 0.5},
                {"between": [PATH.format("b"), PATH.format("c")], "rho": -0.5},
            ]
        },
    )
    x = drawn_rates(sc)
    tri = stats.triang(c=0.6, loc=0.0, scale=0.1)
    z = np.column_stack(
        [
            ndtri(stats.norm.cdf(x[:, 0], 0.05, 0.01)),
            ndtri(tri.cdf(x[:, 1])),
            ndtri((x[:, 2] + 0.02) / 0.06),
        ]
    )
    r = np.corrcoef(z.T)
    assert_allclose([r[0, 1], r[1, 2], r[0, 2]], [0.5, -0.5, 0.0], atol=4.5 / math.sqrt(N))


def test_the_copula_draws_in_chunks_as_at_once() -> None:
    sc = copula_scenario()
    whole = compile_scenario(sc, samples=40, seed=6).model.op("output").rates
    part = compile_scenario(sc, samples=15, seed=6, offset=25, draw=True).model.op("output").rates
    assert np.array_equal(part, whole[25:40])


# --- errors: file, line, field and a suggestion ----------------------------------------------

YAML = """\
id: bad
name: bad
base_year: 2023
end_year: 2026
region:
  gdp:
    base: 100
    growth:
      rate: 5%
      shocks:
        sd: 2%
        factor: regoin
clusters:
  a:
    name: a
    output:
      base: 10
      growth: {{dist: normal, mean: 0.05, sd: 0.01}}
  b:
    name: b
    output:
      base: 10
      growth: {{dist: normal, mean: 0.05, sd: 0.01}}
shocks:
  factors:
    region: {{ar: 0.3}}
  correlations:
{correlations}
"""

GOOD_PAIR = """\
    - between: [clusters.a.output.growth.rate, clusters.b.output.growth.rate]
      rho: 0.5
"""


def load(tmp_path: Path, text: str) -> cs.Scenario:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return cs.load_scenario(p)


def test_an_unknown_factor_names_file_line_field_and_the_nearest_factor(tmp_path: Path) -> None:
    sc = load(tmp_path, YAML.format(correlations=GOOD_PAIR))
    with pytest.raises(ScenarioError) as err:
        compile_scenario(sc)
    msg = str(err.value)
    assert "s.yaml:12" in msg and "region.gdp.growth.shocks.factor" in msg
    assert "did you mean 'region'?" in msg


def test_a_path_that_is_not_an_uncertain_number_is_refused(tmp_path: Path) -> None:
    text = YAML.replace("factor: regoin", "factor: region").format(
        correlations="""\
    - between: [clusters.a.output.growth.rate, clusters.b.output.growth.rat]
      rho: 0.5
"""
    )
    with pytest.raises(ScenarioError) as err:
        compile_scenario(load(tmp_path, text), samples=10, seed=1)
    msg = str(err.value)
    assert "s.yaml:28" in msg and "shocks.correlations.0.between.1" in msg
    assert "did you mean 'clusters.b.output.growth.rate'?" in msg
    # the plain run checks it too (no draws needed to know the path is wrong)
    with pytest.raises(ScenarioError, match="not an uncertain number"):
        compile_scenario(load(tmp_path, text))


def test_a_correlation_matrix_that_is_not_positive_definite_is_refused() -> None:
    p = [PATH.format(c) for c in "abc"]
    sc = scenario(
        {"a": RATE_A, "b": RATE_B, "c": RATE_C},
        shocks={
            "correlations": [
                {"between": [p[0], p[1]], "rho": 0.9},
                {"between": [p[1], p[2]], "rho": 0.9},
                {"between": [p[0], p[2]], "rho": -0.9},
            ]
        },
    )
    with pytest.raises(ScenarioError) as err:
        compile_scenario(sc, samples=10, seed=1)
    msg = str(err.value)
    assert "not positive definite" in msg
    for entry in ("#0 ", "#1 ", "#2 ", "rho 0.9", "rho -0.9"):
        assert entry in msg


def test_field_checks_of_the_shocks_block() -> None:
    with pytest.raises(ValueError, match="less than 1"):
        scenario({"a": {"rate": 0.05, "shocks": {"sd": 0.02, "ar": 1.0}}})
    with pytest.raises(ValueError, match="name the factor too"):
        scenario({"a": {"rate": 0.05, "shocks": {"sd": 0.02, "loading": 0.5}}})
    with pytest.raises(ValueError, match="Extra inputs"):
        scenario({"a": {"rate": 0.05, "shocks": {"sd": 0.02, "ra": 0.5}}})
    with pytest.raises(ScenarioError, match="the value must be >= 0"):
        compile_scenario(scenario({"a": {"rate": 0.05, "shocks": {"sd": -0.02}}}))


# --- required growth ---------------------------------------------------------------------------


def test_required_growth_is_the_median_path_rate_and_meets_the_target_half_the_time() -> None:
    """Required growth is found on the central run, which has no shocks: the constant mean
    rate r* whose median path just meets the goal, here (30 / 10)^(1/7) - 1 in closed form.
    With the innovations unchanged around r*, ln x[2030] is normal with median
    ln 10 + 7 ln(1 + r*) = ln 30, so the target is met with probability 1/2."""
    d: dict[str, Any] = {
        "id": "req",
        "name": "req",
        "base_year": BASE,
        "end_year": 2030,
        "region": {"gdp": {"base": 100.0, "growth": 0.05}},
        "clusters": {
            "a": {
                "name": "a",
                "output": {
                    "base": 10.0,
                    "growth": {"rate": 0.1, "shocks": {"sd": 0.04, "ar": 0.3}},
                },
            }
        },
        "targets": {
            "big": {
                "kind": "level",
                "label": "a reaches 30",
                "metric": "sum(output)",
                "year": 2030,
                "at_least": 30.0,
            }
        },
    }
    res = cs.run(cs.Scenario.model_validate(d), samples=2, seed=1)
    req = res.targets[0].required_growth
    assert req is not None
    r_star = float(req["rate"])
    assert r_star == pytest.approx(3.0 ** (1 / 7) - 1.0, rel=1e-10)
    d["clusters"]["a"]["output"]["growth"]["rate"] = r_star
    n = 40_000
    met = cs.run(cs.Scenario.model_validate(d), samples=n, seed=3, required=False)
    p = met.targets[0].probability
    assert abs(p - 0.5) < 4.5 * math.sqrt(0.25 / n)


# --- the command line says a run has shocks, in both languages ----------------------------------


def test_the_run_title_names_the_shocks_in_chinese_and_english(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clustersim.cli import app

    p = tmp_path / "s.yaml"
    p.write_text(YAML.replace("regoin", "region").format(correlations=GOOD_PAIR), "utf-8")
    runner = CliRunner()
    en = runner.invoke(app, ["run", str(p), "-n", "50", "-s", "1", "--lang", "en"])
    assert en.exit_code == 0, en.output
    text = " ".join(en.output.split())
    assert "yearly shocks (growth rates shocked: 1; shared factors: 1, correlations: 1)" in text
    zh = runner.invoke(app, ["run", str(p), "-n", "50", "-s", "1", "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "含逐年冲击（1个增速、1个共同因子、1组相关）" in "".join(zh.output.split())
    # the central path draws no shocks (a plain run is Monte Carlo since issue 20)
    plain = runner.invoke(app, ["run", str(p), "--central"])
    assert plain.exit_code == 0 and "shocks" not in plain.output


def test_the_json_schema_has_the_shocks_blocks() -> None:
    from clustersim.kinds.growth import GROWTH_KINDS
    from clustersim.scenario.models import scenario_json_schema

    schema = scenario_json_schema()
    defs = schema["$defs"]
    assert schema["properties"]["shocks"]["anyOf"][0] == {"$ref": "#/$defs/ScenarioShocks"}
    for cls in GROWTH_KINDS.values():  # every growth kind takes shocks
        prop = defs[cls.__name__]["properties"]["shocks"]
        assert {"$ref": "#/$defs/Shocks"} in prop["anyOf"]
    sh = defs["Shocks"]
    assert set(sh["properties"]) == {"sd", "ar", "factor", "loading", "source", "note"}
    assert sh["required"] == ["sd"] and sh["additionalProperties"] is False
    ar = next(a for a in sh["properties"]["ar"]["anyOf"] if a.get("type") == "number")
    assert ar["minimum"] == 0.0 and ar["exclusiveMaximum"] == 1.0
    assert set(defs["ScenarioShocks"]["properties"]) >= {"factors", "correlations"}
    assert defs["Correlation"]["required"] == ["between", "rho"]


@pytest.mark.parametrize("samples", [5, 13, 40])
def test_the_engines_agree_on_shocked_rates_stored_year_first(samples: int) -> None:
    """Shocked rates are stored year first (compile.year_major); the numba kernel reads
    them as (T, S, C) and its ragged tail (S not a multiple of its 8 lanes) slices the
    sample axis of that layout. Every engine gives the reference engine's outcomes."""
    from clustersim.bench.workloads import synthetic_scenario
    from clustersim.engine import run_targets
    from clustersim.engines import ENGINES
    from clustersim.engines.reference import production_draws, run_reference, scenario_document

    sc = synthetic_scenario(6, 7, shocks=True)
    comp = compile_scenario(sc, samples=samples, seed=2)
    rates = comp.model.op("output").rates
    assert rates.shape == (samples, 6, 7) and np.moveaxis(rates, -1, 0).flags.c_contiguous
    ref = run_reference(scenario_document(sc), production_draws(sc, samples, 2), samples)
    for name, engine in ENGINES.items():
        if not engine.available():
            continue
        outs = run_targets(sc, samples=samples, seed=2, engine=name)
        for tid, o in outs.items():
            assert_allclose(o.value, ref.targets[tid].value, rtol=1e-10, err_msg=f"{name} {tid}")
            assert np.array_equal(o.met, ref.targets[tid].met), (name, tid)


@pytest.mark.parametrize("ar", [0.0, 0.3])
@pytest.mark.parametrize("rate_shape", [(1, 1), (50, 1), (50, 8), (1, 8)])
def test_year_first_blocks_give_the_same_bits(ar: float, rate_shape: tuple[int, int]) -> None:
    """The compiler works shock blocks year first (ar1_years, shocked_rates_years): the
    same numbers, bit for bit, as ar1 and shocked_rates on the sample-first layout."""
    from clustersim.core.growth import ar1, ar1_years, shocked_rates, shocked_rates_years

    rng = np.random.default_rng(4)
    e = rng.normal(0.0, 0.03, (50, 7))
    rates = rng.uniform(-0.05, 0.1, rate_shape)
    want = shocked_rates(rates, ar1(e.copy(), ar))
    got = shocked_rates_years(rates, ar1_years(np.ascontiguousarray(e.T), ar), np.empty((8, 50)))
    np.testing.assert_array_equal(got.T.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("samples", [5, 13, 40])
def test_shocked_rates_stored_sample_first_are_the_same_numbers(samples: int) -> None:
    """An engine may ask for shocked rates stored sample first (compile.sample_major,
    the numba engine's layout: a lane block's rates of every year are one contiguous run).
    The rates are the same bits as stored year first, and every engine gives the same
    outcomes from either layout (the numba kernel reads them as (S, T, C), its ragged tail
    slicing the sample axis)."""
    from clustersim.bench.workloads import synthetic_scenario
    from clustersim.engines import ENGINES

    sc = synthetic_scenario(6, 7, shocks=True)
    year = compile_scenario(sc, samples=samples, seed=2)
    sample = compile_scenario(sc, samples=samples, seed=2, rates_layout="sample")
    ry, rs = year.model.op("output").rates, sample.model.op("output").rates
    assert rs.shape == (samples, 6, 7) and np.swapaxes(rs, 1, 2).flags.c_contiguous
    np.testing.assert_array_equal(rs.view(np.int64), ry.view(np.int64))
    gy, gs = year.model.op("gdp").rates, sample.model.op("gdp").rates  # a region series'
    assert gs.shape == (samples, 7) and gs.flags.c_contiguous
    np.testing.assert_array_equal(gs.view(np.int64), gy.view(np.int64))
    assert ENGINES["numba"].rates_layout() == "sample"
    assert ENGINES["numpy"].rates_layout() == "year"
    for name, engine in ENGINES.items():
        if not engine.available():
            continue
        a, b = engine.evaluate(year), engine.evaluate(sample)
        for tid, o in a.items():
            np.testing.assert_array_equal(o.value, b[tid].value, err_msg=f"{name} {tid}")
            assert np.array_equal(o.met, b[tid].met), (name, tid)
