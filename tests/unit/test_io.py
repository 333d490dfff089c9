"""Input-output coupling (issue 17, part 2): a hand-solved 3-sector case, batched against
per-sample solves, the reference engine (Gaussian elimination in plain loops), the blocked
engine and the errors."""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.errors import ScenarioError
from clustersim.scenario.models import Scenario

RTOL = 1e-12

# rows supply, columns buy: a_ij = input from i per unit of j's output (rest last)
A = [[0.1, 0.2, 0.05], [0.3, 0.0, 0.1], [0.2, 0.1, 0.2]]


def doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "io",
        "name": "io",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100.0}},
        "clusters": {
            "a": {"name": "a", "output": {"base": 100, "growth": 0.10}, "va_ratio": {"base": 0.3}},
            "b": {"name": "b", "output": {"base": 200, "growth": 0.0}},
        },
        "io": {
            "illustrative": True,
            "rest": {"output": {"base": 500, "growth": 0.05}},
            "coefficients": {
                "a": {"a": 0.1, "b": 0.2, "rest": 0.05},
                "b": {"a": 0.3, "rest": 0.1},
                "rest": {"a": 0.2, "b": 0.1, "rest": 0.2},
            },
        },
    }
    d.update(copy.deepcopy(over))
    return d


def test_three_sectors_solved_by_hand() -> None:
    # base year: A x0 = (10 + 40 + 25, 30 + 50, 20 + 20 + 100) = (75, 80, 140), so final
    # demand f0 = x0 - A x0 = (25, 120, 360). 2024: f = (27.5, 120, 378), a change of
    # (2.5, 0, 18); (I - A) dx = (2.5, 0, 18):
    #   0.9 dx1 - 0.2 dx2 - 0.05 dx3 = 2.5;  -0.3 dx1 + dx2 - 0.1 dx3 = 0;
    #   -0.2 dx1 - 0.1 dx2 + 0.8 dx3 = 18
    # the second gives dx2 = 0.3 dx1 + 0.1 dx3; then 0.84 dx1 - 0.07 dx3 = 2.5 and
    # -0.23 dx1 + 0.79 dx3 = 18, so dx3 = (18 * 0.84 + 0.23 * 2.5) / (0.79 * 0.84 - 0.23 * 0.07)
    # = 15.695 / 0.6475, dx1 = (2.5 + 0.07 dx3) / 0.84
    dx3 = 15.695 / 0.6475
    dx1 = (2.5 + 0.07 * dx3) / 0.84
    dx2 = 0.3 * dx1 + 0.1 * dx3
    r = cs.run(Scenario.model_validate(doc()), required=False)
    out = r.series["output"][0]  # (C, T)
    np.testing.assert_allclose(out[:, 0], [100, 200], rtol=RTOL)
    np.testing.assert_allclose(out[:, 1], [100 + dx1, 200 + dx2], rtol=1e-12)
    np.testing.assert_allclose(r.series["io_rest_output"][0][:2], [500, 500 + dx3], rtol=1e-12)
    # the coupling matters: b's own final demand does not grow, its output does (3.92)
    assert dx2 == pytest.approx(3.9227799, rel=1e-6)
    # value added from output by the cluster's ratio
    np.testing.assert_allclose(r.series["value_added"][0][0], 0.3 * out[0], rtol=RTOL)
    # the uncoupled paths stay available: a's demand path is 100, 110, 121
    np.testing.assert_allclose(r.series["demand"][0][0], [100, 110, 121], rtol=RTOL)


def uncertain() -> dict[str, Any]:
    d = doc()
    co = d["io"]["coefficients"]
    co["a"]["b"] = {"dist": "uniform", "low": 0.1, "high": 0.3}
    co["rest"]["rest"] = {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.35}
    d["clusters"]["b"]["output"]["growth"] = {"dist": "normal", "mean": 0.03, "sd": 0.02}
    d["targets"] = {
        "b": {"kind": "level", "label": "b", "metric": "output[b]", "year": 2025, "at_least": 205},
        "va": {
            "kind": "level",
            "label": "va",
            "metric": "value_added[a]",
            "year": 2025,
            "at_least": 36.5,
        },
    }
    return d


def test_batched_solve_equals_per_sample_inverse() -> None:
    sc = Scenario.model_validate(uncertain())
    n = 40
    draws = production_draws(sc, n, 11)
    r = cs.run(sc, samples=n, seed=11, required=False)
    for s in range(n):
        a = np.array(A)
        a[0, 1] = draws["io.coefficients.a.b"][s]
        a[2, 2] = draws["io.coefficients.rest.rest"][s]
        g = draws["clusters.b.output.growth.rate"][s]
        d = np.array(
            [
                [100 * 1.1**t for t in range(3)],
                [200 * (1 + g) ** t for t in range(3)],
                [500 * 1.05**t for t in range(3)],
            ]
        )
        f0 = d[:, 0] - a @ d[:, 0]
        inv = np.linalg.inv(np.eye(3) - a)
        for t in range(3):
            x = inv @ (f0 * d[:, t] / d[:, 0])
            np.testing.assert_allclose(r.series["output"][s, :, t], x[:2], rtol=1e-10)
            np.testing.assert_allclose(r.series["io_rest_output"][s, t], x[2], rtol=1e-10)


