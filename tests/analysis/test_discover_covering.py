"""``clustersim discover --boxes N``: covering on a sweep with two known failure regions.

GDP grows one year from 100 at a swept rate r ~ U(0, 0.1), an indicator from 1 at a swept
rate g ~ U(-0.1, 0.1). The plan wants GDP of at least 105 (missed when r < 0.05) and the
indicator at least 0.95 (missed when g < -0.05) in 2021; "some target missed" (``--all-met
--cases missed``) is then r < 0.05 or g < -0.05: two boxes (slabs) on two inputs, which one
PRIM box cannot describe and covering can: first r <= 0.05 (80% of the cases of interest,
all of them cases), then, on the samples left, g <= -0.05.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clustersim.cli import app

from .conftest import gdp_and_indicator_sweep

SCENARIO = """\
id: gdp_band
name: GDP band
base_year: 2020
end_year: 2021
region:
  gdp: {base: 100, growth: 0.05}
indicators:
  a: {kind: level, name: a, base: 1, growth: 0.0}
targets:
  gdp_level:
    kind: level
    label: GDP reaches 105
    metric: gdp
    year: 2021
    at_least: 105
  a_level:
    kind: level
    label: a stays at least 0.95
    metric: a
    year: 2021
    at_least: 0.95
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gdp_and_indicator_sweep(tmp_path_factory.mktemp("covering"), SCENARIO, seed=3)


def test_two_boxes_each_with_coverage_and_density(sweep_dir: Path) -> None:
    pd = pytest.importorskip("pandas")
    res = runner.invoke(
        app,
        ["discover", str(sweep_dir), "--all-met", "--cases", "missed", "--boxes", "2", "--json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    df = pd.read_parquet(sweep_dir / "samples")
    rate = df["region.gdp.growth.rate"].to_numpy()
    g = df["indicators.a.growth.rate"].to_numpy()
    missed = ~(df["met.gdp_level"].to_numpy() & df["met.a_level"].to_numpy())
    # the flags are the closed form
    assert np.array_equal(missed, (rate < 0.05 - 1e-12) | (g < -0.05 - 1e-12))
    boxes = doc["boxes"]
    assert len(boxes) == 2
    (r1,) = boxes[0]["restrictions"]
    (r2,) = boxes[1]["restrictions"]
    assert r1["input"] == "region.gdp.growth.rate" and r1["lower"] is None
    assert r1["upper"] == pytest.approx(0.05, abs=0.002)
    assert r2["input"] == "indicators.a.growth.rate" and r2["lower"] is None
    assert r2["upper"] == pytest.approx(-0.05, abs=0.004)
    searched = np.ones(len(rate), bool)
    for b, col, r in ((boxes[0], rate, r1), (boxes[1], g, r2)):
        inside = searched & (col <= r["upper"])
        # counts, coverage (of all cases of interest) and density recomputed with pandas
        assert b["n"] == inside.sum() and b["k"] == (inside & missed).sum()
        assert b["coverage"] == pytest.approx((inside & missed).sum() / missed.sum())
        assert b["density"] == pytest.approx((inside & missed).sum() / inside.sum())
        assert b["n_searched"] == searched.sum()
        assert b["k_searched"] == (searched & missed).sum()
        searched &= ~inside
    assert boxes[0]["density"] == 1.0 and boxes[1]["density"] == 1.0
    # together nearly every case of interest (the cuts fall just inside the true edges)
    assert sum(b["coverage"] for b in boxes) > 0.97
    # the first box is the one "prim" reports
    assert doc["prim"]["coverage"] == boxes[0]["coverage"]
    assert doc["prim"]["restrictions"] == boxes[0]["restrictions"]


def test_boxes_table_in_both_languages(sweep_dir: Path) -> None:
    args = ["discover", str(sweep_dir), "--all-met", "--cases", "missed", "--boxes", "2"]
    res = runner.invoke(app, [*args, "--no-cart"])
    assert res.exit_code == 0, res.output
    assert "2 boxes by covering" in res.stdout and "Box 2: coverage" in res.stdout
    res = runner.invoke(app, [*args, "--no-cart", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "覆盖法找到的 2 个框" in res.stdout and "框 2：覆盖率" in res.stdout


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (
            ["--all-met", "--boxes", "0"],
            "--boxes: 0 is not a positive number of boxes",
            "--boxes：0 不是正的框数",
        ),
        (
            ["-t", "gdp_levl"],
            "--target: unknown target 'gdp_levl'; did you mean 'gdp_level'? (allowed: ",
            "--target：未知目标 'gdp_levl'；是否应为 'gdp_level'？（可选：",
        ),
        (
            ["--box", "999"],
            "--box: 999 is not on the trajectory (boxes 0 to ",
            "--box：999 不在权衡曲线上（框的编号为 0 到 ",
        ),
    ],
)
def test_bad_input_in_both_languages(sweep_dir: Path, args: list[str], en: str, zh: str) -> None:
    res = runner.invoke(app, ["discover", str(sweep_dir), *args])
    assert res.exit_code == 2 and en in res.stderr and res.stderr.startswith("error: ")
    res = runner.invoke(app, ["discover", str(sweep_dir), *args, "--lang", "zh"])
    assert res.exit_code == 2 and zh in res.stderr and res.stderr.startswith("错误：")


def test_report_of_the_sweep_has_a_discovery_section(sweep_dir: Path, tmp_path: Path) -> None:
    """``clustersim report SWEEP_DIR`` adds the discovery section (restricted-range plots
    and each box's numbers, the same as ``discover --json``); --no-discover leaves it out."""
    pytest.importorskip("matplotlib")
    page = tmp_path / "r.html"
    args = ["report", str(sweep_dir), "--out", str(page), "--discover-target", "gdp_level"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    section = html[html.index('<section id="discovery">') :]
    section = section[: section.index("</section>")]
    assert '<a href="#discovery">Scenario discovery</a>' in html
    want = json.loads(
        runner.invoke(
            app, ["discover", str(sweep_dir), "-t", "gdp_level", "--no-cart", "--json"]
        ).stdout
    )
    (r,) = want["prim"]["restrictions"]
    assert f"<code>{r['input']}</code>" in section and f"{r['upper']:.6g}" in section
    assert f"coverage {want['prim']['coverage']:.1%}" in section
    # one restricted-range plot and the trade-off curve
    assert section.count("data:image/svg+xml;base64,") == 2
    # two boxes: a covering table, a plot per box
    res = runner.invoke(
        app, ["report", str(sweep_dir), "--out", str(page), "--boxes", "2", "--lang", "zh"]
    )
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    section = html[html.index('<section id="discovery">') :]
    section = section[: section.index("</section>")]
    assert "情景发现" in section and "覆盖法找到的 2 个框" in section
    assert section.count("data:image/svg+xml;base64,") == 3
    res = runner.invoke(app, ["report", str(sweep_dir), "--out", str(page), "--no-discover"])
    assert res.exit_code == 0 and 'id="discovery"' not in page.read_text(encoding="utf-8")


def test_discover_page_shows_every_box(sweep_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    page = tmp_path / "d.html"
    args = ["discover", str(sweep_dir), "--all-met", "--cases", "missed", "--boxes", "2"]
    res = runner.invoke(app, [*args, "--no-cart", "--html", str(page)])
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    covering = html[html.index('<section id="covering">') :]
    assert "2 boxes by covering" in covering and "<code>indicators.a.growth.rate</code>" in covering
    # the trade-off curve and box 1's ranges, then box 2's ranges
    assert html.count("data:image/svg+xml;base64,") == 3
