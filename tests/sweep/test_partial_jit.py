"""The chunk summary, compiled or in NumPy, against the algorithm it replaced: the same bits.

``chunk_partial`` builds its sketches without sorting (compiled, :mod:`clustersim.sweep._partial_jit`)
or from sorted rows (NumPy), its per-bin counts and sums in one compiled pass or one bincount
per factor, and its margins' squared deviations a few rows at a time. Each of those must give
the arrays of the code before them (written out below as it was, sort + runs, a bincount per
factor, one einsum) to the bit, on data with zeros of either sign, negatives, NaN, infinities,
ties, all-equal rows, subnormals, keys spanning more than the compiled table, n = 0 and 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from clustersim.sweep import partial as P
from clustersim.sweep.partial import FINE_BINS, MAX_BINS, Binning, Layout, Sketch, chunk_partial

# --- the algorithm before (issue 21 part 2), as it was ---------------------------------------


def _old_keys(v: np.ndarray) -> np.ndarray:
    a = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.log(a)
    k *= 1.0 / P._LOG_GAMMA
    np.ceil(k, out=k)
    k[~(a > 0)] = -float(P._NEG)
    with np.errstate(invalid="ignore"):
        keys = k.astype(np.int64)
    keys += P._NEG
    np.negative(keys, out=keys, where=v < 0)
    return keys


def _old_sorted(v: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, ...]:
    keep = np.isfinite(v)
    if not keep.all():
        v, k = v[keep], k[keep]
    if v.size == 0:
        e = np.empty(0)
        return np.empty(0, np.int64), np.empty(0, np.int64), e, e
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    ends = np.concatenate([starts[1:], [len(v)]])
    return k[starts], (ends - starts).astype(np.int64), v[starts], v[ends - 1]


def _old_sketches(values: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    rows = np.sort(values, axis=1)
    keys = _old_keys(rows)
    k, n = rows.shape
    if n == 0 or not np.isfinite(rows).all():
        return [_old_sorted(r, kr) for r, kr in zip(rows, keys, strict=True)]
    change = np.empty((k, n), dtype=bool)
    change[:, 0] = True
    np.not_equal(keys[:, 1:], keys[:, :-1], out=change[:, 1:])
    starts = np.flatnonzero(change)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = k * n
    flat_keys, flat_rows = keys.reshape(-1), rows.reshape(-1)
    all_keys = flat_keys[starts]
    counts = ends - starts
    lo, hi = flat_rows[starts], flat_rows[ends - 1]
    cut = np.zeros(k + 1, dtype=np.intp)
    np.cumsum(np.count_nonzero(change, axis=1), out=cut[1:])
    return [
        (all_keys[a:b], counts[a:b], lo[a:b], hi[a:b])
        for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True)
    ]


def _old_partial(layout: Layout, inputs: Any, value: Any, margin: Any, met: Any) -> dict[str, Any]:
    k, n = value.shape
    f = len(layout.factor_cols)
    sizes = np.zeros((f, MAX_BINS), np.int32)
    bin_sum = np.zeros((k, f, MAX_BINS))
    bin_met = np.zeros((k, f, MAX_BINS), np.int32)
    fine_n = np.zeros((f, FINE_BINS), np.int32)
    fine_met = np.zeros((k, f, FINE_BINS), np.int32)
    metf = met.astype(np.float64).reshape(-1)
    marg = np.ascontiguousarray(margin).reshape(-1)
    shift = np.arange(k, dtype=np.intp)[:, None]
    for i, (j, cb, fb) in enumerate(
        zip(layout.factor_cols, layout.coarse, layout.fine, strict=True)
    ):
        x = inputs[:, j]
        r = layout.nest[i] if layout.nest else 0
        if r:
            fids = fb.ids(x)
            ids = fids // r
        else:
            ids = cb.ids(x)
            fids = ids if fb is cb else fb.ids(x)
        sizes[i] = np.bincount(ids, minlength=MAX_BINS)[:MAX_BINS]
        fine_n[i] = np.bincount(fids, minlength=FINE_BINS)[:FINE_BINS]
        if k == 0:
            continue
        flat = (ids[None, :] + shift * MAX_BINS).reshape(-1)
        bin_sum[:, i] = np.bincount(flat, weights=marg, minlength=k * MAX_BINS).reshape(k, MAX_BINS)
        fflat = (fids[None, :] + shift * FINE_BINS).reshape(-1)
        fine_met[:, i] = np.bincount(fflat, weights=metf, minlength=k * FINE_BINS).reshape(
            k, FINE_BINS
        )
        if r:
            c = layout.coarse[i].count
            bin_met[:, i, :c] = fine_met[:, i, : c * r].reshape(k, c, r).sum(axis=2)
        else:
            bin_met[:, i] = np.bincount(flat, weights=metf, minlength=k * MAX_BINS).reshape(
                k, MAX_BINS
            )
    m_mean = margin.mean(axis=1) if n else np.zeros(k)
    dev = margin - m_mean[:, None]
    return {
        "n": n,
        "met": np.count_nonzero(met, axis=1).astype(np.int64),
        "all_met": int(np.count_nonzero(np.all(met, axis=0))) if k else n,
        "value_sum": value.sum(axis=1),
        "sketches": _old_sketches(value) if k else [],
        "m_mean": m_mean,
        "m_m2": np.einsum("ij,ij->i", dev, dev),
        "sizes": sizes,
        "bin_sum": bin_sum,
        "bin_met": bin_met,
        "fine_n": fine_n,
        "fine_met": fine_met,
        "joint_met": np.array(
            [np.count_nonzero(np.all(met[list(rows)], axis=0)) for _, rows in layout.joint],
            np.int64,
        ),
    }


# --- comparing ---------------------------------------------------------------------------------


def _bits(a: Any) -> tuple[Any, ...]:
    a = np.asarray(a)
    return a.dtype.str, a.shape, a.tobytes()


def _assert_same(got: P.Partial, want: dict[str, Any], where: Any) -> None:
    for name, w in want.items():
        g = getattr(got, name)
        if name == "sketches":
            assert len(g) == len(w), where
            for t, (s, ws) in enumerate(zip(g, w, strict=True)):
                for field, wa in zip(("keys", "counts", "lo", "hi"), ws, strict=True):
                    assert _bits(getattr(s, field)) == _bits(wa), (where, t, field)
        else:
            assert _bits(g) == _bits(w), (where, name)


@pytest.fixture(params=["numpy", "compiled"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both paths of chunk_partial: NumPy, and the compiled loops (needs numba)."""
    if request.param == "compiled":
        pytest.importorskip("numba")
        monkeypatch.setattr(P, "COMPILED", True)
        assert P._jit() is not None
    else:
        monkeypatch.setattr(P, "COMPILED", False)
        assert P._jit() is None
    yield request.param


