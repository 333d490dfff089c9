"""Price bases (现价 / 可比价): ``basis: comparable`` deflates a target's metric to base-year
prices; a series declared ``prices: comparable`` is read as it is. Expected values by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app

DOC = """\
id: prices
name: {zh: 价格, en: Prices}
base_year: 2023
end_year: 2026
region:
  gdp: {base: 1000, growth: 0.08}
indicators:
  gdp_deflator: {kind: level, name: {zh: 平减指数, en: GDP deflator}, base: 100, growth: 0.02}
  ppi: {kind: level, name: {zh: 出厂价格, en: PPI}, base: 100, growth: -0.03}
  real_va: {kind: level, name: {zh: 实际增加值, en: real VA}, base: 50, growth: 0.06,
            prices: comparable}
targets:
  nominal_cagr: {kind: cagr, label: 名义, metric: gdp, from_year: 2023, year: 2026, at_least: 0.07}
  real_cagr: {kind: cagr, label: 可比价, metric: gdp, from_year: 2023, year: 2026, at_least: 0.07,
              basis: comparable}
  real_level: {kind: level, label: 可比价水平, metric: gdp, year: 2026, at_least: 1200,
               basis: comparable}
  ppi_cagr: {kind: cagr, label: 工业, metric: gdp, from_year: 2023, year: 2026, at_least: 0.1,
             basis: comparable, deflator: ppi}
  already_real: {kind: cagr, label: 已是可比价, metric: real_va, from_year: 2023, year: 2026,
                 at_least: 0.06, basis: comparable}
"""


def _run(tmp_path: Path, text: str = DOC) -> cs.Result:
    p = tmp_path / "prices.yaml"
    p.write_text(text, encoding="utf-8")
    return cs.run(cs.load_scenario(p))


def test_comparable_growth_is_nominal_over_prices(tmp_path: Path) -> None:
    res = _run(tmp_path)
    assert_allclose(res.target("nominal_cagr").value[0], 0.08, rtol=1e-12)
    # nominal 8% a year, deflator +2% a year: comparable growth 1.08 / 1.02 - 1 = 5.88%
    real = res.target("real_cagr")
    assert_allclose(real.value[0], 1.08 / 1.02 - 1, rtol=1e-12)
    assert real.status == "missed"  # 5.88% < 7%, where the nominal 8% meets it
    # falling producer prices (-3%/yr) raise the real growth: 1.08 / 0.97 - 1 = 11.34%
    assert_allclose(res.target("ppi_cagr").value[0], 1.08 / 0.97 - 1, rtol=1e-12)
    # a level at base-year prices: 1000 x 1.08^3 / 1.02^3 = 1187.1
    assert_allclose(res.target("real_level").value[0], 1000 * (1.08 / 1.02) ** 3, rtol=1e-12)
    # a series declared at comparable prices is not deflated again
    assert_allclose(res.target("already_real").value[0], 0.06, rtol=1e-12)


def test_required_growth_of_a_comparable_goal_is_nominal(tmp_path: Path) -> None:
    res = _run(tmp_path)
    # the nominal rate r with 1000 (1 + r)^3 / 1.02^3 = 1200: r = 1.02 x 1.2^(1/3) - 1
    rg = res.target("real_level").required_growth
    assert rg is not None and rg["series"] == "gdp"
    assert_allclose(rg["rate"], 1.02 * 1.2 ** (1 / 3) - 1, rtol=1e-6)
    rg = res.target("real_cagr").required_growth
    assert rg is not None
    assert_allclose(rg["rate"], 1.07 * 1.02 - 1, rtol=1e-6)


def test_monte_carlo_deflator_uncertainty(tmp_path: Path) -> None:
    text = DOC.replace(
        "base: 100, growth: 0.02}",
        "base: 100, growth: {kind: constant, rate: {dist: normal, mean: 0.02, sd: 0.01}}}",
    )
    p = tmp_path / "mc.yaml"
    p.write_text(text, encoding="utf-8")
    res = cs.run(cs.load_scenario(p), samples=2000, seed=3)
    d = res.series["gdp_deflator"][:, -1] / 100.0  # each sample's own deflator
    assert_allclose(res.target("real_cagr").value, (1.08**3 / d) ** (1 / 3) - 1, rtol=1e-12)
    # P(real growth >= 7%) = P(pi <= 1.08 / 1.07 - 1 = 0.93%) = Phi((0.0093 - 0.02) / 0.01)
    from scipy.stats import norm

    p_exact = norm.cdf((1.08 / 1.07 - 1 - 0.02) / 0.01)
    se = (p_exact * (1 - p_exact) / 2000) ** 0.5
    assert abs(res.target("real_cagr").probability - p_exact) < 4 * se


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (
                "  ppi_cagr:",
                "  mixed: {kind: level, label: 混, metric: gdp + real_va, year: 2026, "
                "at_least: 1, basis: comparable}\n  ppi_cagr:",
            ),
            "targets.mixed.basis: the metric mixes series at current and comparable prices",
        ),
        (
            ("deflator: ppi", "deflator: cpi"),
            "targets.ppi_cagr.deflator: basis: comparable needs the price index 'cpi'",
        ),
        (
            (
                "  gdp_deflator: {kind: level, name: {zh: 平减指数, en: GDP deflator}, base: 100,",
                "  gdp_deflator: {kind: level, name: {zh: 平减指数, en: GDP deflator}, "
                "base: {dist: normal, mean: 100, sd: 1},",
            ),
            "targets.real_cagr.deflator: the base of indicators.gdp_deflator is the index base",
        ),
    ],
)
def test_bad_price_bases_name_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(DOC.replace(*edit), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(p)])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert f"{p}:" in res.output and "Traceback" not in res.output


def test_a_share_has_no_price_basis(tmp_path: Path) -> None:
    p = tmp_path / "share.yaml"
    p.write_text(
        DOC.replace(
            "  ppi_cagr:",
            "  s: {kind: share, label: 占比, numerator: real_va, denominator: gdp, year: 2026, "
            "at_least: 0.01, basis: comparable}\n  ppi_cagr:",
        ),
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["validate", str(p)])
    assert res.exit_code == 2
    assert "basis: comparable does not apply to a share target" in res.output
    p.write_text(DOC.replace("at_least: 0.07}", "at_least: 0.07, deflator: ppi}"), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(p)])
    assert res.exit_code == 2 and "deflator: goes with basis: comparable" in res.output


def test_every_engine_reads_the_deflated_metric(tmp_path: Path) -> None:
    import numpy as np

    from clustersim.engine import run_targets
    from clustersim.engines import ENGINES

    p = tmp_path / "mc.yaml"
    p.write_text(
        DOC.replace(
            "base: 100, growth: 0.02}",
            "base: 100, growth: {kind: constant, rate: {dist: normal, mean: 0.02, sd: 0.01}}}",
        ),
        encoding="utf-8",
    )
    sc = cs.load_scenario(p)
    ref = cs.run(sc, samples=300, seed=5)
    d = ref.series["gdp_deflator"][:, -1] / 100.0
    assert_allclose(ref.target("real_level").value, 1000 * 1.08**3 / d, rtol=1e-12)
    for name, engine in ENGINES.items():
        if not engine.available():
            continue
        out = run_targets(sc, samples=300, seed=5, engine=name)
        for tid in ("real_cagr", "real_level", "ppi_cagr", "already_real"):
            assert np.allclose(out[tid].value, ref.target(tid).value, rtol=1e-12), (name, tid)
