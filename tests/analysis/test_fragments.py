"""Fragments: the calibrated growth blocks ``extends:`` the scenario, written atomically.

Expected values are the fits' own (the fragment must carry them unchanged) and the
closed-form central run ``x0 (1 + rate)^t``.
"""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.analysis.calibration import calibrate
from clustersim.analysis.fragments import write_fragment
from clustersim.kinds.growth import Constant, Elasticity, Logistic
from clustersim.values.numbers import Normal

from .conftest import history_rows


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
    assert_allclose(g.rate.mean, fits["gdp"].rate, rtol=1e-5)
    assert_allclose(g.rate.sd, fits["gdp"].se, rtol=1e-3)
    # the parent's low bound and sources do not survive the merge
    assert g.rate.low is None and g.rate.source is None
    assert g.source.startswith("calibrate: log-linear least squares of ln(gdp) on year")
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
