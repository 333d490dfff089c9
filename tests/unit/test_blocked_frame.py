"""The time-major frame of the blocked path, piece by piece, against the reference frame.

Each new code path of :mod:`clustersim.core.blocked` (a window evaluated over a time slice,
per-year ops computed for the years read, sample-invariant values kept on one row, targets
evaluated once when they do not vary by sample) and of :mod:`clustersim.core.targets`
(counts shared between targets, band counts as differences, the binding year without
argmin) is checked against a second computation: the reference :class:`Frame` over the full
``(S, C, T)`` projection, or the plain formula written out in the test.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.bench.workloads import synthetic_scenario
from clustersim.core import blocked as bl
from clustersim.core.expr import ExprError, parse
from clustersim.core.model import Compound, StockFlow
from clustersim.core.project import project
from clustersim.core.targets import (
    Bound,
    Frame,
    HistoryMissing,
    TargetSpec,
    Tier,
    _binding,
    evaluate_target,
)
from clustersim.engines.projection import frame_of
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.kinds.targets import target_spec

BASE = 2023
END = 2030


def scenario_dict() -> dict[str, Any]:
    """Four clusters with sampled growth, fixed ratios, history, a contiguous and a split group."""
    return {
        "id": "frame",
        "name": "frame",
        "base_year": BASE,
        "end_year": END,
        "region": {
            "gdp": {"base": 1000.0, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.01}},
            "industrial_output": {"base": 2000.0, "growth": 0.02},
            "energy_rest": {"base": 200.0, "growth": -0.02},
            "history": {
                "gdp": {2021: 880.0, 2022: 940.0},
                "ac_share": {2022: 0.2},
            },
        },
        "clusters": {
            k: {
                "name": k.upper(),
                "output": {"base": base, "growth": {"dist": "normal", "mean": g, "sd": 0.03}},
                "va_ratio": {"base": 0.2 + 0.05 * i, "growth": -0.01},
            }
            for i, (k, base, g) in enumerate(
                [("a", 600.0, 0.10), ("b", 400.0, 0.05), ("c", 300.0, 0.0), ("d", 100.0, 0.25)]
            )
        },
        "groups": {
            "ab": {"name": "AB", "clusters": ["a", "b"]},
            "ac": {"name": "AC", "clusters": ["a", "c"]},
        },
        "indicators": {
            "loans": {"kind": "level", "name": "loans", "base": 18.0, "growth": 0.06},
        },
        "metrics": {
            "ac_share": "sum(value_added, group=ac) / gdp",
            "ab_mean": "mean(output, group=ab)",
            "spread": "max(output) - min(output, group=ac)",
        },
    }


@pytest.fixture(scope="module")
def comp() -> Any:
    return cs.compile_scenario(cs.Scenario.model_validate(scenario_dict()), samples=23, seed=4)


ROWS = slice(5, 17)

# metrics covering every node of the expression language, on factorised (value_added) and
# plain cluster series, region series, constants, contiguous and split groups
METRICS = [
    "ac_share",
    "ab_mean",
    "spread",
    "sum(value_added, group=ab) / gdp",
    "sum(value_added * 2, group=ac)",
    "sum(va_ratio * output)",
    "mean(value_added) - min(value_added, group=ab) + max(value_added, group=ac)",
    "-output[b] * 2 + output[a] ** 0.5",
    "-value_added[c] + value_added[d]",
    "sum(output / gdp) + loans",
    "sum(-value_added + output, group=ac)",
    "gdp * 1.5 - 3",
    "loans * 2",
    "cluster_output / industrial_output",
    "sum(output * gdp, group=ac)",  # a region factor (one column) over a split group
]


def frames(comp: Any, rows: slice = ROWS) -> tuple[Frame, bl.YearFrame]:
    ref = frame_of(comp, project(comp.model))
    tm = bl.project_time_major(comp.model, rows=rows)
    return ref, bl.YearFrame(tm, comp.model, comp.metrics, rows, rows.stop - rows.start)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("start", "end"), [(BASE, END), (BASE + 2, BASE + 5), (BASE + 3, BASE + 3)]
)
def test_window_over_a_time_slice_equals_the_reference_window(
    comp: Any, metric: str, start: int, end: int
) -> None:
    """One evaluation over the years start..end equals the reference, year by year."""
    ref, yf = frames(comp)
    expr = parse(metric)
    w = yf.rows_window(expr, start, end)  # (W, B')
    want = ref.window(expr, start, end)[ROWS]  # (B, W)
    assert w.shape[0] == end - start + 1
    assert_allclose(np.broadcast_to(w.T, want.shape), want, rtol=1e-12)
    # and equal to evaluating each year alone
    for k, y in enumerate(range(start, end + 1)):
        assert_allclose(np.broadcast_to(w[k], (12,)), yf.at(expr, y), rtol=1e-12)
        assert_allclose(yf.at(expr, y), ref.at(expr, y)[ROWS], rtol=1e-12)


def test_frame_over_a_plain_mapping_of_full_series(comp: Any) -> None:
    """YearFrame also takes a plain dict of full time-major series (sliced per window)."""
    _, yf = frames(comp)
    tm = bl.project_time_major(comp.model, rows=ROWS)
    plain = bl.YearFrame(dict(tm), comp.model, comp.metrics, ROWS, 12)
    for metric in METRICS:
        expr = parse(metric)
        assert_array_equal(
            plain.rows_window(expr, BASE + 1, END), yf.rows_window(expr, BASE + 1, END)
        )


@pytest.mark.parametrize("metric", ["gdp", "ac_share", "gdp * 2"])
def test_window_starting_in_history(comp: Any, metric: str) -> None:
    """History years come first, from history; the rest from one time slice."""
    ref, yf = frames(comp)
    expr = parse(metric)
    if metric == "ac_share":
        w = yf.rows_window(expr, 2022, BASE + 2)
        assert_allclose(w[0], 0.2)
        want = ref.window(expr, 2022, BASE + 2)[ROWS]
    else:
        w = yf.rows_window(expr, 2021, BASE + 2)
        assert_allclose(w[:2, 0] / (2.0 if metric == "gdp * 2" else 1.0), [880.0, 940.0])
        want = ref.window(expr, 2021, BASE + 2)[ROWS]
    assert_allclose(np.broadcast_to(w.T, want.shape), want, rtol=1e-12)


def test_cluster_metric_in_one_year(comp: Any) -> None:
    ref, yf = frames(comp)
    for metric in ("output", "value_added", "output / gdp", "value_added * 3"):
        expr = parse(metric)
        got = yf.rows_at(expr, BASE + 4)
        assert got.shape == (12, 4)
        assert_allclose(got, ref.at(expr, BASE + 4)[ROWS], rtol=1e-12)


def test_sample_invariant_values_stay_on_one_row(comp: Any) -> None:
    """loans does not vary by sample: (W, 1) windows, outcome computed once and broadcast."""
    _, yf = frames(comp)
    w = yf.rows_window(parse("loans"), BASE + 1, END)
    assert w.shape == (END - BASE, 1)
    assert_allclose(w[:, 0], [18.0 * 1.06**t for t in range(1, END - BASE + 1)], rtol=1e-12)
    assert yf.rows_at(parse("loans * 2"), END).shape == (1,)
    assert yf.at(parse("loans"), END).shape == (12,)

    spec = target_spec(
        "loans", "flow_every_year", parse("loans"), END, Bound(lo=20.0), start=BASE + 1
    )
    o = evaluate_target(spec, yf)
    assert o.value.shape == o.margin.shape == o.met.shape == (12,)
    # the flow grows, so the first year binds: 18 * 1.06 = 19.08 < 20
    assert_allclose(o.value, 18.0 * 1.06, rtol=1e-12)
    assert_allclose(o.margin, 18.0 * 1.06 - 20.0, rtol=1e-12)
    assert not o.met.any()


def test_per_year_ops_are_computed_only_for_the_years_read(comp: Any) -> None:
    m = comp.model
    full = project(m)
    tm = bl.project_time_major(m, rows=ROWS)
    got = tm.years("cluster_output", 2, 5)
    assert isinstance(got, np.ndarray)
    assert_allclose(got, np.moveaxis(full["cluster_output"][ROWS], -1, 0)[2:5], rtol=1e-12)
    assert "cluster_output" not in tm.computed()
    assert [(j0, j1) for j0, j1, _ in tm.spans["cluster_output"]] == [(2, 5)]
    # a year inside an earlier span is a view of it, not a new sum
    assert np.shares_memory(tm.years("cluster_output", 3, 4), got)
    assert len(tm.spans["cluster_output"]) == 1

    # with a window hint, a single year read first computes the whole window once
    hinted = bl.TimeMajor(m, None, ROWS, hint={"cluster_output": (1, 7)})
    one = hinted.years("cluster_output", 6, 7)
    assert isinstance(one, np.ndarray)
    assert [(j0, j1) for j0, j1, _ in hinted.spans["cluster_output"]] == [(1, 7)]
    assert_allclose(one[0], full["cluster_output"][ROWS, 6], rtol=1e-12)


def test_window_hint_follows_metrics_and_per_year_ops(comp: Any) -> None:
    specs = [
        target_spec("w", "pp_change_per_year", parse("ac_share"), BASE + 4, Bound(lo=0), start=BASE),
        target_spec("g", "growth_every_year", parse("cluster_output"), END, Bound(lo=0), start=2021),
        target_spec("l", "level", parse("gdp"), END, Bound(lo=0)),
    ]
    hint = bl.window_hint(comp.model, specs, comp.metrics)
    assert hint["ac_share"] == (0, 5)
    assert hint["value_added"] == (0, 5)  # Combine: per year
    assert hint["gdp"] == (0, 5)
    assert hint["cluster_output"] == (0, END - BASE + 1)  # history years are not series years
    assert hint["output"] == (0, END - BASE + 1)


def test_hinted_evaluation_equals_reference(comp: Any) -> None:
    """Targets reading a per-year series in one year and over a window, evaluated by the
    blocked path in blocks of 5, equal the independent reference engine's arithmetic
    (:mod:`clustersim.engines.reference`: its own loops over samples, clusters and years,
    no production target code) on the same draws."""
    d = scenario_dict()
    d["targets"] = {
        "one": {"kind": "level", "metric": "cluster_output / gdp", "year": BASE + 4},
        "win": {
            "kind": "growth_every_year",
            "metric": "cluster_output",
            "from_year": BASE + 1,
            "year": BASE + 5,
            "at_least": 0.08,
        },
        "pp": {
            "kind": "pp_change_per_year",
            "metric": "ac_share",
            "from_year": BASE,
            "year": END,
            "at_least": -0.001,
        },
        "lvl": {"kind": "level", "metric": "ac_share", "year": BASE + 2, "at_most": 0.3},
        "loans": {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": BASE,
            "year": END,
            "at_least": 19.0,
        },
    }
    d["targets"]["one"]["at_least"] = 1.6
    for tid, t in d["targets"].items():
        t["label"] = tid
    sc = cs.Scenario.model_validate(d)
    c = cs.compile_scenario(sc, samples=23, seed=4)
    ref = run_reference(scenario_document(sc), production_draws(sc, 23, 4), 23)
    specs = [ct.spec for ct in c.targets.values()]
    fast = bl.evaluate_targets(c.model, specs, c.metrics, block=5)
    for t in specs:
        want = ref.targets[t.id]
        assert_allclose(fast[t.id].value, want.value, rtol=1e-12, err_msg=t.id)
        assert_allclose(fast[t.id].margin, want.margin, rtol=1e-12, atol=1e-14, err_msg=t.id)
        assert_array_equal(fast[t.id].met, want.met, err_msg=t.id)
    # the numbers are not all one way: some samples meet each goal, some miss it
    assert 0 < fast["one"].met.sum() < 23 and 0 < fast["win"].met.sum() < 23
    # flow_every_year on a sample-invariant flow growing 6%: the base year binds, 18 < 19
    assert_allclose(fast["loans"].value, 18.0, rtol=1e-12)
    assert not fast["loans"].met.any()


def test_invariant_target_is_evaluated_once(comp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = [
        target_spec("loans", "flow_every_year", parse("loans"), END, Bound(lo=19.0), start=BASE),
        target_spec("gdp", "level", parse("gdp"), END, Bound(lo=1400.0)),
    ]
    calls: dict[str, int] = {"loans": 0, "gdp": 0}

    def counting(t: TargetSpec, f: Frame) -> Any:
        calls[t.id] += 1
        return evaluate_target(t, f)

    monkeypatch.setattr(bl, "evaluate_target", counting)
    out = bl.evaluate_targets(comp.model, specs, comp.metrics, block=4)
    assert calls == {"loans": 1, "gdp": 6}  # 23 samples in blocks of 4
    assert_allclose(out["loans"].value, 18.0, rtol=1e-12)  # the base year binds
    assert_array_equal(out["loans"].met, np.zeros(23, dtype=bool))
    # GDP in the end year, from the projected path itself (not through the level kind)
    assert_allclose(out["gdp"].value, project(comp.model)["gdp"][:, -1], rtol=1e-12)


def test_sampled_history_makes_a_target_vary_by_sample(comp: Any) -> None:
    """History drawn per sample: the target is evaluated in every block, per sample."""
    s = comp.model.samples
    hist = np.linspace(800.0, 900.0, s)
    model = dataclasses.replace(comp.model, history={"gdp": {2021: hist}})
    spec = target_spec("c", "cagr", parse("gdp"), BASE + 1, Bound(lo=0.05), start=2021)
    inv = bl.invariant_ops(model)
    assert not bl._same_for_all(spec, comp.metrics, inv, model)
    out = bl.evaluate_targets(model, [spec], comp.metrics, block=4)
    gdp1 = project(model)["gdp"][:, 1]
    assert_allclose(out["c"].value, (gdp1 / hist) ** (1 / 3) - 1.0, rtol=1e-12)  # 2021 to 2024


def test_elastic_recurrence_equals_the_year_by_year_loop() -> None:
    """Growth of every year at once, then the product over years: bit for bit the loop."""
    d = scenario_dict()
    d["region"]["rd_rest"] = {
        "base": 50.0,
        "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1.3},
    }
    d["clusters"]["a"]["rd"] = {"share_of_output": {"base": 0.02}}
    comp = cs.compile_scenario(cs.Scenario.model_validate(d), samples=9, seed=2)
    op = comp.model.op("rd_rest")
    assert isinstance(op, Compound) and len(op.elastic) == 1
    tm = bl.project_time_major(comp.model)
    gdp, rd_rest = tm["gdp"], tm["rd_rest"]
    assert isinstance(gdp, np.ndarray) and isinstance(rd_rest, np.ndarray)
    want = np.empty((comp.model.n_years, 9))
    want[0] = op.x0
    for t in range(1, comp.model.n_years):
        g = op.rates[..., 0] + op.elastic[0].elasticity * (gdp[t] / gdp[t - 1] - 1.0)
        want[t] = want[t - 1] * (1.0 + g)
    assert_array_equal(np.broadcast_to(rd_rest, want.shape), want)


# --- counts ----------------------------------------------------------------------------------


def _count_frame(vals: np.ndarray) -> Frame:
    """A reference frame whose cluster series ``x`` is ``vals`` (S, C) in every year."""
    c = vals.shape[1]
    series = {"x": np.repeat(vals[:, :, None], 2, axis=2)}
    groups = {"odd": np.arange(1, c, 2), "head": np.arange(0, 3)}
    return Frame(series, np.array([2020, 2021]), [f"k{i}" for i in range(c)], groups, {})


def _count_by_masks(vals: np.ndarray, t: TargetSpec) -> tuple[np.ndarray, np.ndarray]:
    """The count as written before: one mask per tier, bands by an upper bound."""

    def lowered(x: float) -> float:
        return x - 1e-9 * max(1.0, abs(x))

    tiers = sorted(t.tiers, key=lambda x: -x.threshold)
    counts, margins = [], []
    upper = np.full(vals.shape, np.inf)
    for tier in tiers:
        inside = vals >= lowered(tier.threshold)
        if t.bands:
            inside &= vals < upper
            upper = np.full(vals.shape, lowered(tier.threshold))
        counts.append(inside.sum(axis=1).astype(float))
        margins.append(counts[-1] - tier.at_least)
    m = np.stack(margins, axis=1)
    b = np.argmin(m, axis=1)
    return np.stack(counts, axis=1)[np.arange(len(b)), b], m.min(axis=1)


@pytest.mark.parametrize("bands", [True, False])
@pytest.mark.parametrize("group", [None, "odd", "head"])
def test_tier_counts_equal_one_mask_per_tier(bands: bool, group: str | None) -> None:
    rng = np.random.default_rng(3)
    vals = rng.choice([0.0, 5.0, 10.0, 10.0 - 1e-12, 20.0, 30.0, np.inf, np.nan], size=(200, 7))
    f = _count_frame(vals)
    tiers = (Tier(10.0, 2), Tier(30.0, 1), Tier(20.0, 1), Tier(20.0, 0))
    t = target_spec("t", "count_over", parse("x"), 2021, tiers=tiers, bands=bands, group=group)
    o = evaluate_target(t, f)
    sub = vals if group is None else vals[:, f.groups[group]]
    value, margin = _count_by_masks(sub, t)
    assert_array_equal(o.value, value)
    assert_array_equal(o.margin, margin)
    assert_array_equal(o.met, margin >= 0)
    # a plain threshold count, sharing the pass of the 10.0 tier
    plain = target_spec(
        "p", "count_over", parse("x"), 2021, Bound(lo=3), threshold=10.0, group=group
    )
    assert_array_equal(evaluate_target(plain, f).value, (sub >= 10.0 - 1e-8).sum(axis=1))


def test_count_is_computed_once_per_series_year_and_threshold() -> None:
    vals = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 0.0]])
    f = _count_frame(vals)
    a = f.count_at_least(parse("x"), 2021, None, 2.0)
    assert_array_equal(a, [2.0, 2.0])
    assert f.count_at_least(parse("x"), 2021, None, 2.0) is a
    assert_array_equal(f.count_at_least(parse("x"), 2021, "head", np.inf), [0.0, 0.0])


# --- the binding year -------------------------------------------------------------------------


@pytest.mark.parametrize("with_nan", [False, True])
def test_binding_year_is_the_first_smallest_margin(with_nan: bool) -> None:
    rng = np.random.default_rng(5)
    per_year = rng.choice([0.1, 0.2, 0.3, -0.0, 0.0], size=(6, 300))  # many ties
    if with_nan:
        per_year[rng.integers(0, 6, 40), rng.integers(0, 300, 40)] = np.nan
    margins = np.minimum(per_year - 0.05, 0.25 - per_year)
    value, margin = _binding(per_year, margins)
    b = np.argmin(margins, axis=0)
    cols = np.arange(300)
    assert_array_equal(value, per_year[b, cols])
    assert_array_equal(margin, margins[b, cols])


# --- errors are those of the reference ------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "year", "err", "match"),
    [
        ("nope * 2", BASE + 1, ExprError, "unknown series 'nope'"),
        ("sum(output, group=empty)", BASE + 1, ExprError, r"sum\(\) over an empty group 'empty'"),
        ("gdp", 2020, HistoryMissing, "no history for 'gdp' in 2020"),
        ("gdp", END + 1, ExprError, f"year {END + 1} is after the end year {END}"),
    ],
)
def test_errors_equal_the_reference(
    comp: Any, metric: str, year: int, err: type[Exception], match: str
) -> None:
    model = dataclasses.replace(
        comp.model, groups={**comp.model.groups, "empty": np.array([], dtype=np.intp)}
    )
    comp = dataclasses.replace(comp, model=model)
    ref, yf = frames(comp)
    for f in (ref, yf):
        with pytest.raises(err, match=match):
            f.at(parse(metric), year)
    with pytest.raises(err, match=match):
        yf.rows_window(parse(metric), min(year, BASE + 1), year)


# --- a sample's numbers do not depend on its block, to the bit ------------------------------


def _sub_model(model: Any, i0: int, i1: int) -> Any:
    """The model of samples ``i0 .. i1 - 1`` alone (per-sample parameters sliced)."""

    def cut(a: np.ndarray) -> np.ndarray:
        return a if a.shape[0] == 1 else a[i0:i1]

    ops = []
    for op in model.ops:
        if isinstance(op, Compound):
            elastic = tuple(
                dataclasses.replace(e, elasticity=cut(e.elasticity)) for e in op.elastic
            )
            op = dataclasses.replace(op, x0=cut(op.x0), rates=cut(op.rates), elastic=elastic)
        elif isinstance(op, StockFlow):
            rates = None if op.rates is None else cut(op.rates)
            op = dataclasses.replace(op, s0=cut(op.s0), exit_rate=cut(op.exit_rate), rates=rates)
        ops.append(op)
    history = {n: {y: cut(v) for y, v in h.items()} for n, h in model.history.items()}
    return dataclasses.replace(model, samples=i1 - i0, ops=tuple(ops), history=history)


@pytest.mark.parametrize("source", ["synthetic", "example"])
def test_results_do_not_depend_on_the_block_to_the_bit(source: str) -> None:
    """Blocks of 1, 3, 7 and all rows, and models of one sample or a few, give the same bits."""
    if source == "synthetic":
        sc = synthetic_scenario(12, 9)
    else:
        sc = cs.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "example.yaml")
    comp = cs.compile_scenario(sc, samples=40, seed=8)
    specs = [ct.spec for ct in comp.targets.values()]
    whole = bl.evaluate_targets(comp.model, specs, comp.metrics, block=40)
    for block in (1, 3, 7):
        out = bl.evaluate_targets(comp.model, specs, comp.metrics, block=block)
        for t in specs:
            assert_array_equal(out[t.id].value, whole[t.id].value, err_msg=f"{t.id} {block}")
            assert_array_equal(out[t.id].margin, whole[t.id].margin, err_msg=f"{t.id} {block}")
    for i0, i1 in ((0, 1), (1, 2), (2, 5), (5, 40)):
        out = bl.evaluate_targets(_sub_model(comp.model, i0, i1), specs, comp.metrics)
        for t in specs:
            assert_array_equal(out[t.id].value, whole[t.id].value[i0:i1], err_msg=t.id)
            assert_array_equal(out[t.id].met, whole[t.id].met[i0:i1], err_msg=t.id)


def test_results_written_into_given_arrays(comp: Any) -> None:
    """``out=`` arrays (as for the fused kernel) are filled, and the outcomes are their rows."""
    specs = [
        target_spec("g", "level", parse("gdp"), END, Bound(lo=1400.0)),
        target_spec("l", "flow_every_year", parse("loans"), END, Bound(lo=19.0), start=BASE),
        target_spec("n", "count_over", parse("output"), END, Bound(lo=2), threshold=500.0),
    ]
    want = bl.evaluate_targets(comp.model, specs, comp.metrics, block=5)
    n = len(specs)
    out = {"value": np.full((n, 30), np.nan), "margin": np.empty((n, 30))}
    out["met"] = np.empty((n, 30), dtype=bool)
    for _ in range(2):  # a second chunk into the same arrays
        got = bl.evaluate_targets(comp.model, specs, comp.metrics, block=5, out=out)
        for i, t in enumerate(specs):
            assert np.shares_memory(got[t.id].value, out["value"][i])
            assert_array_equal(got[t.id].value, want[t.id].value)
            assert_array_equal(out["margin"][i, :23], want[t.id].margin)
            assert_array_equal(out["met"][i, :23], want[t.id].met)
    assert np.isnan(out["value"][:, 23:]).all()
    small = {k: v[:, :10] for k, v in out.items()}
    with pytest.raises(ValueError, match="out arrays must be"):
        bl.evaluate_targets(comp.model, specs, comp.metrics, out=small)
