"""Property tests of the core: chunk invariance, monotonicity, permutation equivariance."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.compile import uncertain_parameters
from clustersim.core.project import project
from clustersim.engine import run_compiled

SETTINGS = settings(max_examples=40, deadline=None)

Spec = tuple[float, float]  # (output base, output growth rate)

specs_strategy = st.lists(
    st.tuples(st.floats(50.0, 2000.0), st.floats(-0.3, 0.4)), min_size=1, max_size=5
)


def make(specs: list[Spec], *, uncertain: bool, order: list[int] | None = None) -> cs.Scenario:
    """A scenario using most model features; clusters c0..c{n-1} appear in ``order``.

    With ``uncertain`` the GDP growth, every cluster's output growth, one va_ratio and an
    indicator's growth are distributions; otherwise they are their central values.
    """
    n = len(specs)
    order = order if order is not None else list(range(n))
    clusters: dict[str, Any] = {}
    for i in order:
        base, rate = specs[i]
        growth: Any = rate
        if uncertain:
            growth = {"dist": "triangular", "low": rate - 0.02, "mode": rate, "high": rate + 0.03}
        cl: dict[str, Any] = {
            "name": f"C{i}",
            "output": {"base": base, "growth": growth},
            "va_ratio": {"base": 0.2 + 0.05 * i, "growth": -0.005},
            "energy_per_va": {"base": 0.5 + 0.1 * i, "growth": -0.02},
        }
        if i % 2 == 0:
            cl["rd"] = {"share_of_output": {"base": 0.02 + 0.002 * i, "growth": 0.01}}
        else:
            cl["rd"] = {
                "base": 5.0 + i,
                "growth": {"kind": "elasticity", "to": "output", "elasticity": 1.2},
            }
        if i == 0:
            cl["firms"] = {"base": 300, "exit_rate": 0.03, "entries": {"base": 20, "growth": 0.02}}
            cl["history"] = {"output": {2022: 0.9 * base}}
            if uncertain:
                cl["va_ratio"]["base"] = {"dist": "uniform", "low": 0.15, "high": 0.3}
        else:
            cl["firms"] = {
                "base": 100 + 10 * i,
                "growth": {"kind": "logistic", "capacity": 400, "rate": 0.3},
            }
        clusters[f"c{i}"] = cl
    g1 = [f"c{i}" for i in order if i < max(1, n // 2 + 1)]
    gdp_growth: Any = {"dist": "normal", "mean": 0.05, "sd": 0.01} if uncertain else 0.05
    loans_growth: Any = {"dist": "lognormal", "median": 0.06, "sigma": 0.2} if uncertain else 0.06
    d = {
        "id": "prop",
        "name": "prop",
        "base_year": 2023,
        "end_year": 2029,
        "region": {
            "gdp": {"base": 5000.0, "growth": gdp_growth},
            "population": {"base": 300.0, "growth": 0.002},
            "industrial_output": {
                "base": 9000.0,
                "growth": {
                    "kind": "path",
                    "interpolation": "linear",
                    "rates": {2024: 0.01, 2027: 0.05},
                },
            },
            "rd_rest": {
                "base": 40.0,
                "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1.1},
            },
            "energy_rest": {
                "base": 900.0,
                "growth": {"kind": "linear", "start": 0.01, "end": -0.01},
            },
            "history": {"energy_intensity": {2020: 0.5}, "gdp": {2022: 4800.0}},
        },
        "clusters": clusters,
        "groups": {"g1": {"name": "G1", "clusters": g1}},
        "indicators": {
            "loans": {"kind": "level", "name": "loans", "base": 18.0, "growth": loans_growth},
            "sme": {
                "kind": "stock",
                "name": "SMEs",
                "base": 380,
                "flow": {"base": 45, "growth": 0.02},
                "exit_rate": 0.02,
            },
        },
        "metrics": {
            "g1_share": "sum(output, group=g1) / industrial_output",
            "top": "max(output) / gdp",
        },
        "targets": {
            "share": {
                "kind": "share",
                "label": "s",
                "numerator": "sum(output, group=g1)",
                "denominator": "industrial_output",
                "year": 2027,
                "at_least": 0.1,
            },
            "tiers": {
                "kind": "count_over",
                "label": "t",
                "year": 2028,
                "tiers": [{"threshold": 1500, "at_least": 1}, {"threshold": 500, "at_least": 2}],
            },
            "count": {
                "kind": "count_over",
                "label": "c",
                "threshold": 800,
                "year": 2029,
                "between": [1, 3],
            },
            "rd_every": {
                "kind": "growth_every_year",
                "label": "r",
                "metric": "rd_total",
                "from_year": 2023,
                "year": 2028,
                "at_least": 0.05,
            },
            "ei": {
                "kind": "change_vs",
                "label": "e",
                "metric": "energy_intensity",
                "relative_to": 2020,
                "year": 2027,
                "at_most": -0.1,
            },
            "gdp_cagr": {
                "kind": "cagr",
                "label": "g",
                "metric": "gdp",
                "from_year": 2022,
                "year": 2028,
                "at_least": 0.05,
            },
            "c0_cagr": {
                "kind": "cagr",
                "label": "g",
                "metric": "output[c0]",
                "from_year": 2022,
                "year": 2026,
                "at_least": 0.05,
            },
            "pp": {
                "kind": "pp_change_per_year",
                "label": "p",
                "metric": "g1_share",
                "from_year": 2023,
                "year": 2026,
                "at_least": 0.0,
            },
            "loans": {
                "kind": "flow_every_year",
                "label": "l",
                "metric": "loans",
                "from_year": 2024,
                "year": 2026,
                "at_least": 19,
            },
            "sme": {"kind": "stock", "label": "s", "metric": "sme", "year": 2028, "at_least": 500},
        },
    }
    return cs.Scenario.model_validate(d)


# --- chunk invariance -----------------------------------------------------------------------------


@SETTINGS
@given(
    specs=specs_strategy,
    samples=st.integers(2, 12),
    split=st.floats(0.0, 1.0),
    useed=st.integers(0, 2**32 - 1),
)
def test_projecting_two_chunks_equals_projecting_all(
    specs: list[Spec], samples: int, split: float, useed: int
) -> None:
    """Projecting samples [0, k) and [k, S) separately and concatenating equals projecting all S.

    DESIGN promises bit-identical sweeps whatever the chunking, so equality is exact.
    """
    k = min(samples - 1, max(1, int(split * samples)))
    sc = make(specs, uncertain=True)
    paths = sorted(uncertain_parameters(sc))
    assert (
        len(paths) == len(specs) + 3
    )  # every output growth, GDP growth, c0 va_ratio, loans growth
    rng = np.random.default_rng(useed)
    u = {p: rng.uniform(1e-6, 1.0 - 1e-6, size=samples) for p in paths}
    whole = cs.compile_scenario(sc, samples=samples, uniforms=u)
    head = cs.compile_scenario(sc, samples=k, uniforms={p: v[:k] for p, v in u.items()})
    tail = cs.compile_scenario(sc, samples=samples - k, uniforms={p: v[k:] for p, v in u.items()})
    p_all, p_head, p_tail = project(whole.model), project(head.model), project(tail.model)
    assert set(p_all) == set(p_head) == set(p_tail)
    for name, arr in p_all.items():
        joined = np.concatenate([p_head[name], p_tail[name]], axis=0)
        assert joined.shape == arr.shape
        assert_array_equal(joined, arr, err_msg=name)
    # the target checks are sample-separable too
    r_all, r_head, r_tail = (run_compiled(c, required=False) for c in (whole, head, tail))
    for t in r_all.targets:
        th, tt = r_head.target(t.id), r_tail.target(t.id)
        assert_array_equal(np.concatenate([th.value, tt.value]), t.value, err_msg=t.id)
        assert_array_equal(np.concatenate([th.margin, tt.margin]), t.margin, err_msg=t.id)
        assert_array_equal(np.concatenate([th.met, tt.met]), t.met)


# --- monotonicity ---------------------------------------------------------------------------------


@SETTINGS
@given(
    specs=specs_strategy,
    which=st.integers(0, 4),
    rates=st.tuples(st.floats(-0.5, 1.0), st.floats(-0.5, 1.0)),
)
def test_output_monotone_in_a_cluster_growth_rate(
    specs: list[Spec], which: int, rates: tuple[float, float]
) -> None:
    """Raising one cluster's constant growth rate never lowers its output, the totals built on it,
    or the share and count targets; other clusters' outputs do not move at all."""
    i = which % len(specs)
    lo, hi = sorted(rates)
    low_specs, high_specs = list(specs), list(specs)
    low_specs[i] = (specs[i][0], lo)
    high_specs[i] = (specs[i][0], hi)
    a = cs.run(make(low_specs, uncertain=False), required=False)
    b = cs.run(make(high_specs, uncertain=False), required=False)
    out_a, out_b = a.series["output"][0], b.series["output"][0]
    assert np.all(out_b[i] >= out_a[i])
    others = [j for j in range(len(specs)) if j != i]
    assert_array_equal(out_b[others], out_a[others])
    for name in ("cluster_output", "rd_total", "energy_total"):
        assert np.all(b.series[name] >= a.series[name] * (1 - 1e-14)), name
    for name in ("value_added", "rd", "energy"):
        assert np.all(b.series[name][0, i] >= a.series[name][0, i] * (1 - 1e-14)), name
    assert b.target("share").value[0] >= a.target("share").value[0] * (1 - 1e-14)
    # counts over a threshold can only grow when one cluster grows faster
    assert b.target("tiers").detail[">=500"] + b.target("tiers").detail[">=1500"] >= (
        a.target("tiers").detail[">=500"] + a.target("tiers").detail[">=1500"]
    )
    if hi - lo > 1e-9:  # a visibly higher rate gives strictly more output after the base year
        assert np.all(out_b[i, 1:] > out_a[i, 1:])


