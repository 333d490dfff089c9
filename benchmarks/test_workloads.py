"""pytest-benchmark suite over the issue's grid (not part of the test run).

    python -m pytest benchmarks -p no:cacheprovider --benchmark-only            # everything
    python -m pytest benchmarks -k "S100000 and C20 and T12" --benchmark-only  # a slice

Workloads come from `clustersim.bench.runner` (the same definitions `clustersim bench` uses).
Each benchmark records cluster-years/s and the normalised figure in `extra_info`, so
`--benchmark-json` output can be compared across machines like `clustersim bench --compare`.
"""

from __future__ import annotations

import pytest

from clustersim.bench import runner

WORKLOADS = runner.full_suite()


@pytest.fixture(scope="session")
def reference() -> float:
    return runner.reference_rate()


@pytest.mark.parametrize("w", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_workload(benchmark, w: runner.Workload, reference: float) -> None:  # type: ignore[no-untyped-def]
    fn = runner._prepare(w)
    rounds = 1 if w.cluster_years >= 1e8 else 3
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)
    rate = w.cluster_years / benchmark.stats.stats.min
    benchmark.extra_info.update(
        cluster_years_per_s=rate, normalised=rate / reference, engine="numpy", samples=w.samples
    )
