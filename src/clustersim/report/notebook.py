"""What ``Result.plot`` and ``Result.report`` call: the report's own chart and page code
for one run in a notebook.

>>> res = cs.load_and_run("scenarios/example.yaml", samples=None)    # doctest: +SKIP
>>> res.plot("gdp")                                                 # doctest: +SKIP
>>> res.report("example.html", lang="zh")                           # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clustersim.errors import ClusterSimError
from clustersim.suggest import did_you_mean

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from clustersim.results import Result

__all__ = ["chart_names", "plot", "report"]


def chart_names(result: Result) -> dict[str, str]:
    """Every name :func:`plot` takes, to its chart key: ``gdp`` for ``series-gdp``, a
    target id for the chart that marks it, ``clusters`` for the cluster bars."""
    from clustersim.report.charts import charts_of
    from clustersim.report.data import from_result

    data = from_result(result)
    names: dict[str, str] = {}
    for chart in charts_of(data):
        names[chart.key.removeprefix("series-")] = chart.key
    if data.clusters is not None:
        names["clusters"] = data.clusters.key
    for row in data.targets:
        if row.chart is not None:
            names.setdefault(row.id, row.chart)
    return names


def plot(result: Result, series: str, *, lang: str = "en") -> Figure:
    """The chart of ``series`` (a series, metric or target id, or ``clusters``) as a
    matplotlib figure, drawn by :mod:`clustersim.report.charts`.

    Raises
    ------
    ClusterSimError
        For a name with no chart (naming the closest ones).
    """
    from clustersim.report.charts import charts_of
    from clustersim.report.data import from_result

    names = chart_names(result)
    key = names.get(series)
    if key is None:
        hint = did_you_mean(series, names) or f" (charts: {', '.join(sorted(names)[:12])})"
        raise ClusterSimError(f"{result.scenario_id}: no chart of {series!r}{hint}")
    chart = next(c for c in charts_of(from_result(result)) if c.key == key)
    return chart.draw(lang)


def report(result: Result, path: str | Path, *, lang: str = "en") -> Path:
    """Write the HTML report of ``result`` to ``path`` (atomically); the path written."""
    from clustersim.report.data import from_result
    from clustersim.report.html import write_html

    return write_html(from_result(result, origin=result.scenario_id), path, lang=lang)
