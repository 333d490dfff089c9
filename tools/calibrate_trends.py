"""Regenerate the calibrated fragments the shipped trend scenarios extend (issue 15).

    PYTHONPATH=src python tools/calibrate_trends.py          # rewrite scenarios/fragments/*-fit-*.yaml
    PYTHONPATH=src python tools/calibrate_trends.py --check  # exit 1 if a fragment is stale

Each trend scenario is a chain: ``scenarios/fragments/<region>-trend-base.yaml`` (the base values
and the assumptions) <- one fragment per data file, written by ``clustersim calibrate --shocks``
(growth of every series with a history, its yearly shocks and, with ``--factor``, the regional
factor they share) <- ``scenarios/<region>-trend.yaml`` (id and names). The commands are listed
in :data:`STEPS`, in order; each calibrates the file the previous one wrote. Nothing here computes
a number: every number in a fragment is ``clustersim calibrate``'s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAG = "scenarios/fragments"

#: (fragment written, scenario it extends, calibrate arguments after DATA)
STEPS: list[tuple[str, str, list[str]]] = [
    # Jiangxi: electronics and equipment revenue (pre-break years), one regional factor; the
    # national price indices on the years before the plan (2018-2021)
    (
        f"{FRAG}/jiangxi-trend-fit-jiangxi.yaml",
        f"{FRAG}/jiangxi-trend-base.yaml",
        [
            "calibration/jiangxi.csv",
            "-x",
            "output[electronics]",
            "-x",
            "output[equipment]",
            "--shocks",
            "--factor",
            "jiangxi",
        ],
    ),
    (
        f"{FRAG}/jiangxi-trend-fit-prices.yaml",
        f"{FRAG}/jiangxi-trend-fit-jiangxi.yaml",
        [
            "calibration/prices.csv",
            "--region",
            "China",
            "-x",
            "gdp_deflator",
            "-x",
            "ppi",
            "--until",
            "2021",
            "--shocks",
            "--factor",
            "china_prices",
        ],
    ),
    # Shenzhen: SEI value added (compound); industrial output keeps its converging path and
    # joins the factor in scenarios/shenzhen-trend.yaml
    (
        f"{FRAG}/shenzhen-trend-fit-shenzhen.yaml",
        f"{FRAG}/shenzhen-trend-base.yaml",
        [
            "calibration/shenzhen.csv",
            "-x",
            "sei_va",
            "-x",
            "industrial_output",
            "--fit",
            "sei_va=compound",
            "--fit",
            "industrial_output=compound",
            "--shocks",
            "--factor",
            "shenzhen",
        ],
    ),
    # Zhenjiang: GDP since the 2019 revision; no factor, as no other Zhenjiang series has two
    # annual growths to share it (the 四群/八链 sales are one year)
    (
        f"{FRAG}/zhenjiang-trend-fit-zhenjiang.yaml",
        f"{FRAG}/zhenjiang-trend-base.yaml",
        ["calibration/zhenjiang.csv", "-x", "gdp", "--break", "gdp=2019", "--shocks"],
    ),
    # Ezhou: no Ezhou series has a history; the national price indices up to 2024 (the plan
    # is of Nov 2024) deflate its comparable-price (可比价) value-added target
    (
        f"{FRAG}/ezhou-trend-fit-prices.yaml",
        f"{FRAG}/ezhou-trend-base.yaml",
        [
            "calibration/prices.csv",
            "--region",
            "China",
            "-x",
            "gdp_deflator",
            "-x",
            "ppi",
            "--until",
            "2024",
            "--shocks",
            "--factor",
            "china_prices",
        ],
    ),
]


def run(out: str, scenario: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [
        sys.executable,
        "-m",
        "clustersim",
        "calibrate",
        args[0],
        "-S",
        scenario,
        *args[1:],
        "--out",
        out,
    ]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for out, scenario, args in STEPS:
        if not check:
            print("clustersim calibrate", args[0], "-S", scenario, *args[1:], "--out", out)
            run(out, scenario, args)
            continue
        # write beside the fragment (relative paths in it depend on its folder), compare, remove
        with tempfile.NamedTemporaryFile(
            dir=ROOT / FRAG, prefix=".check-", suffix=".yaml", delete=False
        ) as tmp:
            probe = Path(tmp.name)
        try:
            run(str(probe.relative_to(ROOT)), scenario, args)
            new = probe.read_text(encoding="utf-8").replace(probe.name, Path(out).name)
            if new != (ROOT / out).read_text(encoding="utf-8"):
                stale.append(out)
        finally:
            probe.unlink(missing_ok=True)
    for s in stale:
        print(f"stale: {s} (regenerate: PYTHONPATH=src python tools/calibrate_trends.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