# --- permutation equivariance ---------------------------------------------------------------------


@SETTINGS
@given(data=st.data(), specs=specs_strategy, uncertain=st.booleans())
def test_cluster_permutation_equivariance(
    data: st.DataObject, specs: list[Spec], uncertain: bool
) -> None:
    """Listing clusters in another order permutes cluster series and leaves region series,
    metrics and target values unchanged (to 1e-12)."""
    n = len(specs)
    perm = data.draw(st.permutations(list(range(n))))
    samples = 6 if uncertain else 1
    a = cs.run(make(specs, uncertain=uncertain), samples=samples, seed=3, required=False)
    b = cs.run(
        make(specs, uncertain=uncertain, order=perm), samples=samples, seed=3, required=False
    )
    assert b.clusters == tuple(f"c{i}" for i in perm)
    assert set(a.series) == set(b.series)
    for name, arr in a.series.items():
        other = b.series[name]
        if arr.ndim == 3:
            assert_array_equal(other, arr[:, perm, :], err_msg=name)
        else:
            assert_allclose(other, arr, rtol=1e-12, atol=0, err_msg=name)
    for t in a.targets:
        u = b.target(t.id)
        # growth-rate values near 0 are differences of O(1) ratios: absolute rounding 1e-16
        assert_allclose(u.value, t.value, rtol=1e-12, atol=1e-14, err_msg=t.id)
        assert_allclose(u.margin, t.margin, rtol=1e-10, atol=1e-12, err_msg=t.id)
        assert_array_equal(u.met, t.met)
