"""Aggregate a published input-output table to a scenario's clusters and print the ``io:``
coefficients block (docs/scenario-format.md §7a; clustersim.analysis.io_table).

    python tools/aggregate_io.py TABLE.csv CONCORDANCE.csv SCENARIO.yaml > coefficients.yaml

TABLE.csv: ``sector, <codes...>, total_output`` with one row per supplying sector (the
intermediate-use block and total output, e.g. the 42-sector 江西省投入产出表). CONCORDANCE.csv:
``sector, group, share`` (group a cluster id of SCENARIO or ``rest``; a sector not listed goes
to ``rest``). The totals before and after are printed as comments: they must agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

import clustersim as cs
from clustersim.analysis.io_table import aggregate, read_concordance, read_flow_table


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(__doc__ or "")
        return 2
    table, conc, scenario = (Path(a) for a in argv)
    sectors, z, x = read_flow_table(table)
    sc = cs.load_scenario(scenario)
    agg = aggregate(sectors, z, x, read_concordance(conc), list(sc.clusters))
    print(f"# aggregated from {table} by {conc}: {len(sectors)} sectors -> {len(agg.groups)}")
    print(f"# intermediate use: table {z.sum():.6g}, aggregated {agg.z.sum():.6g}")
    print(f"# total output: table {x.sum():.6g}, aggregated {agg.x.sum():.6g}")
    print(yaml.safe_dump({"coefficients": agg.io_block()}, allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
