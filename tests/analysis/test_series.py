"""The series of a scenario that calibration can set."""

from __future__ import annotations

import clustersim as cs
from clustersim.analysis.series import scenario_series


def test_scenario_series_catalogue(tiny):
    known = scenario_series(cs.load_scenario(tiny))
    assert list(known) == [
        "gdp",
        "industrial_output",
        "patents",
        "firms_stock_flow",
        "output[alpha]",
        "va_ratio[alpha]",
        "rd[alpha]",
        "output[beta]",
    ]
    assert known["rd[alpha]"].follows == "output[alpha]"
    assert known["va_ratio[alpha]"].category == "share" and not known["va_ratio[alpha]"].flow
