"""Lines of the numeric core no other test ran (issue 22 (b)), each checked by value or by
the message it must give.

The blocked engine's factorised arithmetic (:class:`~clustersim.core.blocked.Scaled`) is held
to the plain products written out here; the model's dimension checks and the count kind's
field checks to the messages a user reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core import blocked as bl
from clustersim.core.model import Compound, Model, StockFlow, Whole, whole

RNG = np.random.default_rng(7)
T, B, C = 4, 3, 5


def test_sum_of_scalings_of_one_base_stays_factorised() -> None:
    """``a x s1 + a x s2`` is ``a x (s1 + s2)`` (one pass over ``a``), equal to the plain sum."""
    base = RNG.uniform(1, 2, (T, B, C))
    s1, s2, s3 = (RNG.uniform(0, 1, (T, 1, C)) for _ in range(3))
    got = bl._sum([bl.Scaled(base, s1), bl.Scaled(base, s2), bl.Scaled(base, s3)])
    assert isinstance(got, bl.Scaled) and got.base is base
    assert_allclose(got.full(), base * s1 + base * s2 + base * s3, rtol=1e-14)
    # another base in the sum: written out, the same numbers
    other = bl.Scaled(RNG.uniform(1, 2, (T, B, C)), s2)
    mixed = bl._sum([bl.Scaled(base, s1), other])
    assert_allclose(bl._full(mixed), base * s1 + other.base * s2, rtol=1e-14)


def test_region_times_cluster_series_is_a_scaling_of_the_cluster_series() -> None:
    """``gdp * output``: a region ``(T, B)`` operand times a cluster ``(T, B, C)`` one, on
    either side, is the cluster series scaled per sample and year."""
    region = RNG.uniform(1, 2, (T, B))
    cluster = RNG.uniform(1, 2, (T, B, C))
    want = region[..., None] * cluster
    for a, b in ((region, cluster), (cluster, region)):
        got = bl._binary("*", a, b)
        assert isinstance(got, bl.Scaled) and got.base is cluster
        assert_allclose(got.full(), want, rtol=1e-14)
    # sums and quotients broadcast the region operand over clusters
    assert_allclose(bl._full(bl._binary("+", region, cluster)), region[..., None] + cluster)
    assert_allclose(bl._full(bl._binary("/", cluster, region)), cluster / region[..., None])


def _model(**over: Any) -> Model:
    args: dict[str, Any] = {
        "years": np.arange(2023, 2026),
        "clusters": ("a", "b"),
        "samples": 2,
        "ops": (Compound("gdp", False, np.array([100.0]), np.full((1, 1), 0.1)),),
    }
    args.update(over)
    return Model(**args)


def test_model_dimension_checks_name_the_op_and_the_shapes() -> None:
    m = _model()
    assert m.base_year == 2023 and m.n_years == 3 and m.names == ("gdp",)
    assert m.is_cluster("gdp") is False
    with pytest.raises(KeyError, match="nope"):
        m.op("nope")
    with pytest.raises(ValueError, match=r"at least two years"):
        _model(years=np.arange(2023, 2024))
    with pytest.raises(ValueError, match=r"samples must be >= 1, got 0"):
        _model(samples=0)
    with pytest.raises(ValueError, match=r"op 'f' needs 'e', which is not computed before it"):
        _model(ops=(StockFlow("f", False, np.zeros(1), "e", np.zeros(1)),))
    gdp = _model().ops[0]
    with pytest.raises(ValueError, match=r"op 'gdp' is defined twice"):
        _model(ops=(gdp, gdp))
    bad = Compound("out", True, np.ones((1, 3)), np.zeros((1, 2, 1)))  # 3 clusters, not 2
    with pytest.raises(
        ValueError, match=r"out\.x0 has shape \(1, 3\), expected \(S' in \{1, 2\}, 2\)"
    ):
        _model(ops=(bad,))
    late = Compound("g", False, np.ones(1), np.zeros((1, 7)))  # 7 years of rates, not 3
    with pytest.raises(ValueError, match=r"g\.rates has shape \(1, 7\), expected .*1 or 3\)"):
        _model(ops=(late,))


def test_with_op_checks_the_new_op_and_gives_the_model_replace_gives() -> None:
    """``Model.with_op`` (the required-growth search's copies): from a one-sample model only
    the new op is checked, with the same messages; the copy is the one a full check makes."""
    import dataclasses

    out = Compound("out", True, np.ones((1, 2)), np.zeros((1, 2, 1)))
    one = _model(samples=1, ops=(*_model().ops, out, Whole("n", True, "out")))
    rates = np.full((5, 2, 1), 0.07)
    new = dataclasses.replace(out, rates=rates)
    got = one.with_op(new, 5)
    want = dataclasses.replace(one, ops=(one.ops[0], new, one.ops[2]), samples=5)
    assert got == want and got.samples == 5 and got.op("out") is new and got.ops[0] is one.ops[0]
    with pytest.raises(ValueError, match=r"out\.rates has shape \(4, 2, 1\), expected"):
        one.with_op(dataclasses.replace(out, rates=np.zeros((4, 2, 1))), 5)
    with pytest.raises(ValueError, match=r"op 'out' needs 'n', which is not computed before it"):
        one.with_op(StockFlow("out", True, np.zeros((1, 2)), "n", np.zeros((1, 2))), 5)
    with pytest.raises(ValueError, match=r"samples must be >= 1, got 0"):
        one.with_op(new, 0)
    # from a model of several samples, the whole copy is checked
    two = _model(ops=(*_model().ops, dataclasses.replace(out, x0=np.ones((2, 2)))))
    with pytest.raises(ValueError, match=r"out\.x0 has shape \(2, 2\), expected"):
        two.with_op(dataclasses.replace(two.ops[0], rates=np.full((5, 1), 0.1)), 5)


def test_whole_units_allow_float_rounding_only() -> None:
    """floor(x + min(1e-6, 1e-9 max(1, |x|))): 0.25 x 4 an ulp below 1 is 1, 1 - 1e-6 is 0;
    a count of a trillion less 1e-4 stays below it (the allowance is capped at 1e-6)."""
    x = np.array([0.25 * 4 - 2e-16, 1 - 1e-6, 2.5, 1e12 - 1e-3, -0.5, 0.0, 1e6 - 1e-4])
    assert_array_equal(whole(x), [1.0, 0.0, 2.0, 1e12 - 1, -1.0, 0.0, 1e6 - 1])
    m = _model(ops=(*_model().ops, Whole("n", False, "gdp")))
    assert m.op("n").deps == ("gdp",)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (
            {"threshold": 100, "at_least": 1, "tiers": [{"threshold": 50, "at_least": 1}]},
            "not both",
        ),
        ({"tiers": [{"threshold": 50, "at_least": 1}], "at_least": 1}, "each tier's at_least"),
        ({"threshold": 100, "at_least": 1, "group": "g", "over": ["a"]}, "group or over, not both"),
        ({"threshold": 100, "at_least": 1, "over": ["a", "a"]}, r"names an id twice"),
    ],
)
def test_count_over_refuses_contradictory_fields(extra: dict[str, Any], match: str) -> None:
    d = {
        "id": "c",
        "name": "c",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 120}}},
        "groups": {"g": {"name": "G", "clusters": ["a"]}},
        "targets": {"t": {"kind": "count_over", "label": "t", "year": 2025, **extra}},
    }
    with pytest.raises(Exception, match=match):
        cs.Scenario.model_validate(d)


def test_compile_refuses_bad_sample_counts() -> None:
    d = {
        "id": "c",
        "name": "c",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
    }
    sc = cs.Scenario.model_validate(d)
    with pytest.raises(cs.ScenarioError, match=r"samples must be >= 1, got 0"):
        compile_scenario(sc, samples=0)
    with pytest.raises(cs.ScenarioError, match=r"offset must be >= 0, got -1"):
        compile_scenario(sc, samples=2, offset=-1)
    with pytest.raises(ValueError, match=r"block must be >= 1, got 0"):
        comp = compile_scenario(sc, samples=2)
        bl.evaluate_targets(comp.model, [], comp.metrics, block=0)


def test_required_growth_of_a_whole_count_is_a_step_search() -> None:
    """A count of whole units jumps: its required growth is searched as a step (bisection)
    and lands where the continuous pace reaches the goal. Flow 0.25 a year growing at r
    from 2023: 0.25 ((1 + r) + ... + (1 + r)^4) = 2 in 2027, solved here by hand."""
    d = {
        "id": "w",
        "name": "w",
        "base_year": 2023,
        "end_year": 2027,
        "region": {"gdp": {"base": 100}},
        "indicators": {
            "nat": {
                "kind": "stock",
                "name": "n",
                "base": 0,
                "integer": True,
                "flow": {"base": 0.25},
            }
        },
        "targets": {
            "t": {"kind": "stock", "label": "t", "metric": "nat", "year": 2027, "at_least": 2}
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None and rg["method"] == "bisection" and rg["variable"] == "nat_flow"

    def paced(r: float) -> float:
        return 0.25 * sum((1 + r) ** k for k in range(1, 5))

    lo, hi = 0.0, 2.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if paced(mid) < 2 else (lo, mid)
    assert rg["rate"] == pytest.approx(hi, abs=1e-9)
    assert whole(np.array([paced(rg["rate"])]))[0] == 2.0


def _doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "c",
        "name": "c",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
    }
    d.update(over)
    return d


def _cluster(**fields: Any) -> dict[str, Any]:
    return {"a": {"name": "A", "output": {"base": 100}, **fields}}


def _lever(lever: dict[str, Any]) -> dict[str, Any]:
    t = {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 1}
    return {"t": {**t, "lever": lever}}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            _doc(clusters={"a": {"name": "A", "output": {"base": -5}}}),
            "clusters.a.output.base: -5 is not allowed: the value must be >= 0",
        ),
        (
            _doc(clusters=_cluster(va_ratio={"base": 1.5})),
            "clusters.a.va_ratio.base: 1.5 is not allowed: the value must be between 0 and 1",
        ),
        (
            _doc(clusters=_cluster(va_ratio={"base": {"dist": "uniform", "low": 1.5, "high": 2}})),
            "clusters.a.va_ratio.base: the distribution has no mass where the value is allowed: "
            "is not allowed: the value must be between 0 and 1",
        ),
        (
            _doc(clusters=_cluster(energy_per_va={"base": 1})),
            "clusters.a.energy_per_va: needs va_ratio in the same cluster",
        ),
        (
            _doc(
                clusters=_cluster(
                    firms={
                        "base": 10,
                        "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1},
                    }
                )
            ),
            "clusters.a.firms.growth: firms cannot use elasticity growth",
        ),
        (
            _doc(targets=_lever({"series": "output", "group": "nope"})),
            "targets.t.lever.group: unknown group 'nope'",
        ),
        (
            _doc(targets=_lever({"series": "output", "clusters": ["zz"]})),
            "targets.t.lever.clusters: unknown cluster(s) ['zz']",
        ),
    ],
)
def test_compile_errors_name_the_field_and_what_is_allowed(
    doc: dict[str, Any], message: str
) -> None:
    sc = cs.Scenario.model_validate(doc)
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(sc)
    assert message in str(info.value)


def test_run_memory_estimate_is_every_series_of_every_sample() -> None:
    """run_bytes: samples x years x 8 bytes x (10 per cluster + 12 region + 2 per indicator +
    1 per metric); 3 years, 1 cluster, no indicators or metrics: 1,000 x 3 x 8 x 22."""
    from clustersim.engine import MAX_RUN_BYTES, run_bytes

    sc = cs.Scenario.model_validate(_doc())
    assert run_bytes(sc, 1000) == 1000 * 3 * 8 * 22 == 528_000
    with_more = cs.Scenario.model_validate(
        _doc(
            indicators={"x": {"kind": "level", "name": "x", "base": 1}},
            metrics={"m": "gdp * 2"},
        )
    )
    assert run_bytes(with_more, 10) == 10 * 3 * 8 * (10 + 12 + 2 + 1)
    # above the limit a run is refused, naming the way out
    n = MAX_RUN_BYTES // (3 * 8 * 22) + 1
    with pytest.raises(cs.ModelError, match=r"use `clustersim sweep`"):
        cs.run(sc, samples=n)


def test_cluster_rd_without_growth_stays_at_its_base_beside_a_growing_one() -> None:
    """rd of a with a base and no growth (constant), of b growing 10%: 5, 5, 5 and 3, 3.3,
    3.63, summed in rd_total with no rest."""
    clusters = {
        "a": {"name": "A", "output": {"base": 100}, "rd": {"base": 5}},
        "b": {"name": "B", "output": {"base": 100}, "rd": {"base": 3, "growth": 0.1}},
    }
    for samples in (1, 3):
        res = cs.run(cs.Scenario.model_validate(_doc(clusters=clusters)), samples=samples, seed=1)
        rd = res.series["rd"]
        assert_allclose(rd[:, 0], np.tile([5.0, 5.0, 5.0], (samples, 1)), rtol=1e-14)
        assert_allclose(rd[:, 1], np.tile([3.0, 3.3, 3.63], (samples, 1)), rtol=1e-14)
        assert_allclose(res.series["rd_total"], np.tile([8.0, 8.3, 8.63], (samples, 1)))


def test_stacking_clusters_block_by_block_equals_np_stack() -> None:
    """compile._stack_clusters in blocks of 2 rows: parts of one row (fixed) and of S rows
    (sampled) land where np.stack of the broadcast parts puts them."""
    from clustersim.compile import _stack_clusters

    fixed = RNG.uniform(0, 1, (1, 3))
    sampled = RNG.uniform(0, 1, (5, 3))
    got = _stack_clusters([fixed, sampled, fixed * 2], 5, 3, rows=2)
    want = np.stack(
        [np.broadcast_to(fixed, (5, 3)), sampled, np.broadcast_to(fixed * 2, (5, 3))], axis=1
    )
    assert_array_equal(got, want)


def test_stacking_one_rate_a_sample_equals_np_stack() -> None:
    """The single-year path (one rate a sample, or one in all): whole columns copied."""
    from clustersim.compile import _stack_clusters

    fixed = RNG.uniform(0, 1, (1, 1))
    sampled = RNG.uniform(0, 1, (9, 1))
    strided = RNG.uniform(0, 1, (1, 9)).T  # a column of a wider array
    got = _stack_clusters([fixed, sampled, strided, -fixed], 9, 1)
    want = np.stack(
        [np.broadcast_to(fixed, (9, 1)), sampled, strided, np.broadcast_to(-fixed, (9, 1))],
        axis=1,
    )
    assert got.shape == (9, 4, 1) and got.flags.c_contiguous
    assert_array_equal(got, want)


def test_change_since_goal_path_is_the_start_then_the_goal() -> None:
    """The report's goal path of a change_since target: the level in the start year, then
    the level plus the goal from the year after on."""
    from clustersim.kinds.targets import TARGET_KINDS

    kind = TARGET_KINDS["change_since"]
    assert [kind.goal_path(100.0, 30.0, n) for n in (0, 1, 2, 5)] == [100.0, 130.0, 130.0, 130.0]


def test_a_constant_times_a_cluster_series_on_either_side() -> None:
    """``2 * output`` and ``output * 2`` (a 0-d operand beside an (S, C, T) one) are twice
    every cluster's output: 100 and 50 growing 10%, summed: 300, 330, 363."""
    clusters = {
        "a": {"name": "A", "output": {"base": 100, "growth": 0.1}},
        "b": {"name": "B", "output": {"base": 50, "growth": 0.1}},
    }
    d = _doc(clusters=clusters, metrics={"left": "sum(2 * output)", "right": "sum(output * 2)"})
    res = cs.run(cs.Scenario.model_validate(d), samples=2, seed=1)
    for name in ("left", "right"):
        assert_allclose(res.series[name], [[300.0, 330.0, 363.0]] * 2, rtol=1e-14)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"variable": "gdp"}, "count_over needs a cluster series, 'gdp' is region-level"),
        ({"group": "nope"}, "unknown group 'nope'; known: all, g"),
    ],
)
def test_count_over_metric_checks(extra: dict[str, Any], message: str) -> None:
    t = {"kind": "count_over", "label": "t", "year": 2025, "threshold": 100, "at_least": 1}
    d = _doc(groups={"g": {"name": "G", "clusters": ["a"]}}, targets={"t": {**t, **extra}})
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d))
    assert message in str(info.value)