def _values(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    """Target values of every awkward kind, a few per matrix."""
    scale = 10.0 ** rng.integers(-5, 6, size=(k, 1))
    v = rng.lognormal(0.0, float(rng.choice([0.01, 0.5, 3.0])), size=(k, n)) * scale
    v *= np.where(rng.random((k, n)) < rng.choice([0.0, 0.3, 1.0]), -1.0, 1.0)
    if n == 0 or k == 0:
        return v
    kinds = rng.random((k, n))
    sel = int(rng.integers(0, 12))
    if sel == 1:
        v[kinds < 0.3] = 0.0
    elif sel == 2:
        v[kinds < 0.3] = -0.0
    elif sel == 3:  # both signs of zero in a row: left to the sorted path
        v[kinds < 0.2] = 0.0
        v[kinds > 0.8] = -0.0
    elif sel == 4:
        v[kinds < 0.05] = np.nan
        v[kinds > 0.97] = np.inf
        v[(kinds > 0.5) & (kinds < 0.52)] = -np.inf
    elif sel == 5:
        v[0] = 7.25  # all equal
    elif sel == 6:
        v = np.round(v, 1)  # ties (and zeros)
    elif sel == 7:  # keys spanning more buckets than the compiled table holds
        v[:, 0] = 1e-300
        v[:, -1] = 1e300
    elif sel == 8:
        v[kinds < 0.3] = 5e-324 * rng.integers(1, 50, size=int(np.sum(kinds < 0.3)))
    elif sel == 9:
        v[:] = np.nan
    elif sel == 10:
        v[kinds < 0.1] = np.finfo(np.float64).max * np.sign(v[kinds < 0.1])
    return v


def _layout(rng: np.random.Generator, k: int, x: np.ndarray) -> Layout:
    """Every kind of binning: nested equal-count bins, separate coarse and fine, levels."""
    coarse, fine, nest = [], [], []
    for i in range(x.shape[1]):
        col = x[:, i]
        kind = i % 3
        if kind == 2 or len(np.unique(col)) <= 1:  # the factor's levels, one binning
            b = Binning(True, np.unique(col).astype(np.float64))
            coarse.append(b)
            fine.append(b)
            nest.append(0)
            continue
        fe = np.quantile(col, np.linspace(0, 1, FINE_BINS + 1))
        ce = np.quantile(col, np.linspace(0, 1, 31))
        if kind == 0:
            ce = fe[::4]
        coarse.append(Binning(False, ce))
        fine.append(Binning(False, fe))
        nest.append(4 if kind == 0 else 0)
    rows = list(range(k))
    joint = (("a", tuple(rows[::2])), ("b", tuple(rows[-2:]))) if k >= 2 else ()
    return Layout(k, tuple(range(x.shape[1])), tuple(coarse), tuple(fine), 0, tuple(nest), joint)


def _inputs(rng: np.random.Generator, n: int, f: int) -> np.ndarray:
    x = np.empty((n, f), order="F")
    for i in range(f):
        x[:, i] = rng.normal(size=n) if i % 3 != 2 else rng.integers(0, 5, size=n) * 0.5
    return x


@pytest.mark.parametrize("seed", range(6))
def test_chunk_partial_is_the_old_algorithm_bit_for_bit(path: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [(3, 0), (2, 1), (1, 1), (0, 50), (4, 2), (5, 257), (7, 4096), (3, 9000)]
    for trial in range(40):
        k, n = (
            sizes[trial % len(sizes)]
            if trial < len(sizes)
            else (
                int(rng.integers(1, 9)),
                int(rng.integers(0, 3000)),
            )
        )
        f = int(rng.integers(1, 5))
        x = _inputs(rng, n, f)
        layout = (
            _layout(rng, k, x)
            if n
            else Layout(
                k,
                tuple(range(f)),
                (Binning(True, np.zeros(1)),) * f,
                (Binning(True, np.zeros(1)),) * f,
            )
        )
        value = _values(rng, k, n)
        margin = _values(rng, k, n)
        if trial % 4 == 0:
            margin = np.where(np.isfinite(margin), margin, 0.5)
        met = rng.random((k, n)) < rng.random((k, 1))
        if trial % 5 == 0 and n:
            met[:, : n // 2] = True
        if trial % 3 == 0:  # the workers' inputs are Fortran-ordered; C-ordered too
            x = np.ascontiguousarray(x)
        with np.errstate(invalid="ignore", over="ignore"):
            want = _old_partial(layout, x, value, margin, met)
            got = chunk_partial(layout, x, value, margin, met)
        _assert_same(got, want, (path, seed, trial, k, n))


def test_sketches_bit_for_bit_on_awkward_rows(path: str) -> None:
    rng = np.random.default_rng(99)
    rows = [
        np.array([0.0, -0.0, 1.0]),
        np.array([-0.0, 0.0, -0.0, 0.0, -1.0]),
        np.array([-0.0, -0.0]),
        np.array([0.0]),
        np.array([np.nan, np.inf, -np.inf]),
        np.array([np.nan, 3.0, np.nan]),
        np.array([5e-324, -5e-324, 1e308, -1e308, 0.0]),
        np.array([1.0, 1.0 + 2e-16, 1.001, 0.999, 1.002, -1.0, -1.002]),
        np.full(33, -2.5),
        np.array([]),
    ]
    for v in rows:
        want = _old_sketches(v[None, :])
        got = Sketch.of_rows(v[None, :])
        for s, w in zip(got, want, strict=True):
            for field, wa in zip(("keys", "counts", "lo", "hi"), w, strict=True):
                assert _bits(getattr(s, field)) == _bits(wa), (v, field)
    # bucket edges: values either side of gamma^i, where the log's last bit decides the key
    edges = P._GAMMA ** np.arange(-3000, 3000, 7, dtype=np.float64)
    v = np.concatenate([np.nextafter(edges, 0), edges, np.nextafter(edges, np.inf)])
    v = np.stack([rng.permutation(v), -rng.permutation(v)])
    for s, w in zip(Sketch.of_rows(v), _old_sketches(v), strict=True):
        for field, wa in zip(("keys", "counts", "lo", "hi"), w, strict=True):
            assert _bits(getattr(s, field)) == _bits(wa), field


def test_compiled_search_is_searchsorted() -> None:
    """The compiled bins' branch-free binary search: ``np.searchsorted`` on either side,
    NaN (sorted last) among the points or searched for, ties, empty points."""
    jit = pytest.importorskip("clustersim.sweep._partial_jit")
    rng = np.random.default_rng(2)
    for trial in range(3000):
        m = int(rng.integers(0, 20))
        p = np.sort(rng.integers(0, 5, m).astype(np.float64))
        if trial % 3 == 0 and m:
            p[-int(rng.integers(1, m + 1)) :] = np.nan
        xs = np.concatenate([rng.integers(-1, 6, 10).astype(np.float64), [np.nan, np.inf, -np.inf]])
        for right in (False, True):
            want = np.searchsorted(p, xs, side="right" if right else "left")
            got = [jit._search(p, m, x, right) for x in xs]
            assert want.tolist() == got, (p, xs, right)


def test_squared_deviations_a_few_rows_at_a_time_are_one_einsum() -> None:
    rng = np.random.default_rng(4)
    for k, n in [(1, 1), (8, 4096), (9, 4096), (35, 4096), (17, 8193), (3, 20000), (40, 3)]:
        m = rng.normal(3.0, 2.0, size=(k, n)) * 10.0 ** rng.integers(-8, 8, size=(k, 1))
        mean = m.mean(axis=1)
        dev = m - mean[:, None]
        assert _bits(P._squares(m, mean)) == _bits(np.einsum("ij,ij->i", dev, dev))


def test_the_compiled_loops_only_where_numba_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the compiled loops run where numba is already imported (the numba engine
    runs): numba is never imported for them; without numba the NumPy path runs."""
    monkeypatch.setattr(P, "COMPILED", None)
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    assert P._jit() is None
    monkeypatch.setattr(P, "COMPILED", True)
    monkeypatch.setitem(sys.modules, "clustersim.sweep._partial_jit", None)  # not importable
    assert P._jit() is None


def test_combining_sketches_compiled_is_sketch_combine(path: str) -> None:
    """Bundles and the parent's merge combine sketches compiled for all targets at once
    (``_combine_all``): the same arrays as :meth:`Sketch.combine` target by target, with
    zeros of one sign or both across groups, empty sketches, far-apart keys."""
    rng = np.random.default_rng(17)
    for trial in range(60):
        k, groups = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        parts = []
        for _ in range(groups):
            n = int(rng.integers(0, 400))
            parts.append(Sketch.of_rows(_values(rng, k, n)) if n else [Sketch.of(np.empty(0))] * k)
        want = [Sketch.combine([g[t] for g in parts]) for t in range(k)]
        got = P._combine_all(parts)
        for t, (s, w) in enumerate(zip(got, want, strict=True)):
            for field in ("keys", "counts", "lo", "hi"):
                assert _bits(getattr(s, field)) == _bits(getattr(w, field)), (trial, t, field)


def test_bundles_and_merges_the_same_bits_on_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """bundle() and Merger over chunk partials: compiled and NumPy give the same arrays."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(23)
    k, f = 4, 2
    chunks = []
    for _ in range(11):
        n = int(rng.integers(1, 600))
        x = _inputs(rng, n, f)
        chunks.append((x, _values(rng, k, n), rng.normal(size=(k, n)), rng.random((k, n)) < 0.5))
    layout = _layout(rng, k, np.concatenate([c[0] for c in chunks]))
    results = []
    for compiled in (False, True):
        monkeypatch.setattr(P, "COMPILED", compiled)
        monkeypatch.setattr(P.Merger, "_BATCH", 3)
        with np.errstate(invalid="ignore", over="ignore"):
            parts = [chunk_partial(layout, *c) for c in chunks]
        m = P.Merger()
        m.add_bundle(P.bundle(4, parts[4:9]))
        for i in (10, 9, 3, 2, 1, 0):
            m.add(i, parts[i])
        results.append(m.result())
    a, b = results
    for name in (
        "met",
        "value_sum",
        "m_mean",
        "m_m2",
        "sizes",
        "bin_sum",
        "bin_met",
        "fine_n",
        "fine_met",
        "joint_met",
    ):
        assert _bits(getattr(a, name)) == _bits(getattr(b, name)), name
    for s, w in zip(a.sketches, b.sketches, strict=True):
        for field in ("keys", "counts", "lo", "hi"):
            assert _bits(getattr(s, field)) == _bits(getattr(w, field)), field


def test_sketches_past_the_kept_scratch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk larger than the scratch array kept per thread gets an array of its own: the
    same sketches."""
    pytest.importorskip("numba")
    monkeypatch.setattr(P, "COMPILED", True)
    monkeypatch.setattr(P, "_SCRATCH_MAX", 100)
    v = np.random.default_rng(3).lognormal(size=(3, 500))
    for small in (v[:, :20], v):
        for s, w in zip(Sketch.of_rows(small), _old_sketches(small), strict=True):
            for field, wa in zip(("keys", "counts", "lo", "hi"), w, strict=True):
                assert _bits(getattr(s, field)) == _bits(wa), field


def test_the_compiled_loops_cache_in_the_users_cache_folder() -> None:
    """numba's cache=True files of the summary's loops go where the kernels' do (the user's
    cache folder), not beside the source."""
    jit = pytest.importorskip("clustersim.sweep._partial_jit")
    from clustersim.accel.kernel import cache_dir

    for fn in (jit.sketch_rows, jit.combine_rows, jit.bin_sums):
        assert str(fn._cache._cache_path).startswith(str(cache_dir() / "numba"))
