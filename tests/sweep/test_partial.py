"""Mergeable chunk summaries against the exact computation on the whole sample.

P(met) must be identical to counting the stored samples; value percentiles within the
sketch's stated relative error; must-hold percentiles within one fine bin; sensitivity equal
to the correlation ratio computed from the stored columns up to rounding; a summary-only
sweep gives the same summary as one that stores every sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from clustersim.sweep import run_sweep
from clustersim.sweep.partial import SKETCH_ALPHA, Sketch, chunk_partial, make_layout, merge
from clustersim.sweep.summary import PERCENTILES

from .conftest import RATES


def test_sketch_percentiles_within_the_stated_error() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.lognormal(3.0, 1.5, 20_000), -rng.lognormal(0, 1, 3_000), np.zeros(7)])
    parts = [Sketch.of(c) for c in np.array_split(rng.permutation(x), 13)]
    got = Sketch.combine(parts).percentiles([0, 1, 5, 25, 50, 75, 95, 99, 100])
    s = np.sort(x)
    for q, g in zip([0, 1, 5, 25, 50, 75, 95, 99, 100], got, strict=True):
        r = q / 100 * (len(s) - 1)
        lo, hi = s[math.floor(r)], s[math.ceil(r)]
        # between the two order statistics np.percentile interpolates, up to alpha of each
        assert min(lo, hi) - SKETCH_ALPHA * abs(lo) <= g <= max(lo, hi) + SKETCH_ALPHA * abs(hi)
    # a bucket with one distinct value is exact: min and max
    assert got[0] == s[0] and got[-1] == s[-1]
    assert Sketch.of(np.full(10, 4.0)).percentiles([50]) == [4.0]


def test_summary_only_equals_stored_and_the_exact_computation(linear, write_sweep) -> None:
    sweep = write_sweep(
        method="monte_carlo",
        samples=5000,
        seed=11,
        chunk_size=700,
        parameters={
            RATES["c"]: {"range": [0.0, 0.1]},
            RATES["d"]: {"range": [0.0, 0.1]},
        },
    )
    full = run_sweep(sweep, workers=1)
    only = run_sweep(sweep, workers=1, store=())
    a, b = only.summary.to_dict(), full.summary.to_dict()
    a.pop("run"), b.pop("run")  # timings
    assert a == b
    with pytest.raises(Exception, match="did not store"):
        only.columns(["all_met"])
    plan = full.plan
    cols = full.columns(
        [*plan.factors]
        + [f"{g}.{t}" for t in plan.targets for g in ("value", "margin", "met")]
        + ["all_met"]
    )
    assert full.summary.all_met == float(np.mean(cols["all_met"]))
    for t in full.summary.targets:
        met = cols[f"met.{t.id}"]
        assert t.probability == float(np.mean(met))  # identical, not close
        value = cols[f"value.{t.id}"]
        exact = np.percentile(value, PERCENTILES)
        got = [t.percentiles[f"p{p}"] for p in PERCENTILES]
        np.testing.assert_allclose(got, exact, rtol=SKETCH_ALPHA, atol=1e-300)
        assert t.mean == pytest.approx(float(np.mean(value)), rel=1e-12)
    # sensitivity: the correlation ratio on the same 64 equal-count bins, from the columns
    for idx in full.summary.sensitivity:
        x = cols[idx.factor]
        y = cols[f"margin.{idx.target}"]
        edges = np.quantile(x, np.linspace(0, 1, 65)[1:-1])
        ids = np.searchsorted(edges, x, side="right")
        dev = y - y.mean()
        sst = float(dev @ dev)
        if idx.first_order is None:
            assert np.ptp(y) == 0 or sst < 1e-20
            continue
        sums = np.bincount(ids, weights=dev, minlength=64)
        sizes = np.bincount(ids, minlength=64)
        eta2 = float(np.sum(sums[sizes > 0] ** 2 / sizes[sizes > 0])) / sst
        n, b = len(y), int(np.count_nonzero(sizes))
        adj = min(1.0, max(0.0, 1 - (1 - eta2) * (n - 1) / (n - b)))
        assert idx.first_order == pytest.approx(adj, rel=1e-9, abs=1e-12)
    # must hold: within one fine bin of the exact percentiles among met / missed samples
    for c in full.summary.conditions:
        if c.met is None:
            continue
        x = cols[c.factor]
        met = cols[f"met.{c.target}"]
        width = float(np.max(np.diff(np.quantile(x, np.linspace(0, 1, 257)))))
        for got, sel in ((c.met, met), (c.missed, ~met)):
            if got is None:
                continue
            exact = np.percentile(x[sel], (5, 50, 95))
            np.testing.assert_allclose(got, exact, atol=2 * width)


def test_partials_merge_in_chunk_order_whatever_the_arrival(linear, write_sweep) -> None:
    sweep = write_sweep(
        method="monte_carlo",
        samples=900,
        seed=3,
        chunk_size=200,
        parameters={RATES["c"]: {"range": [0.0, 0.1]}},
    )
    res = run_sweep(sweep, workers=1)
    sink = res.sink
    parts = [sink.partial(k) for k in range(res.plan.n_chunks)]  # type: ignore[attr-defined]
    from clustersim.sweep.partial import Merger

    m = Merger()
    for k in reversed(range(len(parts))):
        m.add(k, parts[k])
    a, b = m.result(), merge(parts)
    assert np.array_equal(a.bin_sum, b.bin_sum) and np.array_equal(a.m_m2, b.m_m2)
    layout = make_layout(res.plan)
    assert layout.coarse[0].count == 30  # isqrt(900) equal-count bins
    assert (
        chunk_partial(
            layout, np.zeros((0, 1)), np.zeros((1, 0)), np.zeros((1, 0)), np.zeros((1, 0), bool)
        ).n
        == 0
    )


def test_joint_goals_probability_from_the_stored_met_flags(linear, write_sweep) -> None:
    """P(all met) of each joint goal (issue 13): the count of samples meeting every target
    of the group, from the partials, identical to counting the stored met columns, and the
    same bits with 1 worker and a 2-process pool."""
    text = linear.read_text(encoding="utf-8")
    text = text.replace("    at_least: 8.3\n", "    at_least: 8.3\n    joint: mp\n")
    text = text.replace("    at_least: 0.25\n", "    at_least: 0.25\n    joint: mp\n")
    linear.write_text(text, encoding="utf-8")
    sweep = write_sweep(
        method="monte_carlo",
        samples=3000,
        seed=5,
        chunk_size=400,
        parameters={
            RATES["c"]: {"range": [0.0, 0.1]},
            RATES["f"]: {"range": [-0.6, 0.2]},
            RATES["g"]: {"range": [-0.6, 0.2]},
        },
    )
    one = run_sweep(sweep, workers=1)
    pool = run_sweep(sweep, workers=2, store=())
    cols = one.columns(["met.m_level", "met.p_level", "met.gdp_level"])
    both = cols["met.m_level"] & cols["met.p_level"]
    [j] = one.summary.joint
    assert (j.id, j.targets) == ("mp", ("m_level", "p_level"))
    assert j.probability == int(np.count_nonzero(both)) / 3000  # identical, not close
    # the group is a real intersection: below each target's own P, above zero
    probs = {t.id: t.probability for t in one.summary.targets}
    assert 0 < j.probability < min(probs["m_level"], probs["p_level"])
    a, b = one.summary.to_dict(), pool.summary.to_dict()
    a.pop("run"), b.pop("run")
    assert (
        a["joint"]
        == b["joint"]
        == {"mp": {"targets": ["m_level", "p_level"], "probability": j.probability}}
    )
    assert a == b
    table = one.summary.tables()["targets"]
    assert table["target"][-1] == "(joint mp)" and table["probability"][-1] == j.probability
    line = f"joint mp: {j.probability:.1%} (all met: m_level, p_level)"
    assert line in one.summary.parts()


def test_per_bin_counts_equal_counting_each_bin_directly() -> None:
    """The partial's per-bin counts (coarse met counts added from the nested fine bins, fine
    counts, margin sums) equal a direct count over each bin of the layout."""
    from clustersim.sweep.partial import FINE_BINS, MAX_BINS, Binning, Layout

    rng = np.random.default_rng(8)
    n, k = 5000, 3
    x = rng.uniform(0.0, 1.0, n)
    fine_edges = np.quantile(x, np.linspace(0, 1, FINE_BINS + 1))
    coarse_edges = fine_edges[::4]
    layout = Layout(
        targets=k,
        factor_cols=(0,),
        coarse=(Binning(False, coarse_edges),),
        fine=(Binning(False, fine_edges),),
        nest=(4,),
    )
    margin = rng.normal(size=(k, n))
    met = margin > rng.normal(0.0, 0.5, size=(k, n))
    part = chunk_partial(layout, x[:, None], margin * 2.0, margin, met)
    coarse = np.searchsorted(coarse_edges[1:-1], x, side="right")
    fine = np.searchsorted(fine_edges[1:-1], x, side="right")
    assert np.array_equal(coarse, fine // 4)
    for t in range(k):
        want = np.bincount(coarse[met[t]], minlength=MAX_BINS)
        assert np.array_equal(part.bin_met[t, 0], want)
        assert np.array_equal(part.fine_met[t, 0], np.bincount(fine[met[t]], minlength=FINE_BINS))
        np.testing.assert_allclose(
            part.bin_sum[t, 0], np.bincount(coarse, weights=margin[t], minlength=MAX_BINS)
        )
    assert np.array_equal(part.sizes[0], np.bincount(coarse, minlength=MAX_BINS))
    # not nested: the coarse counts are counted on their own bins, to the same numbers
    flat = Layout(k, (0,), layout.coarse, layout.fine, nest=(0,))
    again = chunk_partial(flat, x[:, None], margin * 2.0, margin, met)
    assert np.array_equal(again.bin_met, part.bin_met)


def test_summary_only_on_dask_batches_chunks_to_the_same_summary(linear, write_sweep) -> None:
    """Summary-only, a Dask task evaluates a few consecutive chunks and sends back their
    partials; merged in chunk order, the summary is the in-process one, bit for bit."""
    distributed = pytest.importorskip("distributed")
    from clustersim.sweep import DaskExecutor

    sweep = write_sweep(
        method="monte_carlo",
        samples=5000,
        seed=12,
        chunk_size=200,
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["d"]: {"range": [0.0, 0.1]}},
    )
    one = run_sweep(sweep, workers=1, store=())
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = DaskExecutor(client=client)
        calls: list[tuple[int, ...]] = []
        submit = client.submit

        def spy(fn, job, chunks, **kw):  # type: ignore[no-untyped-def]
            calls.append(chunks)
            return submit(fn, job, chunks, **kw)

        client.submit = spy  # type: ignore[method-assign]
        try:
            dask = run_sweep(sweep, executor=ex, store=())
        finally:
            client.submit = submit  # type: ignore[method-assign]
    assert max(len(c) for c in calls) > 1  # chunks travelled in batches
    assert sorted(k for c in calls for k in c) == list(range(25))
    a, b = one.summary.to_dict(), dask.summary.to_dict()
    a.pop("run"), b.pop("run")
    assert a == b


def test_sketches_of_all_rows_at_once_equal_row_by_row() -> None:
    """Sketch.of_rows finds every row's buckets in one pass: the same arrays, bit for bit,
    as sketching each sorted row on its own (zeros, negatives, ties, NaN, empty rows)."""
    from clustersim.sweep.partial import _keys

    rng = np.random.default_rng(21)
    for trial in range(120):
        k, n = int(rng.integers(1, 6)), int(rng.integers(0, 200))
        v = rng.normal(size=(k, n)) * 10.0 ** int(rng.integers(-3, 4))
        if trial % 3 == 0:
            v[rng.random((k, n)) < 0.2] = 0.0
        if trial % 5 == 0:
            v = np.round(v, 1)
        if trial % 7 == 0 and n:
            v[0, 0] = np.nan
        rows = np.sort(v, axis=1)
        want = [Sketch._sorted(r, kr) for r, kr in zip(rows, _keys(rows), strict=True)]
        for got, w in zip(Sketch.of_rows(v), want, strict=True):
            for name in ("keys", "counts", "lo", "hi"):
                a, b = getattr(got, name), getattr(w, name)
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (trial, name)


@pytest.mark.parametrize("cores", [1, 2])
def test_the_bins_are_the_same_sorted_on_two_threads_or_one(
    linear, write_sweep, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    """make_layout sorts the factors' columns on helper threads when two cores are usable:
    the same bins, in factor order, as np.quantile of each column computed here, and no
    thread left behind (a pool forks its workers only from a process with one thread)."""
    import threading

    import clustersim.engine as engine_mod
    import clustersim.sweep.partial as partial_mod
    from clustersim.sweep.partial import _binnings, _factor_column

    sweep = write_sweep(
        method="monte_carlo",
        samples=3000,
        seed=5,
        chunk_size=500,
        parameters={
            RATES["c"]: {"range": [0.0, 0.1]},
            RATES["d"]: {"dist": "normal", "mean": 0.05, "sd": 0.02},
            RATES["e"]: {"range": [0.01, 0.03]},
        },
    )
    res = run_sweep(sweep, workers=1, store=())
    plan = res.plan
    monkeypatch.setattr(engine_mod, "usable_cores", lambda: cores)
    sorted_on: set[str] = set()
    original = partial_mod._binnings

    def spy(x, coarse, fine):  # type: ignore[no-untyped-def]
        sorted_on.add(threading.current_thread().name.rsplit("_", 1)[0])
        return original(x, coarse, fine)

    monkeypatch.setattr(partial_mod, "_binnings", spy)
    before = threading.active_count()
    layout = make_layout(plan)
    assert threading.active_count() == before
    assert sorted_on == ({"clustersim-bins"} if cores > 1 else {"MainThread"})
    index = {d.path: j for j, d in enumerate(plan.dims)}
    assert len(layout.coarse) == len(plan.factors) == 3
    for i, f in enumerate(plan.factors):
        x = _factor_column(plan, index[f], None)
        want = np.quantile(x, np.linspace(0, 1, 55)[1:-1])  # isqrt(3000) = 54 coarse bins
        np.testing.assert_array_equal(layout.coarse[i].points[1:-1], want)
        fine = _binnings(x, 54, 256)[1]
        assert layout.fine[i].levels == fine.levels
        np.testing.assert_array_equal(layout.fine[i].points, fine.points)