def test_count_over_bars_only_for_output() -> None:
    """The report's cluster bars: for a count of output, the year and every threshold."""
    from clustersim.kinds.targets import TARGET_KINDS

    kind = TARGET_KINDS["count_over"]
    base = {"kind": "count_over", "label": "t", "year": 2025}
    tiers = [{"threshold": 500, "at_least": 2}, {"threshold": 1000, "at_least": 1}]
    assert kind.model_validate({**base, "tiers": tiers}).cluster_bars() == (2025, [500.0, 1000.0])
    plain = {**base, "threshold": 100, "at_least": 1}
    assert kind.model_validate(plain).cluster_bars() == (2025, [100.0])
    assert kind.model_validate({**plain, "variable": "value_added"}).cluster_bars() is None


def test_growth_every_year_goal_path_compounds_the_goal() -> None:
    """The report's goal path of growth_every_year: ref (1 + goal)^n, 100 at 10%: 110, 121."""
    from clustersim.kinds.targets import TARGET_KINDS

    kind = TARGET_KINDS["growth_every_year"]
    got = [kind.goal_path(100.0, 0.1, n) for n in (0, 1, 2)]
    assert_allclose(got, [100.0, 110.0, 121.0], rtol=1e-15)


def test_a_lever_on_a_group_is_labelled_with_the_group() -> None:
    """required growth names the lever's group (output[ab]), not its clusters."""
    clusters = {c: {"name": c, "output": {"base": 100, "growth": 0.05}} for c in ("a", "b", "c")}
    t = {"kind": "level", "label": "t", "metric": "sum(output, group=ab)", "year": 2025}
    d = _doc(
        clusters=clusters,
        groups={"ab": {"name": "AB", "clusters": ["a", "b"]}},
        targets={"t": {**t, "at_least": 250}},
    )
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None and rg["series"] == "output[ab]" and rg["clusters"] == ["a", "b"]
    # 200 (1 + r)^2 = 250
    assert rg["rate"] == pytest.approx(1.25**0.5 - 1, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "message"),
    [("gdp", "unknown cluster series 'gdp'"), ("nope", "unknown cluster series 'nope'")],
)
def test_cluster_history_names_a_cluster_series(name: str, message: str) -> None:
    """A cluster's history of a region series (or of nothing) is refused at its path."""
    clusters = {"a": {"name": "A", "output": {"base": 100}, "history": {name: {2020: 1.0}}}}
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(_doc(clusters=clusters)))
    assert f"clusters.a.history.{name}: {message}" in str(info.value)


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba not installed"
)
def test_numba_every_year_window_reads_every_history_year() -> None:
    """growth_every_year from 2019 with GDP history 80, 90, 95, 70 (2019-2022) and 100 in
    2023: the binding year is 2022, 70 / 95 - 1, read from history by the numba kernel's
    unrolled years; 2023 (100 / 70 - 1) and the projection (5%) are above it."""
    from clustersim.engine import run_targets

    d = _doc(
        region={
            "gdp": {"base": 100, "growth": 0.05},
            "history": {"gdp": {2019: 80, 2020: 90, 2021: 95, 2022: 70}},
        },
        targets={
            "g": {
                "kind": "growth_every_year",
                "label": "g",
                "metric": "gdp",
                "from_year": 2019,
                "year": 2025,
                "at_least": 0.0,
            }
        },
    )
    sc = cs.Scenario.model_validate(d)
    for engine in ("numpy", "numba"):
        out = run_targets(sc, samples=3, seed=1, engine=engine)["g"]
        assert_allclose(out.value, 70 / 95 - 1, rtol=1e-12, err_msg=engine)
        assert not out.met.any()


