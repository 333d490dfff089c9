"""The compiled copy of cluster parts into the compiler's stack (``compile.install_put``):
the arrays NumPy's assignment gives, in every layout the engines ask for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import clustersim as cs
from clustersim import compile as compile_mod
from clustersim.bench.workloads import synthetic_scenario

pytest.importorskip("numba")
from clustersim.accel.draws import put_part  # (importing it installs it)


def test_the_compiled_put_is_installed_with_the_draws() -> None:
    assert compile_mod._PUT is put_part


@pytest.mark.parametrize("rows", [1, 7, 300])
def test_put_part_is_numpys_assignment(rows: int) -> None:
    rng = np.random.default_rng(1)
    for layout in ("plain", "year", "sample"):
        if layout == "plain":
            out = np.zeros((rows, 7, 4))
        elif layout == "year":
            out = compile_mod.year_major(rows, 7, 4)
            out[...] = 0.0
        else:
            out = compile_mod.sample_major(rows, 7, 4)
            out[...] = 0.0
        want = out.copy()
        for i, part in enumerate(
            [
                rng.random((rows, 4)),
                rng.random((1, 4)),  # the same every sample
                rng.random((4, rows)).T,  # a strided view
                rng.random((rows, 1)),  # the same every year
                rng.random((1, 1)),
            ]
        ):
            put_part(out, i + 1, part)
            want[:, i + 1, :] = part
        np.testing.assert_array_equal(out, want)
        assert not out[:, 0].any() and not out[:, 6].any()  # other clusters untouched


SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("which", ["synthetic", "synthetic-shocks", *(p.stem for p in SCENARIOS)])
@pytest.mark.parametrize("layout", ["year", "sample"])
def test_compiled_scenarios_are_the_same_with_and_without_it(
    which: str, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if which.startswith("synthetic"):
        sc = synthetic_scenario(6, 5, shocks=which.endswith("shocks"))
    else:
        sc = cs.load_scenario(SCENARIOS[[p.stem for p in SCENARIOS].index(which)])
    kw = {"samples": 9000, "seed": 3, "draw": True, "rates_layout": layout}
    got = cs.compile_scenario(sc, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(compile_mod, "_PUT", None)
    want = cs.compile_scenario(sc, **kw)  # type: ignore[arg-type]
    assert [op.name for op in got.model.ops] == [op.name for op in want.model.ops]
    n = 0
    for a, b in zip(got.model.ops, want.model.ops, strict=True):
        for name in ("x0", "rates", "s0", "exit_rate"):
            x, y = getattr(a, name, None), getattr(b, name, None)
            if isinstance(x, np.ndarray):
                assert isinstance(y, np.ndarray)
                np.testing.assert_array_equal(x, y)
                assert x.strides == y.strides
                n += x.ndim == 3
    assert n  # cluster series were stacked (9,000 samples: two blocks of 8,192 rows)


def test_warm_loads_every_compiled_draw() -> None:
    from clustersim.accel import draws

    draws.warm()
    for fn in (
        draws._fill_streams,
        draws._pcg64_fill,
        draws._ppnd16,
        draws._triangular_cols,
        draws._normal_q,
        draws._normal_out,
        draws.put_part,
    ):
        assert fn.signatures, fn.__name__  # compiled or loaded from the cache
