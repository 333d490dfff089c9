"""PRIM (clustersim.analysis.prim): the cut points by hand, a known box found on a hand-built
case, and the EMA Workbench's prim module matched step by step where it is installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import binomtest

from clustersim.analysis.prim import get_quantile, prim, quasi_p

BOX = ((0.2, 0.5), (0.6, 0.9))


def _box_case(n: int, noise_dims: int, seed: int, flip: float = 0.0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 2 + noise_dims))
    y = np.ones(n, dtype=bool)
    for j, (lo, hi) in enumerate(BOX):
        y &= (x[:, j] > lo) & (x[:, j] < hi)
    if flip:
        y ^= rng.uniform(size=n) < flip
    return x, y


def test_cut_points_by_hand() -> None:
    data = np.array([5.0, 3.0, 1.0, 4.0, 2.0])
    # i = 4 * 0.05 = 0.2: midpoint of the 1st and 2nd smallest
    assert get_quantile(data, 0.05) == 1.5
    # i = 3.8: midpoint of the 4th and 5th
    assert get_quantile(data, 0.95) == 4.5
    # ties: the order statistics are equal, so the upper one moves to the next value
    assert get_quantile(np.array([1.0, 1.0, 1.0, 2.0]), 0.05) == 1.5
    assert get_quantile(np.array([1.0, 2.0, 2.0, 2.0]), 0.95) == 1.5
    # all equal: the value itself
    assert get_quantile(np.array([3.0, 3.0, 3.0]), 0.05) == 3.0
    assert get_quantile(np.array([7.0]), 0.95) == 7.0


def test_known_box_is_found_and_noise_inputs_stay_unrestricted() -> None:
    x, y = _box_case(20_000, noise_dims=3, seed=11)
    res = prim(x, y)
    from clustersim.analysis.discover import choose_box

    b = res.boxes[choose_box(res)]
    assert b.restricted == (0, 1)
    np.testing.assert_allclose(b.limits[:2], np.array(BOX), atol=0.02)
    # the noise inputs keep their full sampled range
    np.testing.assert_array_equal(b.limits[2:], res.init[2:])
    assert b.density > 0.97
    assert b.coverage > 0.85
    # coverage, density and mass recomputed from the limits
    inside = np.all((x >= b.limits[:, 0]) & (x <= b.limits[:, 1]), axis=1)
    assert b.n == inside.sum() and b.k == (inside & y).sum()
    assert b.coverage == pytest.approx((inside & y).sum() / y.sum())
    assert b.mass == pytest.approx(inside.mean())


def test_quasi_p_is_the_one_sided_binomial_test() -> None:
    x, y = _box_case(3000, noise_dims=1, seed=5, flip=0.05)
    res = prim(x, y)
    b = res.boxes[-1]
    qp = quasi_p(x, y, b, res.init)
    for j in b.restricted:
        for side in (0, 1):
            if b.limits[j, side] == res.init[j, side]:
                assert np.isnan(qp[j, side])
                continue
            lim = b.limits.copy()
            lim[j, side] = res.init[j, side]
            inside = np.all((x >= lim[:, 0]) & (x <= lim[:, 1]), axis=1)
            p = (inside & y).sum() / inside.sum()
            want = binomtest(b.k, b.n, p, alternative="greater").pvalue
            assert qp[j, side] == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="peel_alpha"):
        prim(np.zeros((3, 1)), np.zeros(3, bool), peel_alpha=0.6)
    with pytest.raises(ValueError, match="NaN"):
        prim(np.array([[np.nan]]), np.zeros(1, bool))


@pytest.mark.parametrize("case", ["continuous", "ties"])
def test_matches_the_ema_workbench(case: str) -> None:
    pd = pytest.importorskip("pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ema_prim = pytest.importorskip("ema_workbench.analysis.prim")
        sdutil = pytest.importorskip("ema_workbench.analysis.scenario_discovery_util")
    x, y = _box_case(2000, noise_dims=2, seed=3, flip=0.05)
    if case == "ties":  # a grid-like input: many equal values
        x[:, 3] = np.random.default_rng(4).integers(0, 5, x.shape[0]) * 0.25
    cols = [f"x{j}" for j in range(x.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ema_prim.Prim(pd.DataFrame(x, columns=cols), y.astype(int), threshold=0.5)
        box = theirs.find_box()
    ours = prim(x, y)
    traj = box.peeling_trajectory
    assert len(ours.boxes) == len(traj)
    got = np.array([[b.coverage, b.density, b.mass, len(b.restricted)] for b in ours.boxes])
    want = traj[["coverage", "density", "mass", "res_dim"]].to_numpy(float)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    lims = np.array([bl[cols].to_numpy(float).T for bl in box.box_lims])
    np.testing.assert_array_equal(np.array([b.limits for b in ours.boxes]), lims)
    i = len(ours.boxes) - 1
    qp = quasi_p(x, y, ours.boxes[i], ours.init)
    res_dims = list(sdutil._determine_restricted_dims(box.box_lims[i], theirs.box_init))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_qp = box._calculate_quasi_p(i, res_dims)
    for name, (lo, hi) in their_qp.items():
        j = cols.index(name)
        for side, v in ((0, lo), (1, hi)):
            if v == -1:
                assert np.isnan(qp[j, side])
            else:
                assert qp[j, side] == pytest.approx(v, rel=1e-9, abs=1e-300)


def _plain_peeling(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, int, int]]:
    """PRIM's peeling written plainly: at each step every input's cuts by get_quantile over
    the in-box points, the lenient1 objective, ties to fewer restricted inputs, then the
    first (inputs in order, upper side before lower)."""
    n_all, d = x.shape
    init = np.column_stack([x.min(axis=0), x.max(axis=0)])
    lim = init.copy()
    inside = np.ones(n_all, bool)
    out = [(lim.copy(), n_all, int(y.sum()))]
    while True:
        n_old, k_old = int(inside.sum()), int((y & inside).sum())
        best = None
        for j in range(d):
            col = x[inside, j]
            for side, q in ((1, 0.95), (0, 0.05)):
                cut = get_quantile(col, q)
                keep = inside & ((x[:, j] <= cut) if side else (x[:, j] >= cut))
                n_new, k_new = int(keep.sum()), int((y & keep).sum())
                m_old, m_new = k_old / n_old, (k_new / n_new if n_new else 0.0)
                obj = 0.0 if m_old == m_new or n_old == n_new else (m_new - m_old) / (n_old - n_new)
                cand = lim.copy()
                cand[j, side] = cut
                score = (obj, d - int(np.any(cand != init, axis=1).sum()))
                if best is None or score > best[0]:
                    best = (score, cand, keep, n_new, k_new)
        assert best is not None
        (obj, _), cand, keep, n_new, k_new = best
        if not (n_new / n_all >= 0.05 and n_new < n_old and obj > 0):
            return out
        lim, inside = cand, keep
        out.append((lim.copy(), n_new, k_new))


@pytest.mark.parametrize("case", ["uniform", "sorted", "ties", "constant"])
def test_peeling_on_large_columns_equals_plain_selection(case: str) -> None:
    """The end walks over presorted columns give the plain peeling's trajectory exactly, on
    columns long enough that walks take several blocks, reuse the points they kept and sort
    more of a column's ends; also on data sorted by row, heavy ties and a constant input."""
    rng = np.random.default_rng(9)
    n = 60_000
    x = rng.uniform(size=(n, 4))
    if case == "sorted":
        x[:, 2] = np.sort(rng.normal(size=n))
    elif case == "ties":
        x[:, 1] = rng.integers(0, 7, n).astype(float)
        x[:, 3] = rng.integers(0, 3, n).astype(float)
    elif case == "constant":
        x[:, 3] = 2.5
    y = (x[:, 0] > 0.3) & (x[:, 0] < 0.8) & (rng.uniform(size=n) < 0.9)
    if case == "ties":
        y &= x[:, 1] >= 2
    if case == "sorted":
        y &= x[:, 2] > -0.5
    res = prim(x, y)
    want = _plain_peeling(x, y)
    assert res.peels == len(want) - 1 > 5
    for b, (lim, nn, kk) in zip(res.boxes, want, strict=False):
        np.testing.assert_array_equal(b.limits, lim)
        assert (b.n, b.k) == (nn, kk)


