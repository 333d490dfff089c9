"""Aggregating an input-output table to clusters (docs/scenario-format.md §7a): totals are
kept, coefficients are the hand-computed ratios, splits divide rows and columns by share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from clustersim.analysis.io_table import aggregate, read_concordance, read_flow_table
from clustersim.errors import ClusterSimError

ROOT = Path(__file__).resolve().parents[2]

# a made-up 4-sector table (not data): metals, electronics, machinery, services
SECTORS = ["M", "E", "K", "S"]
Z = np.array(
    [
        [10.0, 20.0, 30.0, 0.0],
        [5.0, 40.0, 10.0, 5.0],
        [2.0, 3.0, 25.0, 10.0],
        [8.0, 12.0, 15.0, 50.0],
    ]
)
X = np.array([100.0, 200.0, 150.0, 400.0])


def test_totals_are_kept_and_coefficients_are_the_ratios() -> None:
    # metals -> new_materials, electronics -> electronics, machinery and services -> rest
    conc = {"M": {"new_materials": 1.0}, "E": {"electronics": 1.0}}
    agg = aggregate(SECTORS, Z, X, conc, ["new_materials", "electronics"])
    assert agg.groups == ("new_materials", "electronics", "rest")
    assert agg.z.sum() == pytest.approx(Z.sum(), rel=1e-15)
    assert agg.x.sum() == pytest.approx(X.sum(), rel=1e-15)
    # by hand: rest = K + S; Z_g[rest, rest] = 25 + 10 + 15 + 50 = 100, X_g[rest] = 550
    np.testing.assert_allclose(agg.x, [100, 200, 550])
    np.testing.assert_allclose(agg.z, [[10, 20, 30], [5, 40, 15], [10, 15, 100]], rtol=1e-15)
    a = agg.coefficients
    assert a[0, 1] == pytest.approx(20 / 200) and a[2, 2] == pytest.approx(100 / 550)
    # each buyer's intermediate inputs are kept: rest buys K's 80 and S's 65
    np.testing.assert_allclose(agg.z.sum(axis=0), [Z[:, 0].sum(), Z[:, 1].sum(), 80 + 65])


def test_a_split_sector_divides_its_row_and_column() -> None:
    # 40% of machinery is the cluster "equipment", the rest with services
    conc = {"K": {"equipment": 0.4, "rest": 0.6}}
    agg = aggregate(SECTORS, Z, X, conc, ["equipment"])
    assert agg.z.sum() == pytest.approx(Z.sum(), rel=1e-15)
    assert agg.x.sum() == pytest.approx(X.sum(), rel=1e-15)
    # by hand: Z_g[eq, eq] = 0.4 * 0.4 * 25 = 4; X_g[eq] = 0.4 * 150 = 60; a = 4 / 60
    assert agg.z[0, 0] == pytest.approx(4.0) and agg.x[0] == pytest.approx(60.0)
    assert agg.coefficients[0, 0] == pytest.approx(4.0 / 60.0)
    # a split keeps the sector's coefficient structure: a[eq, eq] = 0.4 * Z_KK / X_K
    assert agg.coefficients[0, 0] == pytest.approx(0.4 * 25 / 150)


def test_bad_concordances_are_refused() -> None:
    with pytest.raises(ClusterSimError, match=r"sum to 0\.9"):
        aggregate(SECTORS, Z, X, {"K": {"equipment": 0.5, "rest": 0.4}}, ["equipment"])
    with pytest.raises(ClusterSimError, match="not a cluster"):
        aggregate(SECTORS, Z, X, {"K": {"steel": 1.0}}, ["equipment"])
    with pytest.raises(ClusterSimError, match="not in the table"):
        aggregate(SECTORS, Z, X, {"Q": {"rest": 1.0}}, ["equipment"])


def test_the_script_prints_a_block_that_keeps_totals(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    rows = ["sector," + ",".join(SECTORS) + ",total_output"]
    rows += [
        f"{s}," + ",".join(f"{v:g}" for v in Z[i]) + f",{X[i]:g}" for i, s in enumerate(SECTORS)
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    conc = tmp_path / "c.csv"
    conc.write_text("sector,group,share\nE,electronics,1\nK,equipment,0.4\nK,rest,0.6\n", "utf-8")
    sectors, z, x = read_flow_table(table)
    assert sectors == SECTORS and np.array_equal(z, Z) and np.array_equal(x, X)
    assert read_concordance(conc)["K"] == {"equipment": 0.4, "rest": 0.6}
    scen = tmp_path / "s.yaml"
    scen.write_text(
        yaml.safe_dump(
            {
                "id": "s",
                "name": "s",
                "base_year": 2023,
                "end_year": 2025,
                "region": {"gdp": {"base": 1.0}},
                "clusters": {
                    "electronics": {"name": "e", "output": {"base": 1.0}},
                    "equipment": {"name": "q", "output": {"base": 1.0}},
                },
            }
        ),
        encoding="utf-8",
    )
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools/aggregate_io.py"), str(table), str(conc), str(scen)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert "intermediate use: table 245, aggregated 245" in res.stdout
    # the comment lines in Chinese under --lang zh (issue 20), the block unchanged
    zh = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools/aggregate_io.py"),
            str(table),
            str(conc),
            str(scen),
            "--lang",
            "zh",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    comments = [ln for ln in zh.stdout.splitlines() if ln.startswith("#")]
    assert comments[1:3] == [
        "# 中间使用：原表 245，汇总后 245",
        f"# 总产出：原表 {X.sum():.6g}，汇总后 {X.sum():.6g}",
    ]
    assert comments[3].startswith("# A 的最大列和：")
    assert comments[0].startswith(f"# 由 {table} 按 {conc} 汇总：")
    assert yaml.safe_load(zh.stdout) == yaml.safe_load(res.stdout)
    block = yaml.safe_load(res.stdout)["coefficients"]
    assert block["electronics"]["electronics"] == pytest.approx(round(40 / 200, 4))
    assert block["equipment"]["equipment"] == pytest.approx(round(4 / 60, 4))
