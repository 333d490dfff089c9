"""How much two processes at once slow each other's sweep chunks on this machine (not a test).

    PYTHONPATH=src python benchmarks/sweeps/contention.py [--chunks 100] [--rounds 3]
        [--engine numba] [--chunk-size 4096]

Two pool workers can give at most two times one process, and less when each slows the other
down: the chunks share the cores' last-level cache and the memory bus (and, on a VM, whatever
the host shares). This script measures that bound apart from everything else a sweep does
(the parent's merge, task hand-off, the workers' start): a forked child evaluates and
summarises chunks of ``sweeps/zhenjiang-mc.yaml`` as a pool worker does
(:class:`clustersim.sweep.executors.ChunkJob`, summary only), first alone, then two children
at once on different chunks; each reports its median wall milliseconds a chunk. The
children are forked after the parent has warmed the engine, as pool workers are.

*bound* = 2 x alone / at once: the speed-up two workers could reach if nothing else cost
anything. For scale, the same is measured for reference loops: a pure-Python loop
(no memory traffic, few vector instructions), NumPy's ``exp`` over half a megabyte again and
again (the vector units, in each core's own cache: two at once slow each other when the host
runs the two virtual CPUs on one physical core's two hyperthreads) and NumPy's ``add``
streaming over working sets of 6, 30 and 120 MB
(about half a second of passes each; this machine's last-level cache is printed). Rounds alternate alone and
at once; medians over rounds. The load average is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from clustersim.engines import get_engine
from clustersim.sweep.executors import ChunkJob
from clustersim.sweep.partial import make_layout
from clustersim.sweep.plan import plan_sweep
from clustersim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]


def _in_children(work: Callable[[int], float], count: int) -> list[float]:
    """``work(i)`` in ``count`` forked children started together; what each returned."""
    r, w = os.pipe()
    go_r, go_w = os.pipe()  # every child waits for its byte, sent once all are forked
    pids = []
    for i in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child)
            try:
                os.read(go_r, 1)
                os.write(w, f"{work(i)!r}\n".encode())
            finally:
                os._exit(0)
        pids.append(pid)
    os.write(go_w, b"x" * count)
    for pid in pids:
        os.waitpid(pid, 0)
    for fd in (w, go_r, go_w):
        os.close(fd)
    with os.fdopen(r) as f:
        got = [float(x) for x in f.read().split()]
    if len(got) != count:
        raise RuntimeError(f"{count - len(got)} of {count} children failed")
    return got


def _python_loop(_: int) -> float:
    t = time.perf_counter()
    s = 0
    for i in range(20_000_000):
        s += i
    return (time.perf_counter() - t) * 1e3


def _per_call(fn: Callable[[], object], reps: int) -> Callable[[int], float]:
    """Work that calls ``fn`` once to warm, then ``reps`` times: ms a call."""

    def run(_: int) -> float:
        fn()
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - t) * 1e3 / reps

    return run


def _streaming(mb: int) -> Callable[[int], float]:
    n = mb * 2**20 // 24  # three float64 arrays of n
    a, b = np.random.default_rng(1).random(n), np.random.default_rng(2).random(n)
    c = np.empty(n)
    return _per_call(lambda: np.add(a, b, out=c), max(3, 30_000 // mb))


def _vector_math() -> Callable[[int], float]:
    x = np.random.default_rng(3).random(2**16)  # 0.5 MB: in the core's own cache
    y = np.empty_like(x)
    return _per_call(lambda: np.exp(x, out=y), 4000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engine", default=None, help="default: numba when installed, else numpy")
    ap.add_argument("--chunk-size", type=int, default=4096)
    a = ap.parse_args()
    engine = a.engine or ("numba" if get_engine("numba").available() else "numpy")
    plan = plan_sweep(
        load_sweep(
            ROOT / "sweeps" / "zhenjiang-mc.yaml",
            samples=a.chunk_size * 2 * (a.chunks + 5),
            chunk_size=a.chunk_size,
        )
    )
    layout = make_layout(plan, get_engine(engine).inverse_normal())
    job = ChunkJob(plan, engine=engine, layout=layout, ships=False)

    def chunks(i: int) -> float:  # child i takes its own chunks
        first = 5 + i * a.chunks
        times = []
        for k in range(first, first + a.chunks):
            t = time.perf_counter()
            job(k)
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1e3

    for k in range(5):  # warm: the engine's kernel, first touches
        job(k)
    work: list[tuple[str, Callable[[int], float]]] = [
        (f"sweep chunk ({a.chunk_size:,} samples, {engine})", chunks),
        ("pure-Python loop", _python_loop),
        ("NumPy exp over 0.5 MB (vector units, in cache)", _vector_math()),
        *((f"NumPy add over {mb} MB", _streaming(mb)) for mb in (6, 30, 120)),
    ]
    load0 = os.getloadavg()[0]
    cache = ""
    with contextlib.suppress(OSError):
        cache = Path("/sys/devices/system/cpu/cpu0/cache/index3/size").read_text().strip()
    print(
        f"load average {load0:.2f}; medians of {a.rounds} rounds; {os.cpu_count()} CPUs, "
        f"last-level cache {cache or 'unknown'}"
    )
    print("| work | alone (ms) | two at once (ms, slower child) | at once / alone | bound |")
    print("|---|---:|---:|---:|---:|")
    for name, fn in work:
        alone, both = [], []
        for _ in range(a.rounds):
            alone.append(_in_children(fn, 1)[0])
            both.append(max(_in_children(fn, 2)))
        m1, m2 = statistics.median(alone), statistics.median(both)
        print(f"| {name} | {m1:.2f} | {m2:.2f} | {m2 / m1:.2f} | {2 * m1 / m2:.2f} |", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