def _two_box_case(n: int, seed: int):
    """Box A (x0, x1 in 0.3-0.6) holds only cases of interest; box B (x0 > 0.8, x1 < 0.2) a
    case of interest with probability 0.6; x2, x3 are noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    a = (x[:, 0] > 0.3) & (x[:, 0] < 0.6) & (x[:, 1] > 0.3) & (x[:, 1] < 0.6)
    b = (x[:, 0] > 0.8) & (x[:, 1] < 0.2) & (rng.uniform(size=n) < 0.6)
    return x, a | b, a, b


@pytest.mark.parametrize("seed", [21, 5])
def test_covering_finds_both_hand_built_boxes(seed: int) -> None:
    """Two disjoint boxes of cases of interest: the first search finds the pure one, the
    second (on the points the first box does not hold) the noisy one; each box's counts,
    coverage (of all cases of interest), density and mass recomputed from its limits on the
    points it searched."""
    from clustersim.analysis.discover import choose_box
    from clustersim.analysis.prim import in_box, prim_covering

    x, y, a, b = _two_box_case(40_000, seed=seed)
    found = prim_covering(x, y, 2, lambda r, k: choose_box(r, 0.5, k))
    assert len(found) == 2
    first, second = (f.chosen for f in found)
    init = found[0].result.init
    assert first.restricted == second.restricted == (0, 1)
    np.testing.assert_allclose(first.limits[:2], [[0.3, 0.6], [0.3, 0.6]], atol=0.02)
    assert first.density == 1.0
    # B: x0 from about 0.8 to the top of its range, x1 from the bottom to about 0.2
    assert abs(second.limits[0, 0] - 0.8) < 0.02 and second.limits[0, 1] == init[0, 1]
    assert second.limits[1, 0] == init[1, 0] and 0.18 < second.limits[1, 1] < 0.27
    np.testing.assert_array_equal(second.limits[2:], init[2:])
    # the second box holds nearly all of B's cases of interest and none of A's points
    inside2 = np.all((x >= second.limits[:, 0]) & (x <= second.limits[:, 1]), axis=1)
    assert (inside2 & b).sum() / b.sum() > 0.95 and not (inside2 & a).any()
    searched = np.ones(x.shape[0], bool)
    for f in found:
        inside = searched & np.all(
            (x >= f.chosen.limits[:, 0]) & (x <= f.chosen.limits[:, 1]), axis=1
        )
        assert np.array_equal(f.searched, searched)
        assert (f.n_searched, f.k_searched) == (searched.sum(), (searched & y).sum())
        assert f.chosen.n == inside.sum() and f.chosen.k == (inside & y).sum()
        assert f.chosen.coverage == pytest.approx((inside & y).sum() / y.sum())
        assert f.chosen.density == pytest.approx((inside & y).sum() / inside.sum())
        assert f.chosen.mass == pytest.approx(inside.sum() / x.shape[0])
        assert np.array_equal(in_box(x, f.chosen) & searched, inside)
        searched &= ~inside
    assert first.coverage + second.coverage > 0.9


def test_covering_matches_the_ema_workbench() -> None:
    """Two boxes by covering, each the last box of its trajectory (the workbench's selected
    box after find_box), against the workbench's find_box called twice."""
    pd = pytest.importorskip("pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ema_prim = pytest.importorskip("ema_workbench.analysis.prim")
    from clustersim.analysis.prim import prim_covering

    x, y, _, _ = _two_box_case(3000, seed=8)
    y = y ^ (np.random.default_rng(2).uniform(size=y.shape[0]) < 0.03)
    cols = [f"x{j}" for j in range(x.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ema_prim.Prim(pd.DataFrame(x, columns=cols), y.astype(int), threshold=0.1)
        their_boxes = [theirs.find_box(), theirs.find_box()]
    ours = prim_covering(x, y, 2, lambda r, k: len(r.boxes) - 1, threshold=0.1)
    assert len(ours) == 2
    for f, box in zip(ours, their_boxes, strict=True):
        traj = box.peeling_trajectory
        assert len(f.result.boxes) == len(traj)
        got = np.array([[b.coverage, b.density, b.mass, len(b.restricted)] for b in f.result.boxes])
        want = traj[["coverage", "density", "mass", "res_dim"]].to_numpy(float)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        lims = np.array([bl[cols].to_numpy(float).T for bl in box.box_lims])
        np.testing.assert_array_equal(np.array([b.limits for b in f.result.boxes]), lims)


def test_small_and_tied_samples_equal_plain_peeling() -> None:
    """From 2 points up: too few to sort only the ends (the whole column is sorted), inputs
    of one to five distinct values, continuous inputs; the trajectory is the plain
    peeling's every time (12 points once failed: the end size rounded to zero)."""
    runs = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 400)) if seed else 12
        if seed % 2:
            x = rng.integers(0, int(rng.integers(1, 6)), size=(n, 3)).astype(float)
        else:
            x = rng.uniform(size=(n, 3))
        y = rng.uniform(size=n) < rng.uniform(0.1, 0.7)
        if not y.any():
            continue
        res = prim(x, y)
        want = _plain_peeling(x, y)
        assert res.peels == len(want) - 1, seed
        for b, (lim, nn, kk) in zip(res.boxes, want, strict=False):
            np.testing.assert_array_equal(b.limits, lim)
            assert (b.n, b.k) == (nn, kk)
        runs += 1
    assert runs > 50
