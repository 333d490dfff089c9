"""Fragments: the calibrated growth blocks ``extends:`` the scenario, written atomically.

Expected values are the fits' own (the fragment must carry them unchanged) and the
closed-form central run ``x0 (1 + rate)^t``.
"""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm
from scipy.stats import t as student

import clustersim as cs
from clustersim.analysis.calibration import calibrate
from clustersim.analysis.fragments import write_fragment
from clustersim.kinds.growth import Constant, Elasticity, Logistic
from clustersim.values.numbers import Normal

from .conftest import history_rows, predictive_reference


def test_the_fragment_extends_the_scenario_with_the_fitted_values(
    tiny, csv_writer, history, tmp_path
):
    data = csv_writer(history_rows(history))
    cal = calibrate(data, tiny)
    out = write_fragment(cal, tmp_path / "tiny-calibrated.yaml")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Growth of ")
    assert f"# data: {data} (sha256 {cal.data.sha256[:16]}...)" in text
    assert "extends: tiny.yaml" in text  # relative to the fragment
    sc = cs.load_scenario(out)
    fits = {f.spec.name: f.fit for f in cal.fits}

    g = sc.region.gdp.growth
    assert isinstance(g, Constant) and isinstance(g.rate, Normal)
    # the predictive model: mean annual log growth, its s.e. widened to the t's 80% interval
    # (11 annual points: 9 consecutive pairs, so ar is estimated)
    mu, se_mu, _, ar, df = predictive_reference(*history["gdp"])
    assert df == 8 and ar < 0  # noise around a trend: growth rates alternate
    w = student.ppf(0.9, df) / norm.ppf(0.9)
    assert_allclose(g.rate.mean, math.expm1(mu), rtol=1e-5)
    assert_allclose(g.rate.sd, math.exp(mu) * se_mu * w, rtol=1e-3)
    # the parent's low bound and sources do not survive the merge
    assert g.rate.low is None and g.rate.source is None
    assert g.source.startswith(
        "calibrate: mean annual log growth of gdp (random walk with drift + AR(1))"
    )
    assert f"ar {ar:.3f}" in g.source and f"t, {df} df" in g.source
    assert "lines 2-12" in g.source

    beta = sc.clusters["beta"].output.growth
    assert isinstance(beta, Logistic)
    assert_allclose(beta.capacity.mean, fits["output[beta]"].capacity, rtol=1e-5)
    rd = sc.clusters["alpha"].rd.growth
    assert isinstance(rd, Elasticity) and rd.to == "output"
    assert_allclose(rd.elasticity, 1.4, rtol=1e-5)  # exact fit: no s.e., a plain number
    assert sc.region.industrial_output.growth.kind == "path"  # no data: unchanged
    assert sc.id == "tiny_calibrated" and sc.targets  # everything else is the parent's

    res = cs.run(sc, required=False)  # the central run compounds the fitted rate
    assert_allclose(res.series["gdp"][0, -1], 100 * (1 + g.rate.mean) ** 5, rtol=1e-12)


def test_fragment_is_written_atomically_and_validated(tiny, csv_writer, history, tmp_path):
    cal = calibrate(csv_writer(history_rows(history)), tiny)
    out = tmp_path / "frag.yaml"
    out.write_text("old", encoding="utf-8")
    write_fragment(cal, out)
    assert out.read_text(encoding="utf-8") != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frag.yaml", "obs.csv", "tiny.yaml"]
    with pytest.raises(cs.ClusterSimError, match=r"name it \.yaml"):
        write_fragment(cal, tmp_path / "frag.txt")
    assert not (tmp_path / "frag.txt").exists()


@pytest.mark.parametrize(
    "value",
    [
        "calibrate: 'quoted' and \"double\" # not a comment: 江西 1.08万亿",
        "yes",
        "~",
        "-5",
        "../up/there.yaml",
        1e-05,
        -2.5e20,
        0.1075,
        2025,
        None,
    ],
)
def test_the_fragment_writer_round_trips_through_yaml(value):
    import yaml

    from clustersim.yamlout import dump_yaml

    doc = {"a": {"b": value, "c": [1, "x y"]}, "d": {}}
    assert yaml.safe_load(dump_yaml(doc)) == doc


def test_shocks_are_listed_and_written_on_request(tiny, csv_writer, history, tmp_path):
    import yaml

    from clustersim.analysis.fragments import fragment_text
    from clustersim.kinds.growth import Shocks

    cal = calibrate(csv_writer(history_rows(history)), tiny)
    # patents: 5 points 2016-2020 of 30 x 1.08^t exactly: no innovation
    # gdp: 9 pairs, ar estimated; the innovation sd of ln(1 + g) (the unit of shocks.sd,
    # not converted to the rate) widened by t_8(0.9) / z(0.9)
    mu, se_mu, sd, ar, df = predictive_reference(*history["gdp"])
    w = student.ppf(0.9, df) / norm.ppf(0.9)
    # growth rates alternate (ar < 0), which shocks cannot carry (ar in [0, 1)): written 0
    assert ar < -0.3
    text = fragment_text(cal, tmp_path / "f.yaml")
    line = next(x for x in text.splitlines() if x.startswith("# gdp: annual innovations"))
    assert f"shocks: {{sd: {float(f'{sd * w:.4g}')}, ar: 0.0}}" in line
    assert "shocks" not in yaml.safe_load(text)["region"]["gdp"]["growth"]
    doc = yaml.safe_load(fragment_text(cal, tmp_path / "f.yaml", shocks=True))
    sh = doc["region"]["gdp"]["growth"]["shocks"]
    assert_allclose([sh["sd"], sh["ar"]], [sd * w, 0.0], rtol=1e-3)
    assert (
        sh["note"]
        == f"fitted ar {ar:.3f} (alternating growth) written as 0: shocks take ar in [0, 1)"
    )

    # written: the fragment loads as a scenario whose gdp growth carries the shocks
    out = write_fragment(cal, tmp_path / "g.yaml", shocks=True)
    sc = cs.load_scenario(out)
    g = sc.region.gdp.growth
    assert isinstance(g, Constant) and isinstance(g.shocks, Shocks)
    assert_allclose([g.shocks.sd, g.shocks.ar], [sd * w, 0.0], rtol=1e-3)
    assert g.shocks.factor is None
    assert_allclose(g.rate.mean, math.expm1(mu), rtol=1e-5)
    assert_allclose(g.rate.sd, math.exp(mu) * se_mu * w, rtol=1e-3)
    # the fit's own growth (the same model) carries the same numbers
    fg = next(f.growth for f in cal.fits if f.spec.name == "gdp")
    assert fg is not None and fg.sd is not None
    assert_allclose([fg.sd, fg.ar, fg.df], [sd, ar, df], rtol=1e-9)
    # patents: an exact fit (no innovation) gets no shocks block
    assert sc.indicators["patents"].growth.shocks is None
