"""The local Dask cluster ``--dask local`` starts (issue 21, workers that scale): its servers
wake once a second, not 50 times, to watch themselves, its workers keep glibc's adaptive mmap
threshold and run no statistical profiler, and a sweep on it gives the pool's numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clustersim.sweep import LocalPoolExecutor, run_sweep
from clustersim.sweep.executors import DaskExecutor

from .conftest import RATES

#: a server's periodic callbacks and their intervals in ms, as LOCAL_INTERVALS sets them
#: (Dask's defaults: tick 20, monitor 500, memory_monitor 100)
WANT = {"tick": 1000, "monitor": 5000, "memory_monitor": 1000}


def _intervals(server: Any) -> dict[str, float]:
    return {k: cb.callback_time for k, cb in server.periodic_callbacks.items() if k in WANT}


def _worker(dask_worker: Any) -> dict[str, object]:  # run on the worker
    import os

    import dask

    return {
        "intervals": _intervals(dask_worker),
        "profile": dask.config.get("distributed.worker.profile.enabled"),
        "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    }


def test_local_cluster_settings_and_numbers(
    tmp_path: Path, linear: Path, write_sweep: Callable[..., Path]
) -> None:
    pytest.importorskip("distributed")
    spec = write_sweep(
        method="monte_carlo",
        samples=600,
        seed=3,
        chunk_size=200,
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["a"]: {"range": [0.0, 0.1]}},
    )
    ex = DaskExecutor("local", workers=1)
    try:
        cluster = ex._own[1]
        scheduler = _intervals(cluster.scheduler)
        nannies = [_intervals(n) for n in cluster.workers.values()]
        [worker] = ex.client.run(_worker).values()
        res = run_sweep(spec, out=tmp_path / "dask", executor=ex)
    finally:
        ex.close()
    assert scheduler == {"tick": 1000, "monitor": 5000}  # the scheduler reads no memory
    assert nannies == [WANT]
    assert worker == {"intervals": WANT, "profile": False, "trim": None}
    pool_ex = LocalPoolExecutor(2)
    try:
        pool = run_sweep(spec, out=tmp_path / "pool", executor=pool_ex)
    finally:
        pool_ex.close()
    assert res.summary.rows == pool.summary.rows == 600
    assert res.summary.targets == pool.summary.targets  # P(met), means and percentiles
