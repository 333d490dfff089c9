"""Compile (once, cached on disk) and run the generated fused kernel."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clustersim.accel.codegen import generate
from clustersim.atomic import atomic_path
from clustersim.core import expr as ex
from clustersim.core.model import Model
from clustersim.core.targets import Outcome, TargetSpec

__all__ = ["cache_dir", "evaluate_targets"]

_LOADED: dict[str, Callable[..., None]] = {}


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept between runs.

    ``$CLUSTERSIM_CACHE`` if set, else ``$XDG_CACHE_HOME/clustersim`` or ``~/.cache/clustersim``.
    """
    env = os.environ.get("CLUSTERSIM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clustersim"


def _load(source: str) -> Callable[..., None]:
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    if key in _LOADED:
        return _LOADED[key]
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
    model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr] | None = None
) -> dict[str, Outcome]:
    """Per-sample outcome of every target, computed by the fused kernel.

    Same contract as :func:`clustersim.core.blocked.evaluate_targets`.
    """
    gen = generate(model, specs, dict(derived or {}))
    kernel = _load(gen.source)
    s, n = model.samples, len(specs)
    value = np.empty((n, s))  # one contiguous row per target: no copy on the way out
    margin = np.empty((n, s))
    met = np.empty((n, s), dtype=np.bool_)
    err = np.zeros(1, dtype=np.int64)
    args: list[Any] = [s, model.n_years, len(model.clusters), *gen.arrays, gen.floats, gen.ints]
    kernel(*args, value, margin, met, err)
    if err[0]:
        raise FloatingPointError(gen.errors[int(err[0]) - 1])
    return {t.id: Outcome(value[i], margin[i], met[i]) for i, t in enumerate(specs)}