def test_reference_and_blocked_engine_agree() -> None:
    sc = Scenario.model_validate(uncertain())
    n = 24
    ref = run_reference(scenario_document(sc), production_draws(sc, n, 4), n)
    prod = cs.run(sc, samples=n, seed=4, required=False)
    for name in (
        "output",
        "demand",
        "value_added",
        "io_rest_output",
        "io_rest_demand",
        "cluster_output",
    ):
        want = ref.series[name]
        m = np.isfinite(want)  # NaN: a cluster without the series (b has no va_ratio)
        np.testing.assert_allclose(prod.series[name][m], want[m], rtol=1e-11, err_msg=name)
    for block in (1, 5, 24):
        got = run_targets(sc, samples=n, seed=4, engine="numpy", block=block)
        for tid, want in ref.targets.items():
            np.testing.assert_allclose(got[tid].value, want.value, rtol=1e-11, err_msg=tid)
            assert np.array_equal(got[tid].met, want.met)


def test_required_growth_moves_final_demand() -> None:
    d = doc(
        targets={
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "output[b]",
                "year": 2025,
                "at_least": 230,
            }
        }
    )
    r = cs.run(Scenario.model_validate(d))
    req = r.targets[0].required_growth
    assert req is not None and req["variable"] == "demand" and req["rate"] is not None
    # at that final-demand growth of b, b's output lands on 230
    d2 = doc()
    d2["clusters"]["b"]["output"]["growth"] = req["rate"]
    out = cs.run(Scenario.model_validate(d2), required=False).series["output"][0]
    assert out[1, -1] == pytest.approx(230, rel=1e-6)


def test_errors_name_the_field() -> None:
    bad = doc()
    bad["io"]["coefficients"]["rest"]["a"] = 0.7  # column a: 0.1 + 0.3 + 0.7 = 1.1
    with pytest.raises(ScenarioError, match=r"io\.coefficients.*column a sum to 1\.1"):
        cs.run(Scenario.model_validate(bad))
    typo = doc()
    typo["io"]["coefficients"]["a"]["bb"] = 0.1
    with pytest.raises(Exception, match=r"io\.coefficients\.a\.bb.*'bb' is neither"):
        Scenario.model_validate(typo)


def test_without_io_nothing_changes() -> None:
    d = doc()
    del d["io"]
    r = cs.run(Scenario.model_validate(d), required=False)
    assert "demand" not in r.series and "io_rest_output" not in r.series
    np.testing.assert_allclose(r.series["output"][0][0], [100, 110, 121], rtol=RTOL)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_numba_solves_io_and_matches_the_hand_solution() -> None:
    # the numba engine has a compiled form for io (tests/unit/test_accel_tiers_io.py holds it
    # to the NumPy engine under draws); here the hand-solved 2024 output of b: 200 + 3.92...
    sc = Scenario.model_validate(
        doc(
            targets={
                "b": {
                    "kind": "level",
                    "label": "b",
                    "metric": "output[b]",
                    "year": 2024,
                    "at_least": 1,
                }
            }
        )
    )
    dx3 = 15.695 / 0.6475
    dx1 = (2.5 + 0.07 * dx3) / 0.84
    got = run_targets(sc, samples=4, seed=1, engine="numba")
    assert got["b"].value[0] == pytest.approx(200 + 0.3 * dx1 + 0.1 * dx3, rel=1e-12)
    from clustersim.engines import AUTO_ACCEL_FROM, resolve_engine

    assert resolve_engine("auto", AUTO_ACCEL_FROM * 2, ["level", "io"]) == "numba"


def test_output_satisfies_the_balance_every_year() -> None:
    # x = A x + f: output less the inputs the sectors buy from it is final demand, and final
    # demand grows as each sector's own path (f[t] = f[0] d[t] / d[0]); checked without a solve
    sc = Scenario.model_validate(uncertain())
    n = 50
    draws = production_draws(sc, n, 8)
    r = cs.run(sc, samples=n, seed=8, required=False)
    x = np.concatenate([r.series["output"], r.series["io_rest_output"][:, None, :]], axis=1)
    d = np.concatenate([r.series["demand"], r.series["io_rest_demand"][:, None, :]], axis=1)
    a = np.broadcast_to(np.array(A), (n, 3, 3)).copy()
    a[:, 0, 1] = draws["io.coefficients.a.b"]
    a[:, 2, 2] = draws["io.coefficients.rest.rest"]
    f = x - np.einsum("sij,sjt->sit", a, x)
    f0 = d[:, :, 0] - np.einsum("sij,sj->si", a, d[:, :, 0])
    np.testing.assert_allclose(f, f0[:, :, None] * d / d[:, :, :1], rtol=1e-10)
