"""Aggregate a published input-output table to a scenario's clusters and print the ``io:``
coefficients block (docs/scenario-format.md §7a; clustersim.analysis.io_table).

    python tools/aggregate_io.py TABLE.csv CONCORDANCE.csv SCENARIO.yaml [--lang zh|en] > coefficients.yaml

TABLE.csv: either ``sector, <codes...>, total_output`` with one row per supplying sector (the
intermediate-use block and total output), or the NBS layout of calibration/io/ (``code,
name_zh, name_en, origin, <codes...>, ..., GO``, e.g. calibration/io/china-2020-42.csv), whose
**domestic** intermediate-use block and gross output are used (imported inputs leak out).
CONCORDANCE.csv: ``sector, group, share`` (group a cluster id of SCENARIO or ``rest``; a sector
not listed goes to ``rest``); with the NBS layout an optional ``name_zh`` column is checked
against the table's names. The totals before and after are printed as comments: they must
agree. The comments are in English, then Chinese; with ``--lang`` in that language only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

import clustersim as cs
from clustersim.analysis.io_table import (
    aggregate,
    concordance_names,
    read_concordance,
    read_flow_table,
    read_national_table,
)
from clustersim.errors import ClusterSimError, Problem, ScenarioError
from clustersim.i18n import word


def main(argv: list[str]) -> int:
    args, lang = list(argv), None
    if "--lang" in args:
        i = args.index("--lang")
        lang = args[i + 1] if i + 1 < len(args) else ""
        del args[i : i + 2]
    if lang not in (None, "en", "zh") or len(args) != 3:
        sys.stderr.write(word("io_agg_usage", "zh" if lang == "zh" else "en"))
        return 2
    langs = ("en", "zh") if lang is None else (lang,)
    table, conc, scenario = (Path(a) for a in args)
    with table.open(encoding="utf-8") as fh:
        first = next(line for line in fh if not line.lstrip().startswith("#"))
    try:
        if first.startswith("code,"):
            nat = read_national_table(table)
            sectors, z, x = list(nat.codes), nat.z_domestic, nat.x
            names = dict(zip(nat.codes, nat.names_zh, strict=True))
            for code, given in concordance_names(conc).items():
                if given and code in names and given != names[code]:
                    fmt = {"sector": code, "given": given, "table": names[code]}
                    raise ScenarioError(
                        Problem(word("iot_e_name", "en", **fmt), word("iot_e_name", "zh", **fmt))
                    )
            what = "iot_use_dom"
        else:
            sectors, z, x = read_flow_table(table)
            what = "iot_use_all"
        sc = cs.load_scenario(scenario)
        agg = aggregate(sectors, z, x, read_concordance(conc), list(sc.clusters))
    except ClusterSimError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    a = agg.coefficients
    lines = [
        ("iot_from", {"table": table, "conc": conc, "n": len(sectors), "g": len(agg.groups)}),
        ("iot_use", {"what": what, "table": z.sum(), "agg": agg.z.sum()}),
        ("iot_use", {"what": "iot_output", "table": x.sum(), "agg": agg.x.sum()}),
        ("iot_colsum", {"v": a.sum(axis=0).max()}),
    ]
    for key, fmt in lines:  # each comment in English, then in Chinese (or in --lang's)
        for one in langs:
            words = {k: word(v, one) if k == "what" else v for k, v in fmt.items()}
            print(f"# {word(key, one, **words)}")
    print(yaml.safe_dump({"coefficients": agg.io_block()}, allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
