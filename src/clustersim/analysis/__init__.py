"""Analysis against observed history: read observed data, calibrate, write fragments, backtest.

One job per module, in the order data flows (each imports only those above it):

- :mod:`~clustersim.analysis.observed`: read, validate and annualise tidy observed data;
- :mod:`~clustersim.analysis.text`: levels, years and tables as plain text;
- :mod:`~clustersim.analysis.fits`: the estimators, pure functions over arrays;
- :mod:`~clustersim.analysis.shocks`: yearly shocks, their correlation and common factor,
  estimated from a panel's log-growth residuals (:func:`fit_shocks`);
- :mod:`~clustersim.analysis.series`: which series of a scenario calibration can set;
- :mod:`~clustersim.analysis.options`: calibration options and the mapping file;
- :mod:`~clustersim.analysis.matching`: observed rows matched to those series;
- :mod:`~clustersim.analysis.calibration`: fitting each matched series (:func:`calibrate`);
- :mod:`~clustersim.analysis.fragments`: a calibration as a YAML fragment (:func:`write_fragment`);
- :mod:`~clustersim.analysis.backtesting`: fit up to a year, project, compare (:func:`backtest`);
- :mod:`~clustersim.analysis.rolling`: rolling-origin backtests of the predictive growth model
  on every observed series, per series and pooled (:func:`rolling_backtest`).

>>> from clustersim.analysis import Options, calibrate, write_fragment  # doctest: +SKIP
>>> cal = calibrate("data.csv", "scenario.yaml", options=Options(series=("gdp",)))  # doctest: +SKIP
>>> write_fragment(cal, "calibrated.yaml")  # doctest: +SKIP

Names are imported lazily, so importing one module (``clustersim.analysis.fits``) does not
load the scenario models or the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clustersim._lazy import attach

if TYPE_CHECKING:
    from clustersim.analysis.backtesting import Backtest, backtest
    from clustersim.analysis.calibration import Calibration, calibrate
    from clustersim.analysis.fits import fit_elasticity, fit_logistic, fit_loglinear, growth_jumps
    from clustersim.analysis.fragments import write_fragment
    from clustersim.analysis.observed import DataError, ObservedData, load_observed
    from clustersim.analysis.options import Options, load_mapping
    from clustersim.analysis.rolling import RollingBacktest, rolling_backtest
    from clustersim.analysis.shocks import ShockFit, fit_shocks

__all__ = [
    "Backtest",
    "Calibration",
    "DataError",
    "ObservedData",
    "Options",
    "RollingBacktest",
    "ShockFit",
    "backtest",
    "calibrate",
    "fit_elasticity",
    "fit_logistic",
    "fit_loglinear",
    "fit_shocks",
    "growth_jumps",
    "load_mapping",
    "load_observed",
    "rolling_backtest",
    "write_fragment",
]

_LAZY = {
    "Backtest": "clustersim.analysis.backtesting",
    "backtest": "clustersim.analysis.backtesting",
    "Calibration": "clustersim.analysis.calibration",
    "calibrate": "clustersim.analysis.calibration",
    "fit_elasticity": "clustersim.analysis.fits",
    "fit_logistic": "clustersim.analysis.fits",
    "fit_loglinear": "clustersim.analysis.fits",
    "growth_jumps": "clustersim.analysis.fits",
    "write_fragment": "clustersim.analysis.fragments",
    "DataError": "clustersim.analysis.observed",
    "ObservedData": "clustersim.analysis.observed",
    "load_observed": "clustersim.analysis.observed",
    "Options": "clustersim.analysis.options",
    "load_mapping": "clustersim.analysis.options",
    "ShockFit": "clustersim.analysis.shocks",
    "fit_shocks": "clustersim.analysis.shocks",
    "RollingBacktest": "clustersim.analysis.rolling",
    "rolling_backtest": "clustersim.analysis.rolling",
}

__getattr__, __dir__ = attach(__name__, _LAZY, __all__)
