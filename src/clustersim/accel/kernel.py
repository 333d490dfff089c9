"""Compile (once, cached on disk) and run the generated fused kernel."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.accel.codegen import LANES, generate_cached
from clustersim.atomic import atomic_path
from clustersim.cachefolder import cache_dir
from clustersim.core import expr as ex
from clustersim.core.model import Model
from clustersim.core.targets import Outcome, TargetSpec, result_buffers

__all__ = ["cache_dir", "evaluate_targets"]

_LOADED: dict[str, Callable[..., None]] = {}


#: kernels being called with the SLP vectoriser on (:func:`_slp_vectorize`), and its lock
_SLP = {"users": 0, "old": 0}
_SLP_LOCK = threading.Lock()
#: loads of generated kernels (two threads may ask for the same one at once)
_LOAD_LOCK = threading.Lock()


@contextlib.contextmanager
def _slp_vectorize() -> Iterator[None]:
    """Let LLVM's SLP vectoriser run while a kernel compiles.

    numba leaves it off by default (``NUMBA_SLP_VECTORIZE``); the generated kernels are
    written for it (lanes unrolled statement by statement) and run ~2-3x faster with it.
    Only numba's pass-builder reads the setting, when it compiles; the tests hold every
    kernel to the NumPy core. Chunks run on two threads at once (``run_targets``): the
    setting is numba's, for the whole process, so it is turned on by the first caller in
    and restored by the last one out (a thread leaving while the other's call compiles
    would otherwise turn it off under that compile).
    """
    from numba.core import config

    with _SLP_LOCK:
        if _SLP["users"] == 0:
            _SLP["old"] = getattr(config, "SLP_VECTORIZE", 0)
            setattr(config, "SLP_VECTORIZE", 1)  # noqa: B010 (numba's config has no stubs)
        _SLP["users"] += 1
    try:
        yield
    finally:
        with _SLP_LOCK:
            _SLP["users"] -= 1
            if _SLP["users"] == 0:
                setattr(config, "SLP_VECTORIZE", _SLP["old"])  # noqa: B010


def _load(source: str) -> Callable[..., None]:
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    fn = _LOADED.get(key)
    if fn is not None:
        return fn
    with _LOAD_LOCK:
        return _LOADED.get(key) or _load_new(source, key)


def _load_new(source: str, key: str) -> Callable[..., None]:
    """Write (once) and import the kernel module of ``source``."""
    folder = cache_dir() / "kernels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"k_{key}.py"
    if not path.exists():  # written atomically: concurrent runs may race
        with atomic_path(path) as tmp:
            tmp.write_text(source, encoding="utf-8")
    name = f"clustersim_kernel_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    fn: Callable[..., None] = module.kernel
    _LOADED[key] = fn
    return fn


def evaluate_targets(
    model: Model,
    specs: Sequence[TargetSpec],
    derived: Mapping[str, ex.Expr] | None = None,
    *,
    out: Mapping[str, NDArray[Any]] | None = None,
) -> dict[str, Outcome]:
    """Per-sample outcome of every target, computed by the fused kernel.

    Same contract as :func:`clustersim.core.blocked.evaluate_targets`. ``out`` may give
    ``value``, ``margin`` (float64) and ``met`` (bool) arrays of shape ``(n_targets, >= S)``
    to write into (a sweep that consumes each chunk reuses them instead of touching fresh
    memory every time); the outcomes are then views of them.
    """
    gen = generate_cached(model, specs, dict(derived or {}))
    kernel = _load(gen.source)
    s, n = model.samples, len(specs)
    value, margin, met = result_buffers(n, s, out)  # a contiguous row per target
    err = np.zeros(1, dtype=np.int64)
    n_t, c = model.n_years, len(model.clusters)
    whole = s - s % LANES
    if whole:
        with _slp_vectorize():  # (compiles on the first call of a new signature)
            kernel(whole, n_t, c, LANES, *gen.arrays, gen.floats, gen.ints, value, margin, met, err)
    if whole < s:
        # the ragged tail as one block of LANES samples: the last LANES samples when there
        # are that many (recomputing a few), else the samples repeated to fill the lanes
        first = max(s - LANES, 0)
        rows = np.minimum(np.arange(first, first + LANES), s - 1)
        arrays = [
            (a[:, rows] if yf else a[rows]) if sampled else a
            for a, sampled, yf in zip(gen.arrays, gen.sampled, gen.year_first, strict=True)
        ]
        tv, tm, tk = result_buffers(n, LANES)
        with _slp_vectorize():
            kernel(LANES, n_t, c, LANES, *arrays, gen.floats, gen.ints, tv, tm, tk, err)
        keep = slice(whole - first, s - first)
        value[:, whole:s], margin[:, whole:s], met[:, whole:s] = (
            tv[:, keep],
            tm[:, keep],
            tk[:, keep],
        )
    if err[0]:
        raise FloatingPointError(gen.errors[int(err[0]) - 1])
    for i, spec in enumerate(specs):
        if not np.isfinite(value[i, :s]).all():
            raise FloatingPointError(f"target {spec.id}: the value is not finite")
    return {t.id: Outcome(value[i, :s], margin[i, :s], met[i, :s]) for i, t in enumerate(specs)}
