"""Read back a sweep's per-sample table (``DIR/samples/*.parquet``) as arrays.

The layout is the sweep sinks' (``docs/sweeps.md``): ``sample``, ``block`` (Sobol' only),
one column per sampled input (its path), then ``value.<target>``, ``margin.<target>``,
``met.<target>`` and ``all_met``. Which columns are inputs is read from ``manifest.json``
(``inputs[].path``), so a target id that looks like a path is never taken for an input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError

__all__ = ["SweepSamples", "read_sweep_samples"]


@dataclass(frozen=True)
class SweepSamples:
    """The stored samples of a sweep.

    Attributes
    ----------
    directory : Path
    scenario_id : str
    method : str
        ``grid``, ``lhs``, ``sobol`` or ``monte_carlo``.
    inputs : tuple of str (D,)
        The sampled numbers' paths, in table order.
    x : float array (N, D)
        Each sample's inputs. For a Sobol' sweep only the A and B blocks (independent
        draws); the AB rows re-use them and would weight some points twice.
    targets : tuple of str
        The target ids with a stored ``met.<id>`` column.
    met : dict of str to bool array (N,)
        Per target, and ``all_met`` (every target met).
    factors : tuple of str
        The inputs the sweep file names (the rest are the scenario's own uncertain numbers).
    """

    directory: Path
    scenario_id: str
    method: str
    inputs: tuple[str, ...]
    x: NDArray[np.float64]
    targets: tuple[str, ...]
    met: dict[str, NDArray[np.bool_]]
    factors: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.x.shape != (self.x.shape[0], len(self.inputs)):
            raise ValueError(f"x has shape {self.x.shape}, expected (N, {len(self.inputs)})")
        for k, v in self.met.items():
            if v.shape != (self.x.shape[0],):
                raise ValueError(f"met[{k!r}] has shape {v.shape}, expected ({self.x.shape[0]},)")


def read_sweep_samples(directory: str | Path, *, factors_only: bool = False) -> SweepSamples:
    """Read the inputs and met flags of the sweep written to ``directory``.

    With ``factors_only``, only the inputs the sweep file names (its factors) are read.

    Raises
    ------
    ClusterSimError
        When ``directory`` is not a sweep's output (no ``manifest.json`` or ``samples/``),
        its manifest is unreadable, or the samples table lacks the inputs or the met flags
        (a sweep run with ``store:`` leaving them out).
    """
    d = Path(directory)
    manifest_path = d / "manifest.json"
    samples_dir = d / "samples"
    if not d.is_dir():
        raise ClusterSimError(f"{d}: not a directory")
    if not manifest_path.is_file() or not samples_dir.is_dir():
        raise ClusterSimError(
            f"{d}: not a sweep's output directory (no manifest.json or samples/); "
            f"write one with 'clustersim sweep SWEEP --out {d}'"
        )
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        inputs_doc = manifest.get("inputs") or []
        paths = [str(i["path"]) for i in inputs_doc]
        factors = tuple(str(i["path"]) for i in inputs_doc if i.get("factor"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ClusterSimError(f"{manifest_path}: cannot read: {exc}") from exc
    if manifest.get("status") not in (None, "complete"):
        raise ClusterSimError(
            f"{manifest_path}: status: the sweep is {manifest.get('status')!r}, not complete; "
            "finish it with 'clustersim sweep ... --resume'"
        )
    try:
        dataset = ds.dataset(samples_dir, format="parquet")
        names = set(dataset.schema.names)
        inputs = tuple(p for p in paths if p in names and (p in factors or not factors_only))
        met_cols = [n for n in dataset.schema.names if n.startswith("met.")]
        want = ["sample", *(["block"] if "block" in names else []), *inputs, *met_cols]
        if "all_met" in names:
            want.append("all_met")
        table = dataset.to_table(columns=want)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise ClusterSimError(f"{samples_dir}: cannot read: {exc}") from exc
    if not inputs:
        raise ClusterSimError(
            f"{samples_dir}: no input columns stored (the sweep's store: leaves out 'inputs')"
        )
    if not met_cols:
        raise ClusterSimError(
            f"{samples_dir}: no met.<target> columns stored (the sweep's store: leaves out 'met')"
        )
    sample = np.asarray(table.column("sample").to_numpy())
    keep: NDArray[np.intp] | slice
    if sample.size and np.all(sample[1:] > sample[:-1]):  # parts read in order: no gather
        keep = slice(None)
        if "block" in names:  # Sobol': A and B blocks only
            keep = np.flatnonzero(np.asarray(table.column("block").to_numpy()) <= 1)
    else:
        order = np.argsort(sample, kind="stable")
        keep = order
        if "block" in names:
            block = np.asarray(table.column("block").to_numpy())[order]
            keep = order[block <= 1]
    n_keep = sample[keep].shape[0]
    # column-major: PRIM reads one input at a time
    x = np.empty((n_keep, len(inputs)), dtype=np.float64, order="F")
    for j, p in enumerate(inputs):
        x[:, j] = np.asarray(table.column(p).to_numpy(), dtype=np.float64)[keep]
    met: dict[str, NDArray[np.bool_]] = {}
    for c in met_cols:
        met[c.removeprefix("met.")] = np.asarray(table.column(c).to_numpy(), dtype=bool)[keep]
    if "all_met" in names:
        met["all_met"] = np.asarray(table.column("all_met").to_numpy(), dtype=bool)[keep]
    return SweepSamples(
        d,
        str(manifest.get("scenario", "")),
        str(manifest.get("method", "")),
        inputs,
        x,
        tuple(c.removeprefix("met.") for c in met_cols),
        met,
        factors,
    )
