"""The file formats clustersim writes, stated once.

Standard library only: the command line reads these lists for its choices without
importing pyarrow or matplotlib, and the writers and readers check against the same
tuples, so a format added here is offered, written and read back everywhere.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["CHART_FORMATS", "FORMATS", "ChartFormat", "Format"]

#: a format of the result tables (``clustersim run --out DIR --format ...``)
Format = Literal["parquet", "csv", "json"]
#: the table formats, in the order a results directory is searched when read back
FORMATS: tuple[Format, ...] = get_args(Format)

#: a format of the chart files (``clustersim plot --format ...``)
ChartFormat = Literal["png", "svg"]
#: the chart formats
CHART_FORMATS: tuple[ChartFormat, ...] = get_args(ChartFormat)
