"""The CI benchmark gate: the code under test against a pinned reference commit, in one run.

Why not wall time: on this kind of machine (2 shared vCPUs) unchanged code measures up to 1.4x
off a stored baseline and 1.8x between two runs, so a wall-time gate either misses a 1.3x
regression or raises false alarms. This gate counts **instructions** instead, under valgrind's
callgrind: the count of the same code on the same inputs does not depend on what else the machine
is doing. Both sides are counted in the same run, with the same Python, NumPy and valgrind, so a
new NumPy release or another machine moves both alike:

- the *reference* is ``benchmarks/gate.json``'s ``reference`` commit, exported with ``git archive``
  into a temporary folder (pure Python, nothing to build);
- the *head* is the working tree (``--head`` for another tree, used by ``prove_gate.py``).

Each side runs once, as one process under callgrind with ``PYTHONPATH`` set to its ``src``: it
imports clustersim, prepares every workload with that side's own benchmark definitions
(``clustersim.bench.runner``), runs each twice to warm caches and lazy imports, then runs each
once more inside ``operator.call``. Callgrind collects only inside that C function
(``--toggle-collect``) and writes one profile per workload (``--dump-after``), so imports,
set-up and warm-up are not counted. A workload fails when head / reference exceeds its
``max_ratio``; thresholds and the measured noise are in benchmarks/README.md.

The numba kernel cannot be counted this way (valgrind does not run AVX-512 code); it is timed as
interleaved A/B pairs of the two sides in the same run (``--wall``; see README).

Usage::

    python benchmarks/gate.py                 # exit 0 pass, 1 slower than allowed, 2 cannot run
    python benchmarks/gate.py --json out.json
    python benchmarks/gate.py --reference HEAD~3 --head /path/to/other/tree
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).resolve().parent / "gate.json"

#: the C function callgrind collects inside (``operator.call``, new in 3.11 and used by no
#: library clustersim imports); the driver runs each workload through it
TOGGLE = "_operator_call"

DRIVER = r'''
import gc, json, operator, sys
try:  # the benchmark definitions of the side under measurement
    from clustersim.bench.runner import prepare
except ImportError:
    from clustersim.bench.runner import _prepare as prepare
from clustersim.bench.runner import Workload

specs = json.loads(sys.argv[1])
fns = [prepare(Workload(s["kind"], s["samples"], s["clusters"], s["years"])) for s in specs]
for fn in fns:  # warm-up: lazy imports, caches, first-touch allocations
    fn()
    fn()
# No cyclic garbage collection inside a counted run (timeit's rule too): a full collection
# walks every object of the process, so where one falls depends on what was imported and
# allocated before, not on the workload. With it on, unchanged core_targets code measured
# 51.6 M instructions on the reference side and 16.3 M on head in one run (0.32x).
gc.collect()
gc.disable()
for fn in fns:  # counted: callgrind collects inside operator.call and dumps after each
    operator.call(fn)
'''


WALL_DRIVER = r'''
import json, sys, time
try:
    from clustersim.bench.runner import prepare
except ImportError:
    from clustersim.bench.runner import _prepare as prepare
from clustersim.bench.runner import Workload

spec = json.loads(sys.argv[1])
fn = prepare(Workload(spec["kind"], spec["samples"], spec["clusters"], spec["years"], spec["engine"]))
fn()  # compile (or load the cached kernel) and warm up
fn()
print("ready", flush=True)
for line in sys.stdin:  # one timing per request: the best of `reps` calls
    best = float("inf")
    for _ in range(int(line)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(json.dumps(best), flush=True)
'''


class GateError(Exception):
    """The gate cannot run (no valgrind, no reference commit...): exit 2."""


@dataclass(frozen=True)
class Spec:
    """One gated workload: a benchmark kind at a size small enough for callgrind."""

    kind: str
    samples: int
    clusters: int
    years: int
    max_ratio: float

    @property
    def name(self) -> str:
        return f"{self.kind}/S{self.samples}/C{self.clusters}/T{self.years}"

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "samples": self.samples, "clusters": self.clusters, "years": self.years}


def load_config(path: Path = CONFIG) -> tuple[str, list[Spec], dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    specs = [Spec(**w) for w in doc["workloads"]]
    return str(doc["reference"]), specs, doc.get("wall", {})


def export_reference(commit: str, dest: Path, repo: Path = ROOT) -> Path:
    """``git archive COMMIT src`` unpacked into ``dest``; returns the tree's root."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit, "src"],
            capture_output=True,
            check=True,
        )
    except FileNotFoundError as exc:
        raise GateError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip()
        raise GateError(
            f"reference commit {commit!r} is not in this clone ({msg}); a shallow clone needs "
            "`git fetch --unshallow`"
        ) from exc
    tar_path = dest.with_suffix(".tar")
    tar_path.write_bytes(proc.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    tar_path.unlink()
    return dest


def _env(tree: Path, cache: Path | None) -> dict[str, str]:
    """The environment of a measured side; ``cache`` None keeps the user's kernel cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CLUSTERSIM"))}
    env.update(
        PYTHONPATH=str(tree / "src"),
        PYTHONHASHSEED="0",  # the same dict and set orders in every run
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    if cache is not None:
        env["CLUSTERSIM_CACHE"] = str(cache)
    return env


def _totals(profile: Path) -> int:
    """The collected instruction count of one callgrind profile file."""
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise GateError(f"{profile}: no totals line")


def start_count(tree: Path, specs: Sequence[Spec], work: Path, label: str) -> subprocess.Popen[bytes]:
    """Start one side's callgrind process (profiles go to ``work/label``)."""
    if shutil.which("valgrind") is None:
        raise GateError("valgrind is not installed (apt-get install valgrind)")
    out = work / label
    out.mkdir(parents=True, exist_ok=True)
    driver = work / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--toggle-collect={TOGGLE}",
        f"--dump-after={TOGGLE}",
        f"--callgrind-out-file={out}/cg.out",
        sys.executable,
        str(driver),
        json.dumps([s.as_json() for s in specs]),
    ]
    log = (out / "valgrind.log").open("wb")
    return subprocess.Popen(cmd, env=_env(tree, work / "cache"), stdout=log, stderr=subprocess.STDOUT)