def test_expression_literals_up_to_1e100_inclusive() -> None:
    """Numbers in expressions are limited to 1e100 in magnitude: 1e100 itself is allowed."""
    from clustersim.core import expr as ex

    assert ex.parse("gdp * 1e100") == ex.Bin("*", ex.Name("gdp"), ex.Const(1e100))
    with pytest.raises(ex.ExprError, match="too large"):
        ex.parse("gdp * 1.0000000000000002e100")


def test_an_error_inside_a_growth_kind_names_its_file_and_field_once(tmp_path: Any) -> None:
    """A value refused while a growth kind compiles (a logistic capacity below 0) keeps the
    message ctx.value gave it: file, line and field once, not wrapped a second time."""
    p = tmp_path / "s.yaml"
    p.write_text(
        "id: s\nname: s\nbase_year: 2023\nend_year: 2025\nregion:\n  gdp: {base: 100}\n"
        "clusters:\n  a:\n    name: A\n    output:\n      base: 100\n"
        "      growth: {kind: logistic, capacity: -5, rate: 0.2}\n",
        encoding="utf-8",
    )
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.load_scenario(p))
    msg = str(info.value)
    assert "clusters.a.output.growth.capacity: -5 is not allowed: the value must be >= 0" in msg
    assert msg.count("s.yaml:") == 1 and msg.count("clusters.a.output.growth") == 1
    # the kind's own check (a ValueError naming its field) becomes a ScenarioError at its line
    p.write_text(p.read_text(encoding="utf-8").replace("capacity: -5", "capacity: 0"), "utf-8")
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.load_scenario(p))
    assert "s.yaml:12" in str(info.value)
    assert str(info.value).endswith("clusters.a.output.growth.capacity: the capacity must be > 0")
    assert str(info.value).count("clusters.a.output.growth") == 1
