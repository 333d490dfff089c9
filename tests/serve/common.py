"""Constants the what-if page's tests share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"
#: fewer than the page's 10^4 samples: the tests check agreement, not precision
SAMPLES = 2000
SEED = 1
GDP = "region.gdp.growth.rate"
#: example.yaml's target that GDP growth decides: GDP grows at least 5% a year over 2022-2027
GDP_TARGET = "gdp_cagr"
