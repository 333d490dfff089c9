"""Aggregate a published input-output table to a scenario's clusters (docs/scenario-format.md
§7a), for ``io.coefficients``.

A table gives the intermediate-use block ``Z`` (``Z[i, j]``: sector ``i``'s product used by
sector ``j``, at producers' prices) and each sector's total output ``X``. A concordance maps
each table sector to one group (a cluster id or ``rest``) or splits it between groups by
shares summing to 1 (a plan cluster that is part of a sector). With ``S`` the sectors x groups
share matrix:

    Z_g = S' Z S        X_g = S' X        a[I, J] = Z_g[I, J] / X_g[J]

Because every row of ``S`` sums to 1, the aggregation keeps the totals: ``sum(Z_g) = sum(Z)``,
``sum(X_g) = sum(X)``, and each group's intermediate inputs ``sum_I Z_g[I, J]`` are the
shares of its sectors' inputs. A split sector's row and column are divided in proportion,
which assumes the cluster's inputs and sales have the sector's structure; say so where it is
used. Services, agriculture and everything not in a cluster go to ``rest``.

``tools/aggregate_io.py`` runs this on CSV files and prints the ``io:`` block.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clustersim.errors import Problem, ScenarioError
from clustersim.i18n import word

__all__ = [
    "Aggregated",
    "NationalTable",
    "aggregate",
    "concordance_names",
    "read_concordance",
    "read_flow_table",
    "read_national_table",
]

Array = NDArray[np.float64]
REST = "rest"


@dataclass(frozen=True)
class Aggregated:
    """The table by group: ``groups`` (clusters first, ``rest`` last), ``z`` and ``x``."""

    groups: tuple[str, ...]
    z: Array
    x: Array

    @property
    def coefficients(self) -> Array:
        """``a[I, J] = Z_g[I, J] / X_g[J]`` (0 for a group without output)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            a = self.z / self.x[None, :]
        return np.where(np.isfinite(a), a, 0.0)

    def io_block(self, digits: int = 4) -> dict[str, dict[str, float]]:
        """``io.coefficients`` as a scenario writes it: supplier -> {buyer: a}, entries that
        round to 0 left out."""
        a = self.coefficients
        out: dict[str, dict[str, float]] = {}
        for i, sup in enumerate(self.groups):
            row = {
                buy: round(float(a[i, j]), digits)
                for j, buy in enumerate(self.groups)
                if round(float(a[i, j]), digits) != 0.0
            }
            if row:
                out[sup] = row
        return out


