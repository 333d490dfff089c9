"""Aggregate a published input-output table to a scenario's clusters and print the ``io:``
coefficients block (docs/scenario-format.md §7a; clustersim.analysis.io_table).

    python tools/aggregate_io.py TABLE.csv CONCORDANCE.csv SCENARIO.yaml [--lang zh|en] > coefficients.yaml

TABLE.csv: ``sector, <codes...>, total_output`` with one row per supplying sector (the
intermediate-use block and total output, e.g. the 42-sector 江西省投入产出表). CONCORDANCE.csv:
``sector, group, share`` (group a cluster id of SCENARIO or ``rest``; a sector not listed goes
to ``rest``). The totals before and after are printed as comments: they must agree. The
comments are in the language of ``--lang``, else of the config file or the locale, as for
``clustersim``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

import clustersim as cs
from clustersim.analysis.io_table import aggregate, read_concordance, read_flow_table
from clustersim.i18n import word


def main(argv: list[str]) -> int:
    from clustersim.cli._common import resolve_lang, settings

    args, lang = list(argv), None
    if "--lang" in args:
        i = args.index("--lang")
        lang = args[i + 1] if i + 1 < len(args) else ""
        del args[i : i + 2]
    if lang not in (None, "en", "zh") or len(args) != 3:
        sys.stderr.write(word("io_agg_usage", "zh" if lang == "zh" else "en"))
        return 2
    lang = resolve_lang(None, lang, settings())
    table, conc, scenario = (Path(a) for a in args)
    sectors, z, x = read_flow_table(table)
    sc = cs.load_scenario(scenario)
    agg = aggregate(sectors, z, x, read_concordance(conc), list(sc.clusters))
    groups = len(agg.groups)
    print(word("io_agg_from", lang, table=table, conc=conc, n=len(sectors), groups=groups))
    print(word("io_agg_intermediate", lang, table=f"{z.sum():.6g}", agg=f"{agg.z.sum():.6g}"))
    print(word("io_agg_total", lang, table=f"{x.sum():.6g}", agg=f"{agg.x.sum():.6g}"))
    print(yaml.safe_dump({"coefficients": agg.io_block()}, allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
