"""The whitelisted expression language: accepted grammar, evaluation, and rejections."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.core import expr as ex

S, C, T = 2, 3, 4
RNG = np.random.default_rng(7)
OUTPUT = RNG.uniform(10.0, 100.0, size=(S, C, T))
GDP = RNG.uniform(500.0, 900.0, size=(S, T))
SERIES = {"output": OUTPUT, "gdp": GDP}
IS_CLUSTER = {"output": True, "gdp": False}
CLUSTERS = {"a": 0, "b": 1, "c": 2}
GROUPS = {"ac": np.array([0, 2], dtype=np.intp), "all": np.arange(C, dtype=np.intp)}


def ev(text: str) -> np.ndarray:
    """Parse, check and evaluate ``text`` on the fixed arrays above."""
    tree = ex.parse(text)
    ex.level_of(tree, IS_CLUSTER, GROUPS, CLUSTERS)
    return ex.evaluate(tree, SERIES.__getitem__, GROUPS, CLUSTERS, 3)


def test_parse_builds_the_expected_tree() -> None:
    """Reducers with group=, picks, unary minus and binary operators map to their nodes."""
    assert ex.parse("sum(output, group=ac) / gdp") == ex.Bin(
        "/", ex.Reduce("sum", ex.Name("output"), "ac"), ex.Name("gdp")
    )
    assert ex.parse("-output[b]") == ex.Neg(ex.Pick("output", "b"))
    assert ex.parse("+gdp") == ex.Name("gdp")
    assert ex.parse(" 2 ** 3 ") == ex.Bin("**", ex.Const(2.0), ex.Const(3.0))
    assert ex.names_in(ex.parse("max(output) - gdp * output[c]")) == ["output", "gdp", "output"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum(output, group=ac)", OUTPUT[:, 0] + OUTPUT[:, 2]),
        ("sum(output)", OUTPUT[:, 0] + OUTPUT[:, 1] + OUTPUT[:, 2]),
        ("mean(output, group=ac)", (OUTPUT[:, 0] + OUTPUT[:, 2]) / 2.0),
        ("min(output)", np.minimum(np.minimum(OUTPUT[:, 0], OUTPUT[:, 1]), OUTPUT[:, 2])),
        ("max(output, group=ac)", np.maximum(OUTPUT[:, 0], OUTPUT[:, 2])),
        ("output[b]", OUTPUT[:, 1]),
        ("output[c] / gdp", OUTPUT[:, 2] / GDP),
        ("-gdp + 2", 2.0 - GDP),
        ("-(gdp - 1) * 3", (1.0 - GDP) * 3.0),
        ("gdp ** 2 / 1000", GDP * GDP / 1000.0),
        (
            "sum(output) / gdp * 100 - 1",
            (OUTPUT[:, 0] + OUTPUT[:, 1] + OUTPUT[:, 2]) / GDP * 100.0 - 1.0,
        ),
        ("sum(output / gdp, group=ac)", OUTPUT[:, 0] / GDP + OUTPUT[:, 2] / GDP),
    ],
)
def test_region_level_expressions_evaluate_like_numpy(text: str, expected: np.ndarray) -> None:
    """Each whitelisted construct gives the value computed by hand with numpy."""
    got = ev(text)
    assert got.shape == (S, T)
    assert_allclose(got, expected, rtol=1e-14)


def test_cluster_series_broadcasts_against_region_series() -> None:
    """output / gdp divides every cluster by the region series; it stays cluster-level."""
    tree = ex.parse("output / gdp")
    assert ex.level_of(tree, IS_CLUSTER, GROUPS, CLUSTERS) is True
    got = ex.evaluate(tree, SERIES.__getitem__, GROUPS, CLUSTERS, 3)
    for c in range(C):
        assert_allclose(got[:, c], OUTPUT[:, c] / GDP, rtol=1e-15)


def test_operator_precedence_follows_python() -> None:
    """1 + 2 * 3 ** 2 = 19 and (1 + 2) * 3 = 9, -2 ** 2 = -4."""
    assert float(ev("1 + 2 * 3 ** 2")) == 19.0
    assert float(ev("(1 + 2) * 3")) == 9.0
    assert float(ev("-2 ** 2")) == -4.0


@pytest.mark.parametrize(
    "text",
    [
        "gdp.real",
        "__import__('os')",
        "__import__('os').system('true')",
        "open('x')",
        "eval('1')",
        "gdp.sum()",
        "lambda x: x",
        "gdp > 1",
        "gdp == gdp",
        "output[0]",
        "output['a']",
        "output[a.b]",
        "output[a:b]",
        "(output + 1)[a]",
        "sum(output, axis=1)",
        "sum(output, group='ac')",
        "sum(output, gdp)",
        "sum()",
        "sum(*output)",
        "sum(output, **kw)",
        "'text'",
        "True",
        "1j",
        "[gdp, gdp]",
        "gdp if gdp else 1",
        "gdp // 2",
        "gdp % 2",
        "not gdp",
        "gdp and gdp",
        "gdp +",
        "",
        "   ",
    ],
)
def test_constructs_outside_the_grammar_raise_expr_error(text: str) -> None:
    """Anything outside the grammar is an ExprError, never evaluated by Python."""
    with pytest.raises(ex.ExprError):
        ex.parse(text)


def test_rejection_messages_say_what_is_allowed() -> None:
    """Messages name the bad function or construct and list what is allowed."""
    with pytest.raises(
        ex.ExprError, match=r"unknown function '__import__'; allowed: sum, mean, min, max"
    ):
        ex.parse("__import__('os')")
    with pytest.raises(ex.ExprError, match=r"'gdp\.real' is not allowed"):
        ex.parse("gdp.real")
    with pytest.raises(ex.ExprError, match=r"output\[new_materials\]"):
        ex.parse("output[0]")
    with pytest.raises(ex.ExprError, match=r"accepts only group="):
        ex.parse("sum(output, axis=1)")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("gpd * 2", r"unknown series 'gpd'; did you mean 'gdp'\?"),
        ("sum(outptu)", r"unknown series 'outptu'; did you mean 'output'\?"),
        ("sum(output, group=acc)", r"unknown group 'acc'; did you mean 'ac'\?"),
        ("output[bb]", r"unknown cluster 'bb'; did you mean 'b'\?"),
        ("zzz", r"unknown series 'zzz' \(known: gdp, output\)"),
    ],
)
def test_unknown_names_are_named_with_a_suggestion(text: str, pattern: str) -> None:
    """Unknown series, groups and clusters are named, with the closest known one."""
    with pytest.raises(ex.ExprError, match=pattern):
        ex.level_of(ex.parse(text), IS_CLUSTER, GROUPS, CLUSTERS)


def test_level_errors() -> None:
    """A region series cannot be picked and a reducer needs a cluster series."""
    with pytest.raises(ex.ExprError, match="region series"):
        ex.level_of(ex.parse("gdp[a]"), IS_CLUSTER, GROUPS, CLUSTERS)
    with pytest.raises(ex.ExprError, match="argument must be a cluster series"):
        ex.level_of(ex.parse("sum(gdp)"), IS_CLUSTER, GROUPS, CLUSTERS)


def test_reduce_over_empty_group_is_an_error() -> None:
    """Reducing over a group with no clusters raises instead of returning 0 or NaN."""
    groups = {"none": np.array([], dtype=np.intp)}
    with pytest.raises(ex.ExprError, match="empty group"):
        ex.evaluate(ex.parse("sum(output, group=none)"), SERIES.__getitem__, groups, CLUSTERS, 3)


def _scenario(metrics: dict[str, Any], targets: dict[str, Any] | None = None) -> cs.Scenario:
    d: dict[str, Any] = {
        "id": "expr",
        "name": "expr",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100.0, "growth": 0.1}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 10.0, "growth": 0.2}},
            "b": {"name": "B", "output": {"base": 30.0}},
        },
        "groups": {"only_a": {"name": "A only", "clusters": ["a"]}},
        "metrics": metrics,
        "targets": targets or {},
    }
    return cs.Scenario.model_validate(d)


def test_metrics_in_a_scenario_evaluate_and_chain() -> None:
    """Metrics may use other metrics; values match hand-computed trajectories."""
    sc = _scenario(
        {
            "a_share": "sum(output, group=only_a) / gdp",
            "pct": "a_share * 100",
            "gap": "output[b] - output[a]",
        }
    )
    res = cs.run(sc, required=False)
    t = np.arange(3)
    a, b, gdp = 10.0 * 1.2**t, np.full(3, 30.0), 100.0 * 1.1**t
    assert_allclose(res.series["a_share"][0], a / gdp, rtol=1e-14)
    assert_allclose(res.series["pct"][0], a / gdp * 100.0, rtol=1e-14)
    assert_allclose(res.series["gap"][0], b - a, rtol=1e-14)


def test_unknown_name_in_a_scenario_metric_names_the_metric_and_suggests() -> None:
    """A typo in a metric is a ScenarioError naming the metric path and the near miss."""
    with pytest.raises(
        cs.ScenarioError, match=r"metrics\.bad: unknown series 'gpd'; did you mean 'gdp'\?"
    ):
        cs.compile_scenario(_scenario({"bad": "output[a] / gpd"}))


def test_disallowed_construct_in_a_scenario_metric_is_a_scenario_error() -> None:
    """__import__ in a metric is rejected at compile time with the metric's path."""
    with pytest.raises(cs.ScenarioError, match=r"metrics\.evil: .*unknown function '__import__'"):
        cs.compile_scenario(_scenario({"evil": "__import__('os')"}))


def test_per_cluster_target_metric_must_be_reduced() -> None:
    """A level target on a cluster series without a reducer or pick is refused."""
    targets = {
        "t": {"kind": "level", "label": "t", "metric": "output", "year": 2025, "at_least": 1}
    }
    with pytest.raises(cs.ScenarioError, match=r"targets\.t: the metric is per cluster"):
        cs.compile_scenario(_scenario({}, targets))


def test_metric_dividing_by_zero_without_target_is_an_error() -> None:
    """DESIGN: no NaN or inf in results without an error saying where it came from."""
    sc = _scenario({"per_b": "gdp / (output[b] - 30)"})
    with pytest.raises(cs.ClusterSimError, match="per_b"):
        cs.run(sc, required=False)