def aggregate(
    sectors: Sequence[str],
    z: Array,
    x: Array,
    concordance: Mapping[str, Mapping[str, float]],
    clusters: Sequence[str],
) -> Aggregated:
    """Aggregate ``z`` ``(n, n)`` and ``x`` ``(n,)`` of ``sectors`` to ``clusters`` and
    ``rest`` by ``concordance`` (sector -> {group: share}); a sector it does not name goes
    to ``rest``."""

    def bad(key: str, **fmt: object) -> ScenarioError:
        return ScenarioError(Problem(word(key, "en", **fmt), word(key, "zh", **fmt)))

    n = len(sectors)
    z = np.asarray(z, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if z.shape != (n, n) or x.shape != (n,):
        raise bad("iot_e_shape", n=n, z=z.shape, x=x.shape)
    groups = (*clusters, REST)
    col = {g: k for k, g in enumerate(groups)}
    unknown = [s for s in concordance if s not in sectors]
    if unknown:
        raise bad("iot_e_unknown", sectors=", ".join(unknown))
    share = np.zeros((n, len(groups)))
    for i, sec in enumerate(sectors):
        parts = concordance.get(sec, {REST: 1.0})
        for g, w in parts.items():
            if g not in col:
                raise bad("iot_e_group", sector=sec, group=g)
            if w < 0:
                raise bad("iot_e_negative", sector=sec, group=g, share=w)
            share[i, col[g]] += w
        if abs(share[i].sum() - 1.0) > 1e-9:
            raise bad("iot_e_sum", sector=sec, total=float(share[i].sum()))
    return Aggregated(groups, share.T @ z @ share, share.T @ x)


def read_flow_table(path: Path) -> tuple[list[str], Array, Array]:
    """A flow table CSV: a header ``sector, <sector codes...>, total_output``, one row per
    supplying sector in the same order (its intermediate use by each buying sector, then
    its total output). Returns the sector codes, ``Z`` and ``X``."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    head, body = rows[0], rows[1:]
    sectors = head[1:-1]
    if head[-1].strip() != "total_output" or [r[0] for r in body] != sectors:
        raise ScenarioError(
            Problem(word("iot_e_table", "en"), word("iot_e_table", "zh"), file=str(path))
        )
    try:
        z = np.array([[float(v) for v in r[1:-1]] for r in body])
        x = np.array([float(r[-1]) for r in body])
    except ValueError as exc:
        raise ScenarioError(
            Problem(
                word("tiers_e_value", "en", detail=str(exc)),
                word("tiers_e_value", "zh", detail=str(exc)),
                file=str(path),
            )
        ) from None
    return sectors, z, x


@dataclass(frozen=True)
class NationalTable:
    """A table in the NBS layout of ``calibration/io/`` (``code, name_zh, name_en, origin,
    <codes...>, <final-use columns...>, GO``): ``codes`` and ``names_zh`` of the sectors, the
    domestic and imported intermediate-use blocks, final use by column, gross output, and the
    ``origin = total`` rows (``TII``, value added, ``TVA``, ``TI``) by buying sector."""

    codes: tuple[str, ...]
    names_zh: tuple[str, ...]
    z_domestic: Array
    z_imports: Array
    final_use: dict[str, Array]
    x: Array
    totals: dict[str, Array]


def read_national_table(path: Path) -> NationalTable:
    """Read a table in the layout ``tools/extract_ionet.py`` writes (calibration/io/README.md):
    one ``domestic`` and one ``imports`` row per sector in the order of the sector columns,
    then the ``total`` rows."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    head, body = rows[0], rows[1:]
    bad = ScenarioError(
        Problem(word("iot_e_national", "en"), word("iot_e_national", "zh"), file=str(path))
    )
    if head[:4] != ["code", "name_zh", "name_en", "origin"] or head[-1] != "GO":
        raise bad
    codes = tuple(c for c in head[4:] if c.isdigit())
    n = len(codes)
    tail = head[4 + n :]
    dom = [r for r in body if r[3] == "domestic"]
    imp = [r for r in body if r[3] == "imports"]
    if [r[0] for r in dom] != list(codes) or [r[0] for r in imp] != list(codes):
        raise bad

    def num(v: str) -> float:
        return float(v) if v.strip() else float("nan")

    try:
        zd = np.array([[num(v) for v in r[4 : 4 + n]] for r in dom])
        zi = np.array([[num(v) for v in r[4 : 4 + n]] for r in imp])
        fin = {c: np.array([num(r[4 + n + k]) for r in dom]) for k, c in enumerate(tail)}
        tot = {r[0]: np.array([num(v) for v in r[4 : 4 + n]]) for r in body if r[3] == "total"}
    except (ValueError, IndexError) as exc:
        raise ScenarioError(
            Problem(
                word("tiers_e_value", "en", detail=str(exc)),
                word("tiers_e_value", "zh", detail=str(exc)),
                file=str(path),
            )
        ) from None
    x = fin.pop("GO")
    return NationalTable(codes, tuple(r[1] for r in dom), zd, zi, fin, x, tot)


def read_concordance(path: Path) -> dict[str, dict[str, float]]:
    """A concordance CSV: ``sector, group, share`` (share 1 when empty); a sector may have
    several rows (a split). Other columns (``name_zh``, ``reason``) are for the reader."""
    out: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(row for row in fh if not row.lstrip().startswith("#")):
            share = float(r.get("share") or 1.0)
            out.setdefault(r["sector"].strip(), {})[r["group"].strip()] = share
    return out


def concordance_names(path: Path) -> dict[str, str]:
    """The ``name_zh`` a concordance CSV gives each sector code (empty when it has none), to
    check against the table's names."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            r["sector"].strip(): (r.get("name_zh") or "").strip()
            for r in csv.DictReader(row for row in fh if not row.lstrip().startswith("#"))
        }
