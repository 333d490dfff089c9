"""The NBS 2020 national input-output table (calibration/io/china-2020-42.csv) and its
aggregation to jiangxi-2025-io's clusters (docs/scenario-format.md §7a): the table balances,
the scenario's coefficients are the hand-computed ratios of the raw CSV, totals are kept and
every column of A sums below 1."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from clustersim.analysis.io_table import aggregate, read_concordance, read_national_table
from clustersim.errors import ClusterSimError

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "calibration/io/china-2020-42.csv"
CONC = ROOT / "calibration/io/jiangxi-2025-io-concordance.csv"
SCEN = ROOT / "scenarios/jiangxi-2025-io.yaml"
COUPLED = ["aviation", "electronics", "equipment", "tcm", "new_energy", "new_materials"]


def raw() -> tuple[list[dict[str, str]], list[str]]:
    """The CSV rows as dicts, read with nothing but the csv module."""
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    codes = [f"{k:02d}" for k in range(1, 43)]
    return rows, codes


def coefficients() -> dict[str, dict[str, float]]:
    doc = yaml.safe_load(SCEN.read_text(encoding="utf-8"))
    out: dict[str, dict[str, float]] = doc["io"]["coefficients"]
    return out


def test_the_table_balances_and_keeps_its_chinese_names() -> None:
    rows, codes = raw()
    dom = {r["code"]: r for r in rows if r["origin"] == "domestic"}
    imp = {r["code"]: r for r in rows if r["origin"] == "imports"}
    tot = {r["code"]: r for r in rows if r["origin"] == "total"}
    assert list(dom) == codes and list(imp) == codes
    assert dom["20"]["name_zh"] == "通信设备、计算机和其他电子设备"
    assert dom["14"]["name_zh"] == "金属冶炼和压延加工品"
    worst_row = worst_col = 0.0
    for c in codes:
        go = float(dom[c]["GO"])
        inter = sum(float(dom[c][j]) for j in codes)
        assert inter == pytest.approx(float(dom[c]["TIU"]), rel=1e-12)
        worst_row = max(worst_row, abs(inter + float(dom[c]["TFU"]) - go) / go)
        inputs = sum(float(dom[i][c]) + float(imp[i][c]) for i in codes)
        worst_col = max(worst_col, abs(inputs + float(tot["TVA"][c]) - go) / go)
        assert float(tot["TI"][c]) == pytest.approx(go, rel=1e-12)
    # balanced to rounding (calibration/io/README.md reports 7.2e-16 and 6.1e-15)
    assert worst_row < 1e-12 and worst_col < 1e-12


def test_scenario_coefficients_are_the_hand_computed_ratios() -> None:
    rows, codes = raw()
    z = {r["code"]: {j: float(r[j]) for j in codes} for r in rows if r["origin"] == "domestic"}
    x = {r["code"]: float(r["GO"]) for r in rows if r["origin"] == "domestic"}
    # the concordance, written out by hand (and checked against the committed file below)
    share = {
        "electronics": {"20": 1.0},
        "equipment": {"15": 1, "16": 1, "17": 1, "21": 1, "23": 1, "18": 0.5, "19": 0.65},
        "aviation": {"18": 0.5},
        "new_energy": {"19": 0.35},
        "new_materials": {"14": 0.25, "12": 0.15},
        "tcm": {"12": 0.07},
    }
    named = {s for g in share.values() for s in g}
    rest = {c: 1.0 for c in codes if c not in named} | {"14": 0.75, "12": 0.78}
    share["rest"] = rest
    conc = read_concordance(CONC)
    for g, parts in share.items():
        for s, w in parts.items():
            assert conc.get(s, {"rest": 1.0}).get(g) == pytest.approx(w), (g, s)

    def a(sup: str, buy: str) -> float:
        num = sum(share[sup][i] * z[i][j] * share[buy][j] for i in share[sup] for j in share[buy])
        return num / sum(share[buy][j] * x[j] for j in share[buy])

    got = coefficients()
    for sup, buy in [
        ("new_materials", "electronics"),
        ("rest", "new_energy"),
        ("equipment", "aviation"),
        ("electronics", "electronics"),
        ("new_materials", "new_energy"),
        ("rest", "rest"),
    ]:
        assert got[sup][buy] == pytest.approx(a(sup, buy), abs=5e-5), (sup, buy)
    # one cell spelled out: new materials sold to electronics per unit of its output
    assert got["new_materials"]["electronics"] == pytest.approx(
        (0.25 * z["14"]["20"] + 0.15 * z["12"]["20"]) / x["20"], abs=5e-5
    )


def test_aggregation_keeps_totals_and_the_script_writes_the_scenario_block() -> None:
    nat = read_national_table(TABLE)
    agg = aggregate(list(nat.codes), nat.z_domestic, nat.x, read_concordance(CONC), COUPLED)
    assert agg.z.sum() == pytest.approx(nat.z_domestic.sum(), rel=1e-12)
    assert agg.x.sum() == pytest.approx(nat.x.sum(), rel=1e-12)
    # each sector's domestic intermediate inputs are all counted once
    assert agg.z.sum(axis=0).sum() == pytest.approx(nat.z_domestic.sum(axis=0).sum(), rel=1e-12)
    np.testing.assert_allclose(nat.z_domestic.sum(axis=1), nat.final_use["TIU"], rtol=1e-12)
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools/aggregate_io.py"), str(TABLE), str(CONC), str(SCEN)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert "domestic intermediate use: table 1.56251e+10, aggregated 1.56251e+10" in res.stdout
    assert yaml.safe_load(res.stdout)["coefficients"] == coefficients()


def test_every_column_of_a_sums_below_one() -> None:
    nat = read_national_table(TABLE)
    full = aggregate(list(nat.codes), nat.z_domestic, nat.x, read_concordance(CONC), COUPLED)
    assert (full.coefficients.sum(axis=0) < 1).all()
    got = coefficients()
    for buy in [*COUPLED, "rest"]:
        assert 0 < sum(row.get(buy, 0.0) for row in got.values()) < 1, buy


def test_a_bad_layout_or_a_wrong_name_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("code,name_zh,name_en,origin,01,GO\n01,a,a,imports,1,2\n", encoding="utf-8")
    with pytest.raises(ClusterSimError, match="domestic and imports rows"):
        read_national_table(bad)
    conc = tmp_path / "c.csv"
    conc.write_text("sector,name_zh,group,share\n20,电子,electronics,1\n", encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools/aggregate_io.py"), str(TABLE), str(conc), str(SCEN)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 1 and "通信设备、计算机和其他电子设备" in res.stderr


def test_the_shipped_scenario_solves_leontief_with_these_coefficients() -> None:
    """Central run of jiangxi-2025-io against an independent solve: each coupled cluster's
    demand path is its base grown to its plan target (to_target, even pace from 2021 to
    2025), the rest's is 60,200 at 8.5%/yr; f[t] = (I - A) d[2021] x d[t] / d[2021] and
    x[t] = (I - A)^-1 f[t] (docs/scenario-format.md §7a)."""
    import clustersim as cs

    sc = cs.load_scenario(SCEN)
    r = cs.run(sc, required=False)
    ids = list(sc.clusters)
    got = coefficients()
    groups = [*COUPLED, "rest"]
    a = np.array([[got.get(i, {}).get(j, 0.0) for j in groups] for i in groups])
    # central bases (jiangxi-trend.yaml) and 2025 plan values (jiangxi-2025.yaml)
    base = {"aviation": 1440, "electronics": 6500, "equipment": 5460, "tcm": 449.4}
    base |= {"new_energy": 1100, "new_materials": 3500}
    goal = {"aviation": 2600, "electronics": 12000, "equipment": 8000, "tcm": 856.5}
    goal |= {"new_energy": 2500, "new_materials": 6000}
    years = np.arange(5)
    d = np.array([[base[c] * (goal[c] / base[c]) ** (t / 4) for t in years] for c in COUPLED])
    d = np.vstack([d, 60200 * 1.085**years])
    f = (np.eye(7) - a) @ d[:, :1] * d / d[:, :1]
    x = np.linalg.solve(np.eye(7) - a, f)
    out = r.series["output"][0]
    for k, c in enumerate(COUPLED):
        np.testing.assert_allclose(out[ids.index(c)], x[k], rtol=1e-9, err_msg=c)
    np.testing.assert_allclose(r.series["io_rest_output"][0], x[-1], rtol=1e-9)
    # the coupling pulls the fast chains towards the economy's pace: electronics' 2025 output
    # falls short of the 12,000 its own final demand growth would give on its own
    assert 11_000 < out[ids.index("electronics"), -1] < 12_000
