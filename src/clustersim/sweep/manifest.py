"""The manifest beside a sweep's data: what ran, with what, and whether it may be resumed.

``manifest.json`` records the scenario hash, the design (method, parameters, fixed
numbers, samples), the seed, the chunk layout, the software versions and the timings. A
resume must match it on everything that decides the numbers; anything else is refused
with a message that says what changed and how to proceed.
"""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import Any

from clustersim.sweep.plan import SweepPlan

__all__ = [
    "FORMAT",
    "IDENTITY",
    "carry_timings",
    "finish",
    "new_manifest",
    "resume_problems",
    "versions",
]

FORMAT = "clustersim-sweep/1"
#: manifest keys that decide the numbers: a resume must match every one
IDENTITY = (
    "scenario_hash",
    "design_hash",
    "seed",
    "samples",
    "chunk_size",
    "keep",
    "store",
    "engine",
    "clustersim",
)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that decide the numbers."""
    out = {"python": platform.python_version()}
    for pkg in ("clustersim", "numpy", "scipy", "pyarrow", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - always installed
            out[pkg] = "?"
    return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def new_manifest(
    plan: SweepPlan,
    *,
    keep: tuple[str, ...],
    executor: str,
    engine: str = "numpy",
    store: tuple[str, ...] = ("inputs", "values", "margins", "met"),
) -> dict[str, Any]:
    """The manifest of a sweep about to start."""
    v = versions()
    return {
        "format": FORMAT,
        "status": "running",
        "scenario": plan.scenario.id,
        "sweep_file": plan.spec.get("sweep_file"),
        "scenario_file": plan.spec.get("scenario_file"),
        "scenario_hash": plan.scenario_hash,
        "design_hash": plan.design_hash,
        "sweep": {k: v_ for k, v_ in plan.spec.items() if not k.endswith("_file")},
        "method": plan.method,
        "seed": plan.seed,
        "samples": plan.rows,
        "base_points": plan.base_points,
        "chunk_size": plan.chunk_size,
        "chunks": plan.n_chunks,
        "streams": "chunk k draws number p from SeedSequence(seed, spawn_key=(k, crc32(p)))",
        "keep": list(keep),
        "store": list(store),
        "engine": engine,
        "clustersim": v["clustersim"],
        "versions": v,
        "inputs": [
            {
                "path": d.path,
                "factor": d.factor,
                "dist": d.dist.model_dump(
                    mode="json", exclude={"source", "note"}, exclude_none=True
                ),
                "bounds": [d.lo, d.hi] if abs(d.lo) < 1e300 or abs(d.hi) < 1e300 else None,
            }
            for d in plan.dims
        ],
        "factors": list(plan.factors),
        "targets": list(plan.targets),
        "executor": executor,
        "timings": {
            "started": _now(),
            "finished": None,
            "seconds": 0.0,
            "samples_per_second": None,
            "runs": [],
            "chunk_seconds": {},
        },
    }


_WHAT = {
    "scenario_hash": "the scenario changed (a file of its extends chain was edited)",
    "design_hash": "the sweep design changed (method, parameters, fixed numbers or samples)",
    "seed": "the seed changed",
    "samples": "the number of samples changed",
    "chunk_size": "the chunk size changed",
    "keep": "--keep changed",
    "store": "what is stored per sample changed (store: or --summary-only)",
    "engine": "the engine changed (engines agree to about 1e-11, not to the bit)",
    "clustersim": "the clustersim version changed",
}
_WHY = {"chunk_size": ": each chunk's random streams depend on the layout"}
_FIX = {
    "seed": "--seed",
    "chunk_size": "--chunk-size",
    "samples": "--samples",
    "engine": "--engine",
}


def resume_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why ``new`` cannot resume ``old`` (empty when it can)."""
    if old.get("format") != FORMAT:
        return [f"it was written by another format ({old.get('format')!r}, expected {FORMAT!r})"]
    out = []
    for key in IDENTITY:
        a, b = old.get(key), new.get(key)
        if a != b:
            hint = f"; pass {_FIX[key]} {a}" if key in _FIX and a is not None else ""
            if key.endswith("_hash"):
                shown = f"(manifest {str(a)[7:19]}..., now {str(b)[7:19]}...)"
            else:
                shown = f"(manifest {a!r}, now {b!r})"
            out.append(f"{_WHAT[key]} {shown}{_WHY.get(key, '')}{hint}")
    return out


def carry_timings(manifest: dict[str, Any], old: dict[str, Any]) -> None:
    """Keep the timings of the earlier runs of a resumed sweep."""
    t_old = old.get("timings") or {}
    t = manifest["timings"]
    t["started"] = t_old.get("started", t["started"])
    t["runs"] = list(t_old.get("runs", []))
    t["chunk_seconds"] = dict(t_old.get("chunk_seconds", {}))


def finish(
    manifest: dict[str, Any], *, status: str, seconds: float, chunks: int, rows: int
) -> dict[str, Any]:
    """Record this run (wall time, chunks, samples) and the sweep's status."""
    t = manifest["timings"]
    t["runs"].append(
        {
            "ended": _now(),
            "status": status,
            "seconds": round(seconds, 3),
            "chunks": chunks,
            "samples": rows,
            "samples_per_second": round(rows / seconds, 1) if seconds > 0 else None,
            "executor": manifest.get("executor"),
        }
    )
    t["seconds"] = round(sum(float(r["seconds"]) for r in t["runs"]), 3)
    if status == "complete":
        t["finished"] = _now()
        total = float(t["seconds"])
        t["samples_per_second"] = round(int(manifest["samples"]) / total, 1) if total else None
    manifest["status"] = status
    return manifest
