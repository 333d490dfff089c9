"""Reports people look at: charts, a one-file HTML report, Excel workbooks, in Chinese or English.

- :mod:`clustersim.report.data` gathers what a report shows (:class:`ReportData`) from a run
  or a results directory, and a sweep's ``summary.json``;
- :mod:`clustersim.report.charts` draws it with matplotlib (``pip install 'clustersim[plot]'``);
- :mod:`clustersim.report.html` writes the self-contained HTML page;
- :mod:`clustersim.report.excel` writes a scenario's assumptions and results to a workbook and
  reads an edited workbook back (``pip install 'clustersim[excel]'``);
- :mod:`clustersim.report.fonts` ships the CJK font subset that makes Chinese labels render.

>>> import clustersim as cs                                         # doctest: +SKIP
>>> from clustersim.report import from_result, write_html           # doctest: +SKIP
>>> res = cs.run(cs.load_scenario("scenarios/example.yaml"), samples=1000, seed=1)  # doctest: +SKIP
>>> write_html(from_result(res), "example.html", lang="zh")         # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clustersim._lazy import attach

if TYPE_CHECKING:
    from clustersim.report.charts import write_charts
    from clustersim.report.data import ReportData, from_directory, from_result
    from clustersim.report.excel import read_workbook, scenario_yaml, write_workbook
    from clustersim.report.html import render_html, write_html

__all__ = [
    "ReportData",
    "from_directory",
    "from_result",
    "read_workbook",
    "render_html",
    "scenario_yaml",
    "write_charts",
    "write_html",
    "write_workbook",
]

_LAZY = {
    "ReportData": "clustersim.report.data",
    "from_directory": "clustersim.report.data",
    "from_result": "clustersim.report.data",
    "read_workbook": "clustersim.report.excel",
    "scenario_yaml": "clustersim.report.excel",
    "write_workbook": "clustersim.report.excel",
    "write_charts": "clustersim.report.charts",
    "render_html": "clustersim.report.html",
    "write_html": "clustersim.report.html",
}


__getattr__, __dir__ = attach(__name__, _LAZY, __all__)
