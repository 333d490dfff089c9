"""Fixtures for calibration and backtest tests: a tiny scenario and synthetic observed data.

Every expected number in these tests is computed from the parameters that generated the
data (or by an independent formula), never read back from the code under test.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

#: gdp 100 growing 5%; alpha compound 10%, its R&D an elasticity of 1 to its output;
#: beta logistic towards 500; a level indicator and a stock fed by a flow
TINY = """\
id: tiny
name: {zh: 小城, en: Tiny town}
base_year: 2020
end_year: 2025
region:
  name: {en: Tiny town}
  gdp:
    base: 100
    growth:
      kind: constant
      rate: {dist: normal, mean: 0.05, sd: 0.01, low: 0.0, source: "assumption: old"}
      source: "assumption: an old guess"
  industrial_output:
    base: 200
    growth: {kind: path, rates: {2021: 0.03, 2023: 0.04}}
clusters:
  alpha:
    name: Alpha
    output: {base: 50, growth: 0.10}
    va_ratio: {base: 0.3}
    rd:
      base: 2
      growth: {kind: elasticity, to: output, elasticity: 1.0}
  beta:
    name: Beta
    output:
      base: 100
      growth: {kind: logistic, capacity: 500, rate: 0.2}
indicators:
  patents:
    name: Patents
    base: 40
    growth: 0.05
    unit: 件
  firms_stock:
    name: Firms
    base: 100
    flow: {base: 10, growth: 0.0}
targets:
  gdp_2025:
    kind: level
    label: GDP 2025
    metric: gdp
    year: 2025
    at_least: 120
    source: "assumption: test"
"""

HEADER = ("region", "cluster", "indicator", "year", "value", "unit", "source")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The tiny scenario, written to a temporary directory."""
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


Row = dict[str, object]


def write_csv(path: Path, rows: Iterable[Row], extra: Sequence[str] = ()) -> Path:
    """Write tidy observed data; missing fields are empty, source defaults to 'test'."""
    cols = [*HEADER, *extra]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            full = {"region": "Tiny", "cluster": "", "unit": "亿元", "source": "test", **r}
            w.writerow(["" if full.get(c) is None else full.get(c, "") for c in cols])
    return path


@pytest.fixture
def csv_writer(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Iterable[Row], name: str = "obs.csv", extra: Sequence[str] = ()) -> Path:
        return write_csv(tmp_path / name, rows, extra)

    return make


def series_rows(
    indicator: str, years: Iterable[int], values: Iterable[float], **fields: object
) -> list[Row]:
    return [
        {"indicator": indicator, "year": y, "value": repr(float(v)), **fields}
        for y, v in zip(years, values, strict=True)
    ]


@pytest.fixture
def history():
    """Synthetic histories of the tiny scenario's series, with their true parameters."""
    rng = np.random.default_rng(42)
    h = {}
    t = np.arange(2010, 2021)
    h["gdp"] = (t, 60 * 1.06 ** (t - 2010) * np.exp(rng.normal(0, 0.01, t.size)))
    t = np.arange(2012, 2021)
    out = 30 * 1.10 ** (t - 2012) * np.exp(rng.normal(0, 0.02, t.size))
    h["output[alpha]"] = (t, out)
    rd = [1.0]
    for a, b in itertools.pairwise(out):
        rd.append(rd[-1] * (1 + 1.4 * (b / a - 1)))  # R&D grows 1.4 x output, exactly
    h["rd[alpha]"] = (t, np.array(rd))
    t = np.arange(2005, 2021)
    logistic = 500 / (1 + np.exp(-0.25 * (t - 2021)))
    h["output[beta]"] = (t, logistic * np.exp(rng.normal(0, 0.01, t.size)))
    t = np.arange(2016, 2021)
    h["patents"] = (t, 30 * 1.08 ** (t - 2016))
    t = np.arange(2017, 2021)
    h["firms_stock_flow"] = (t, 8 * 1.05 ** (t - 2017))
    return h


def history_rows(history) -> list[Row]:
    """Observed-data rows of :func:`history` (region rows in 亿元, patents in 件)."""
    rows = []
    for name, (t, v) in history.items():
        if "[" in name:
            ind, cluster = name[:-1].split("[")
            rows += series_rows(ind, t, v, cluster=cluster)
        else:
            unit = "件" if name == "patents" else "亿元"
            rows += series_rows(name, t, v, unit=unit)
    return rows


def predictive_reference(t, v, min_pairs: int = 8):
    """The growth model's estimates, computed plainly (annual data without gaps).

    Returns ``(mu, se_mu, sd, ar, df)``: mean log growth; AR(1) through the origin on
    consecutive deviations when there are ``min_pairs`` pairs (else 0); the innovation sd;
    ``se(mu) = sd / (1 - ar) / sqrt(n)``; degrees of freedom.
    """
    d = [math.log(b / a) for a, b in itertools.pairwise(v)]
    mu = sum(d) / len(d)
    g = [x - mu for x in d]
    if len(g) - 1 >= min_pairs:
        ar = sum(a * b for a, b in itertools.pairwise(g)) / sum(a * a for a in g[:-1])
        e = [b - ar * a for a, b in itertools.pairwise(g)]
    else:
        ar, e = 0.0, g
    sd = math.sqrt(sum(x * x for x in e) / (len(e) - 1))
    return mu, sd / (1 - ar) / math.sqrt(len(d)), sd, ar, len(e) - 1


def gdp_and_indicator_sweep(d: Path, scenario: str, seed: int) -> Path:
    """Write ``scenario`` and a 4,000-sample Latin hypercube over GDP's rate in [0, 0.1] and
    indicator a's rate in [-0.1, 0.1] into ``d``, run it in one process, return its output
    directory (the discover tests' sweeps, whose failure regions are known in closed form)."""
    import yaml

    from clustersim.sweep.runner import run_sweep

    (d / "gdp.yaml").write_text(scenario, encoding="utf-8")
    doc = {
        "scenario": "gdp.yaml",
        "method": "lhs",
        "samples": 4000,
        "seed": seed,
        "parameters": {
            "region.gdp.growth.rate": {"range": [0.0, 0.1]},
            "indicators.a.growth.rate": {"range": [-0.1, 0.1]},
        },
    }
    (d / "sweep.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    run_sweep(d / "sweep.yaml", out=d / "out", workers=1)
    return d / "out"
