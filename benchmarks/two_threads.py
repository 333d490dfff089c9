"""What a second thread buys each engine's chunk work (not a test).

    PYTHONPATH=src python benchmarks/two_threads.py [--engines numpy,numba]
        [--samples 25000,65536] [--rounds 15]

``run_targets`` uses a second core in one of two ways (:func:`clustersim.engine.run_targets`):
two threads that each compile and project whole chunks (numba), or a helper thread that
compiles the next chunk while the caller projects this one (NumPy). Which one pays depends on
what runs well side by side. For each engine and chunk size this script times, on chunks of
the synthetic 20 x 12 scenario of ``clustersim.bench.workloads`` (its compiler warmed, freed
memory kept as ``run_targets`` keeps it), medians over ``--rounds`` interleaved rounds:

- a compile (``ScenarioCompiler.compile``, drawing included) and a kernel (the engine's
  ``evaluate`` of a compiled chunk) alone, and per sample;
- two compiles one after the other and side by side on two threads;
- two kernels one after the other and side by side;
- a compile and a kernel one after the other and side by side;
- what in a compile keeps it from running beside a kernel: a kernel side by side with the
  chunk's normal quantiles alone, all of them in one call of the engine's inverse normal CDF
  (which releases the GIL for the whole call: *kernel and draws*), and with the rest of a
  compile, a compile whose inverse normal is a stand-in costing one array subtraction
  (its Python and its many short NumPy calls: *kernel and compile's rest*). The last column
  is how much the compile's rest adds to the kernel's time when side by side, against its own
  time alone (1.0: it does not overlap the kernel at all).

*Side by side / one after the other* near 0.5 means the two share the cores well; near 1.0,
that the second thread buys nothing. The load average is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from clustersim.bench.workloads import synthetic_scenario
from clustersim.compile import ScenarioCompiler
from clustersim.engines import get_engine
from clustersim.malloc import keep_freed_memory
from clustersim.sampling.normal_cdf import cephes_ndtri


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _pairs(
    pool: ThreadPoolExecutor, a: Callable[[], object], b: Callable[[], object]
) -> tuple[float, float]:
    """Seconds of ``a`` then ``b`` on this thread, and of both at once on two threads."""
    one_after = _seconds(lambda: (a(), b()))
    t0 = time.perf_counter()
    fa, fb = pool.submit(a), pool.submit(b)
    fa.result(), fb.result()
    return one_after, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="numpy,numba")
    ap.add_argument("--samples", default="25000,65536")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    keep_freed_memory()
    sc = synthetic_scenario(20, 12)
    pool = ThreadPoolExecutor(2)
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.rounds} rounds")
    print(
        "| engine | chunk | compile / kernel alone (ms) | per sample (ns) "
        "| two compiles: after / side by side (ms) | two kernels | compile and kernel "
        "| kernel and draws | kernel and compile's rest | rest's added time / its own |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.engines.split(","):
        engine = get_engine(name)
        if not engine.available():
            print(f"| {name} | (not installed) | | | | | |")
            continue
        for n in (int(x) for x in args.samples.split(",")):
            # one compiler per thread, as each chunk thread draws into buffers of its own
            compilers = [
                ScenarioCompiler(
                    sc,
                    seed=1,
                    inverse_normal=engine.inverse_normal(),
                    rates_layout=engine.rates_layout(),
                )
                for _ in range(2)
            ]
            comps = [c.compile(samples=n, offset=i * n) for i, c in enumerate(compilers)]
            # the compile's rest: its inverse normal a stand-in of one array pass
            rest = ScenarioCompiler(
                sc,
                seed=1,
                inverse_normal=lambda u: np.subtract(u, 0.5),
                rates_layout=engine.rates_layout(),
            )
            inverse = engine.inverse_normal() or cephes_ndtri
            quantiles = np.random.default_rng(1).random(n * len(rest.compile(samples=n).params))

            def draws(inverse: Callable[[Any], Any] = inverse, q: Any = quantiles) -> None:
                inverse(q)

            def rest_(n: int = n, rest: ScenarioCompiler = rest) -> None:
                rest.compile(samples=n, offset=2 * n)

            def compile_(i: int, n: int = n, compilers: list[ScenarioCompiler] = compilers) -> None:
                compilers[i].compile(samples=n, offset=(2 + i) * n)

            def kernel(i: int, comps: list[object] = comps, engine: object = engine) -> None:
                engine.evaluate(comps[i])  # type: ignore[attr-defined]

            for _ in range(3):  # numba's cache, first touches
                compile_(0), compile_(1), kernel(0), kernel(1), draws(), rest_()
            rows, added = [], []
            for _ in range(args.rounds):
                c, k = _seconds(lambda: compile_(0)), _seconds(lambda: kernel(0))
                cc = _pairs(pool, lambda: compile_(0), lambda: compile_(1))
                kk = _pairs(pool, lambda: kernel(0), lambda: kernel(1))
                ck = _pairs(pool, lambda: compile_(1), lambda: kernel(0))
                kd = _pairs(pool, lambda: kernel(0), draws)
                kr = _pairs(pool, lambda: kernel(0), rest_)
                r = _seconds(rest_)
                rows.append((c, k, *cc, *kk, *ck, *kd, *kr, r))
                added.append((kr[1] - k) / r)  # what the rest adds to the kernel, over its own
            m = [1e3 * statistics.median(col) for col in zip(*rows, strict=True)]
            print(
                f"| {name} | {n:,} | {m[0]:.2f} / {m[1]:.2f} | {1e6 * m[0] / n:.0f} / "
                f"{1e6 * m[1] / n:.0f} | {m[2]:.2f} / {m[3]:.2f} ({m[3] / m[2]:.2f}) "
                f"| {m[4]:.2f} / {m[5]:.2f} ({m[5] / m[4]:.2f}) "
                f"| {m[6]:.2f} / {m[7]:.2f} ({m[7] / m[6]:.2f}) "
                f"| {m[8]:.2f} / {m[9]:.2f} ({m[9] / m[8]:.2f}) "
                f"| {m[10]:.2f} / {m[11]:.2f} ({m[11] / m[10]:.2f}) "
                f"| {m[12]:.2f} ms: {statistics.median(added):.2f} |",
                flush=True,
            )
    pool.shutdown()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