def finish_count(proc: subprocess.Popen[bytes], specs: Sequence[Spec], work: Path, label: str) -> list[int]:
    """Wait for a side's process and read one instruction count per workload, in order."""
    code = proc.wait()
    out = work / label
    if code != 0:
        tail = (out / "valgrind.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise GateError(f"the {label} side failed under valgrind (exit {code}):\n{tail}")
    # callgrind numbers the dumps triggered by --dump-after: cg.out.1, cg.out.2, ...
    parts = sorted(out.glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    if len(parts) != len(specs):
        raise GateError(f"the {label} side wrote {len(parts)} profiles for {len(specs)} workloads")
    return [_totals(p) for p in parts]


def count(tree_ref: Path, tree_head: Path, specs: Sequence[Spec], work: Path) -> tuple[list[int], list[int]]:
    """Instruction counts of both sides, the two processes side by side on two cores."""
    ref = start_count(tree_ref, specs, work, "reference")
    head = start_count(tree_head, specs, work, "head")
    return finish_count(ref, specs, work, "reference"), finish_count(head, specs, work, "head")


def decide(specs: Sequence[Spec], ref: Sequence[int], head: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for spec, r, h in zip(specs, ref, head, strict=True):
        ratio = h / r
        rows.append(
            {
                "workload": spec.name,
                "reference_instructions": r,
                "head_instructions": h,
                "ratio": ratio,
                "max_ratio": spec.max_ratio,
                "ok": ratio <= spec.max_ratio,
            }
        )
    return rows


def wall_ab(tree_ref: Path, tree_head: Path, wall: dict[str, Any], work: Path) -> dict[str, Any]:
    """Interleaved A/B wall times of one workload (the numba kernel, which callgrind cannot run).

    Two worker processes, one per side, prepare the workload once; the parent then asks them in
    turn for the best of ``reps`` calls, ``pairs`` times, alternating which side goes first
    (ABBA), so a change of load hits both sides alike. The decision uses the paired ratios
    head / reference: the gate fails when their median exceeds ``max_ratio`` *and* a sign test
    says head is slower in more pairs than chance allows (one-sided p < 0.01).
    """
    spec = {k: wall[k] for k in ("kind", "samples", "clusters", "years", "engine")}
    procs = {}
    for label, tree in (("reference", tree_ref), ("head", tree_head)):
        procs[label] = subprocess.Popen(
            [sys.executable, "-c", WALL_DRIVER, json.dumps(spec)],
            # the user's kernel cache: the tests compiled this kernel already, and a side whose
            # generated code is unchanged shares it (the cache is keyed by the source)
            env=_env(tree, None),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        for label, proc in procs.items():
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                err = proc.stderr.read() if proc.stderr else ""
                raise GateError(f"the {label} side could not prepare {spec}: {err[-2000:]}")

        def timed(label: str) -> float:
            proc = procs[label]
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(f"{wall['reps']}\n")
            proc.stdin.flush()
            return float(proc.stdout.readline())

        ref_t: list[float] = []
        head_t: list[float] = []
        for i in range(wall["pairs"]):
            if i % 2 == 0:
                ref_t.append(timed("reference"))
                head_t.append(timed("head"))
            else:
                head_t.append(timed("head"))
                ref_t.append(timed("reference"))
    finally:
        for proc in procs.values():
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=60)
    ratios = sorted(h / r for h, r in zip(head_t, ref_t, strict=True))
    n = len(ratios)
    median = ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2
    slower = sum(r > 1.0 for r in ratios)
    # one-sided sign test: P(at least `slower` of n pairs slower | no difference)
    p_value = sum(math.comb(n, k) for k in range(slower, n + 1)) / 2**n
    ok = not (median > wall["max_ratio"] and p_value < 0.01)
    return {
        "workload": f"{spec['kind']}/S{spec['samples']}/C{spec['clusters']}/T{spec['years']}/{spec['engine']}",
        "pairs": n,
        "reference_best_s": min(ref_t),
        "head_best_s": min(head_t),
        "ratio_median": median,
        "ratio_min": ratios[0],
        "ratio_max": ratios[-1],
        "slower_pairs": slower,
        "sign_test_p": p_value,
        "max_ratio": wall["max_ratio"],
        "ok": ok,
    }


def _numba_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def run_gate(
    *, reference: str | None = None, head: Path = ROOT, config: Path = CONFIG, keep: Path | None = None
) -> dict[str, Any]:
    """Count both sides and decide; returns the JSON document the CLI prints."""
    pinned, specs, wall = load_config(config)
    commit = reference or pinned
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clustersim-gate-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ref_tree = export_reference(commit, work / "reference-tree")
        ref, new = count(ref_tree, head, specs, work)
        ab = wall_ab(ref_tree, head, wall, work) if wall and _numba_available() else None
    rows = decide(specs, ref, new)
    return {
        "reference": commit,
        "head": str(head),
        "method": "callgrind instruction counts, collected inside the workload only",
        "seconds": round(time.perf_counter() - t0, 1),
        "workloads": rows,
        "wall": ab,
        "ok": all(r["ok"] for r in rows) and (ab is None or ab["ok"]),
    }


def render(doc: dict[str, Any]) -> str:
    lines = [
        f"benchmark gate: head vs reference {doc['reference'][:12]} "
        f"(instructions under callgrind, {doc['seconds']} s)",
        f"{'workload':40} {'reference':>14} {'head':>14} {'ratio':>7} {'max':>6}  verdict",
    ]
    for r in doc["workloads"]:
        verdict = "ok" if r["ok"] else "SLOWER"
        lines.append(
            f"{r['workload']:40} {r['reference_instructions']:>14,} {r['head_instructions']:>14,} "
            f"{r['ratio']:>7.4f} {r['max_ratio']:>6.2f}  {verdict}"
        )
    ab = doc.get("wall")
    if ab is not None:
        lines.append(
            f"{ab['workload']:40} wall A/B, {ab['pairs']} interleaved pairs: head/reference median "
            f"{ab['ratio_median']:.3f} (pairs {ab['ratio_min']:.2f}-{ab['ratio_max']:.2f}, "
            f"{ab['slower_pairs']} slower, sign test p={ab['sign_test_p']:.3g}), max "
            f"{ab['max_ratio']:.2f}  {'ok' if ab['ok'] else 'SLOWER'}"
        )
    bad = [r for r in doc["workloads"] if not r["ok"]] + ([ab] if ab and not ab["ok"] else [])
    lines.append(
        "gate passed" if not bad else f"gate FAILED: {len(bad)} workload(s) above their max ratio"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", help="reference commit (default: gate.json's pinned commit)")
    ap.add_argument("--head", type=Path, default=ROOT, help="tree under test (default: this one)")
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    ap.add_argument("--keep", type=Path, help="keep profiles and logs in this folder")
    args = ap.parse_args(argv)
    try:
        doc = run_gate(reference=args.reference, head=args.head, config=args.config, keep=args.keep)
    except GateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render(doc))
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
