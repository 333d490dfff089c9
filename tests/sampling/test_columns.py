"""Inverse CDFs of many columns at once (``sampling/columns.py``) and many streams at once
(``uniform_streams``): the bits of one ``ppf`` / one stream at a time, NumPy and compiled."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from clustersim.sampling import Choice, LogNormal, Normal, Triangular, Uniform, streams
from clustersim.sampling import columns as columns_mod
from clustersim.sampling.base import scipy_ndtri
from clustersim.sampling.columns import Columns, ppf_columns

numba = pytest.importorskip("numba")
from clustersim.accel import draws  # noqa: E402  (installs the compiled kernels)

RATE_LO = -0.999999999

#: every branch of every distribution with a block form, and two without one
COLS = [
    (Triangular(0.0, 1.0, 2.0), -math.inf, math.inf),
    (Triangular(0.02, 0.05, 0.11), RATE_LO, math.inf),
    (Triangular(0.0, 0.0, 1.0), 0.25, 0.75),  # mode at low, truncated both sides
    (Triangular(-1.0, 1.0, 1.0), -0.5, math.inf),  # mode at high
    (Normal(0.06, 0.03), -math.inf, math.inf),  # untruncated
    (Normal(0.06, 0.03), RATE_LO, math.inf),  # bounds beyond float reach: untruncated
    (Normal(0.06, 0.03, low=0.0, high=0.1), -math.inf, math.inf),  # truncated
    (Normal(0.0, 1.0), 2.5, 9.0),  # upper tail: mirrored
    (Normal(-3.0, 0.5), -math.inf, -3.2),  # lower tail
    (LogNormal(120.0, 0.2), 0.0, math.inf),
    (LogNormal(1.0, 0.5, low=0.5, high=3.0), 0.0, math.inf),
    (LogNormal(1.0, 0.1), 1.3, math.inf),  # upper tail: mirrored
    (Uniform(0.01, 0.04), RATE_LO, math.inf),
    (Choice((1.0, 2.0, 5.0)), -math.inf, math.inf),
]


def _quantiles(n: int, d: int, seed: int = 3) -> np.ndarray:
    u = np.random.default_rng(seed).random((n, d))
    # the edges: the smallest and largest uniforms a stream draws, a half, the mode's F
    u[:6] = np.array([0.5 / 2**53, 1.0 - 2.0**-53, 0.5, 0.25, 0.75, 1e-300])[:, None]
    return np.asfortranarray(u)


def _one_at_a_time(cols: list, u: np.ndarray, inv: object) -> np.ndarray:
    out = np.empty(u.shape, order="F")
    for j, (d, lo, hi) in enumerate(cols):
        out[:, j] = d.ppf(np.ascontiguousarray(u[:, j]), lo, hi, inverse_normal=inv)
    return out


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint64)


@pytest.fixture(params=["numpy-blocks", "compiled-blocks"])
def kernels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(
        columns_mod,
        "_KERNELS",
        None if request.param == "numpy-blocks" else draws.COLUMN_KERNELS,
    )
    return str(request.param)


@pytest.mark.parametrize("inv", [None, draws.ndtri, scipy_ndtri], ids=["cephes", "as241", "scipy"])
@pytest.mark.parametrize("n", [0, 1, 7, 4096])
def test_every_column_is_its_own_ppf_bit_for_bit(kernels: str, inv: object, n: int) -> None:
    u = _quantiles(max(n, 6), len(COLS))[:n]
    u = np.asfortranarray(u)
    want = _one_at_a_time(COLS, u, inv)
    got = Columns(COLS).ppf(u, inverse_normal=inv)  # type: ignore[arg-type]
    assert got.shape == (n, len(COLS))
    np.testing.assert_array_equal(_bits(got), _bits(want))


def test_any_memory_order_gives_the_same_bits(kernels: str) -> None:
    u = _quantiles(300, len(COLS))
    want = _one_at_a_time(COLS, u, draws.ndtri)
    for uu in (np.ascontiguousarray(u), u):
        for out in (np.empty(u.shape), np.empty(u.shape, order="F")):
            got = ppf_columns(COLS, uu, inverse_normal=draws.ndtri, out=out)
            assert got is out
            np.testing.assert_array_equal(_bits(got), _bits(want))


def test_known_values_by_hand(kernels: str) -> None:
    # triangular(0, 1, 2): F(x) = x^2 / 2 below the mode, so u = 1/8 -> 0.5, u = 1/2 -> 1;
    # 1 - (2 - x)^2 / 2 above it, so u = 7/8 -> 1.5. Uniform(0.01, 0.04) at 0.5 -> 0.025.
    # Normal(0.06, 0.03) at u = 0.5 -> the mean; lognormal(120, 0.2) at 0.5 -> the median.
    cols = [COLS[0], COLS[0], COLS[0], COLS[12], COLS[4], COLS[9]]
    u = np.asfortranarray([[0.125, 0.5, 0.875, 0.5, 0.5, 0.5]])
    got = Columns(cols).ppf(u, inverse_normal=draws.ndtri)[0]
    np.testing.assert_allclose(got, [0.5, 1.0, 1.5, 0.025, 0.06, 120.0], rtol=1e-15)


def test_truncated_normal_agrees_with_scipy(kernels: str) -> None:
    from scipy.stats import truncnorm

    d, lo, hi = COLS[7]  # normal(0, 1) on [2.5, 9]: the mirrored upper tail
    u = np.linspace(0.001, 0.999, 999)
    got = Columns([(d, lo, hi)]).ppf(np.asfortranarray(u[:, None]))[:, 0]
    np.testing.assert_allclose(got, truncnorm.ppf(u, 2.5, 9.0), rtol=1e-12)


def test_a_column_without_mass_raises_what_its_ppf_raises(kernels: str) -> None:
    cols = [COLS[0], (Normal(0.0, 1.0), 40.0, 41.0), (Triangular(0.0, 1.0, 2.0), 3.0, 4.0)]
    u = _quantiles(10, 3)
    with pytest.raises(ValueError) as want:
        cols[1][0].ppf(u[:, 1], 40.0, 41.0)
    with pytest.raises(ValueError) as got:
        Columns(cols).ppf(u)
    assert str(got.value) == str(want.value)  # the first refused column, as one at a time
    with pytest.raises(ValueError, match="2 columns described for 3"):
        Columns(cols[:2]).ppf(u)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


def test_both_clips_are_np_clip_with_scalar_bounds_on_signed_zeros_and_nan() -> None:
    # what each ppf does (np.clip, scalar bounds, keeps a value equal to a bound: -0.0
    # clipped to [-0.0, 0.0] stays -0.0); np.clip with array bounds would give 0.0 there
    vals = [-0.0, 0.0, math.nan, -math.inf, math.inf, 1.0, -1.0, 5e-324]
    bounds = [-0.0, 0.0, -1.0, 1.0, -math.inf, math.inf]
    cases = [(lo, hi) for lo in bounds for hi in bounds if hi >= lo]
    x = np.array(vals * len(cases))
    lo = np.repeat([c[0] for c in cases], len(vals))
    hi = np.repeat([c[1] for c in cases], len(vals))
    block = columns_mod._clip(x[:, None].copy(), lo[:, None], hi[:, None])[:, 0]
    for i in range(len(x)):
        want = float(np.clip(np.array([x[i]]), lo[i], hi[i])[0])
        assert _same(float(draws._clip(x[i], lo[i], hi[i])), want), (x[i], lo[i], hi[i])
        assert _same(float(block[i]), want), (x[i], lo[i], hi[i])


# --- many streams at once ---------------------------------------------------------------


def _numpy_stream(seed: int, key: tuple[int, ...], n: int, offset: int = 0) -> np.ndarray:
    bitgen = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key))
    bitgen.advance(offset)
    return np.random.Generator(bitgen).random(n) + 0.5 / 2.0**53


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32 - 1, 2**32, 2**63 - 1, 2**64 + 5, 2**130 + 7])
@pytest.mark.parametrize("spawn_key", [(), (0,), (7,), (2**32 + 1,), (3, 2**40)])
def test_compiled_streams_are_numpys_seed_sequences(seed: int, spawn_key: tuple[int, ...]) -> None:
    paths = ["a", "clusters.x.growth.rate", "region.gdp.base", ""]
    keys = [zlib.crc32(p.encode()) for p in paths]
    out = np.empty((len(paths), 700))
    draws.fill_streams(seed, spawn_key, keys, out)
    for j, k in enumerate(keys):
        np.testing.assert_array_equal(out[j], _numpy_stream(seed, (*spawn_key, k), 700))


def test_keys_of_different_word_counts_are_seeded_one_by_one() -> None:
    keys = [0, 2**32 + 9, 5, 2**70]
    out = np.empty((4, 64))
    draws.fill_streams(11, (2,), keys, out)
    for j, k in enumerate(keys):
        np.testing.assert_array_equal(out[j], _numpy_stream(11, (2, k), 64))


@pytest.mark.parametrize("compiled", [True, False])
def test_uniform_streams_are_uniform_stream_column_by_column(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compiled:
        monkeypatch.setattr(streams, "_STREAMS", None)
    else:
        assert streams._STREAMS is draws.fill_streams
    paths = [f"clusters.c{i}.growth.rate" for i in range(9)]
    for n in (3, 4096):  # below _FILL_FROM NumPy draws even when compiled
        got = streams.uniform_streams(99, (4,), paths, n)
        assert got.flags.f_contiguous and got.shape == (n, 9)
        for j, p in enumerate(paths):
            np.testing.assert_array_equal(got[:, j], streams.uniform_stream(99, (4,), p, n))
            np.testing.assert_array_equal(
                got[:, j], _numpy_stream(99, (4, zlib.crc32(p.encode())), n)
            )


@pytest.mark.parametrize("offset", [0, 1, 2, 7, 65_536, 2**20 + 3, 2**40 + 11, 2**64 - 1])
@pytest.mark.parametrize("rows", [1, 4, 7, 9])  # the four-stream loop and its remainder
def test_compiled_streams_advance_as_numpy_does(offset: int, rows: int) -> None:
    keys = [zlib.crc32(f"clusters.c{i}.growth.rate".encode()) for i in range(rows)]
    out = np.empty((rows, 600))
    draws.fill_streams(2026, (), keys, out, offset)
    for j, k in enumerate(keys):
        np.testing.assert_array_equal(out[j], _numpy_stream(2026, (k,), 600, offset))


def test_compiled_streams_refuse_an_offset_outside_64_bits() -> None:
    out = np.empty((1, 600))
    with pytest.raises(ValueError, match="offset"):
        draws.fill_streams(1, (), [3], out, 2**64)
    with pytest.raises(ValueError, match="offset"):
        draws.fill_streams(1, (), [3], out, -1)


@pytest.mark.parametrize("compiled", [True, False])
def test_uniform_streams_at_an_offset_are_uniform_stream_at_it(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compiled:
        monkeypatch.setattr(streams, "_STREAMS", None)
    paths = [f"clusters.c{i}.growth.rate" for i in range(6)]
    for n, offset in ((3, 5), (4096, 0), (4096, 65_536), (1000, 123_457)):
        got = streams.uniform_streams(7, (), paths, n, offset)
        for j, p in enumerate(paths):
            np.testing.assert_array_equal(got[:, j], streams.uniform_stream(7, (), p, n, offset))


def test_uniform_streams_fill_the_buffer_given() -> None:
    paths = [f"clusters.c{i}.growth.rate" for i in range(5)]
    buf = np.empty((1000, 5), order="F")
    got = streams.uniform_streams(3, (), paths, 1000, 77, out=buf)
    assert got is buf
    np.testing.assert_array_equal(got, streams.uniform_streams(3, (), paths, 1000, 77))
    for bad in (np.empty((1000, 5)), np.empty((999, 5), order="F"), np.empty((1000, 4), order="F")):
        with pytest.raises(ValueError, match="Fortran-ordered float64 array of shape"):
            streams.uniform_streams(3, (), paths, 1000, 77, out=bad)
