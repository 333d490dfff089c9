"""Write an NBS national input-output table shipped by the R package ionet as a plain CSV
(calibration/io/, docs/scenario-format.md §7a). Dev-time only: needs ``pyreadr`` (not a
dependency of clustersim) and the package's ``.rda`` file, e.g.

    git -C <ionet clone> show HEAD:data/china_2020_42.rda > /tmp/china_2020_42.rda
    pip install pyreadr
    PYTHONPATH=src python tools/extract_ionet.py /tmp/china_2020_42.rda > calibration/io/china-2020-42.csv

The data frame has one row per product and origin (``Domestic`` then ``Imports``: the
non-competitive-import layout, intermediate and final use of domestic output separated from
imported goods), then the total intermediate input, the value-added rows and total input; the
columns are the buying sectors ``01``..``NN``, total intermediate use ``TIU``, final
consumption ``TC``, gross fixed capital formation ``FU201``, change in inventories ``FU202``,
exports ``EX``, total final use ``TFU`` and gross output ``GO`` (for an import row: total
imports). Values are written with ``repr`` so nothing is rounded; the balances are printed to
stderr.
"""

from __future__ import annotations

import csv
import math
import sys

import numpy as np
import pyreadr  # type: ignore[import-not-found,unused-ignore]

from clustersim.i18n import word

HEADER = """\
# NBS national input-output table of China, 2020, 42 sectors (2020年全国投入产出表, 国家统计局),
# producers' prices, unit 万元 (10 thousand CNY). Copied without change from the R package ionet
# v0.2.2 (GPL>=3, github Carol-seven/ionet), data/china_2020_42.rda, by tools/extract_ionet.py.
# Rows: origin domestic (01-42: domestic output used), imports (01-42: imported goods used), then
# total (TII intermediate input, VA001-VA004 value added, TVA, TI total input). Columns 01-42: the
# buying sectors; TIU intermediate use; TC final consumption; FU201 gross fixed capital formation;
# FU202 change in inventories; EX exports; TFU final use; GO gross output (imports rows: imports).
"""


def fmt(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return "" if math.isnan(f) else repr(f)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write(__doc__ or "")
        return 2
    (name, df), *_ = pyreadr.read_r(argv[0]).items()
    codes = [c for c in df.columns if c.isdigit()]
    tail = [c for c in df.columns[4 + len(codes) :]]
    sys.stdout.write(HEADER)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name_zh", "name_en", "origin", *codes, *tail])
    for _, r in df.iterrows():
        origin = str(r["Origin"]).strip().lower()
        origin = {"tot": "total"}.get(origin, origin)
        out.writerow(
            [r["Code"], r["DescriptionInChinese"], r["Description"], origin]
            + [fmt(r[c]) for c in (*codes, *tail)]
        )
    # balances, for the record
    n = len(codes)
    dom, imp = df.iloc[:n], df.iloc[n : 2 * n]
    tot = df.iloc[2 * n :].set_index("Code")
    go = dom["GO"].to_numpy(float)
    rows = dom["TIU"].to_numpy(float) + dom["TFU"].to_numpy(float)
    cols = (
        dom[codes].to_numpy(float).sum(0)
        + imp[codes].to_numpy(float).sum(0)
        + tot.loc["TVA", codes].to_numpy(float)
    )
    vals: dict[str, object] = {"name": name, "n": n}
    vals |= {"row": np.max(abs(rows - go) / go), "col": np.max(abs(cols - go) / go)}
    for lang in ("en", "zh"):
        sys.stderr.write(word("iot_balance", lang, **vals) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
