"""Every bad input of the committed corpus is refused cleanly by the CLI.

For each entry of ``cases.yaml`` (a file of ``corpus/``, or a workbook built here from the
corpus's ``ok.yaml`` with one cell edited): exit status 2, no traceback, an error line that
starts with exactly ``error: FILE:LINE: field:`` and says what is wrong, nothing written, at
most 2 CPU seconds, and the process's address space capped (``runner.py``). One subprocess
runs every case: starting the CLI costs about as much as all the cases together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
CPU_LIMIT = 2.0
RSS_LIMIT_KB = 600 * 1024

# workbook cases: (file, sheet, cell, new value or None to delete the sheet, at, field, says)
WORKBOOKS: list[tuple[str, str, str, Any, str, str, str]] = [
    (
        "x_text_base.xlsx",
        "clusters",
        "C3",
        "abc",
        "cell C3",
        "clusters.a.output.base",
        "valid number",
    ),
    ("x_missing_value.xlsx", "clusters", "C3", "", "cell C3", "clusters.a.output.base", "no value"),
    (
        "x_negative_rate.xlsx",
        "growth",
        "E5",
        -2,
        "cell E5",
        "clusters.a.output.growth.rate",
        "above -100%",
    ),
    ("x_inf.xlsx", "region", "C2", "inf", "cell C2", "region.gdp.base", "finite number"),
    (
        "x_bad_field.xlsx",
        "clusters",
        "B3",
        "output.bse",
        "cell C3",
        "clusters.a.output.bse",
        "unknown field; did you mean 'base'?",
    ),
    (
        "x_long_expr.xlsx",
        "metrics",
        "B2",
        "+".join(["gdp"] * 100),
        "cell B2",
        "metrics.s",
        "nests more than 64 levels",
    ),
    ("x_bad_year.xlsx", "scenario", "B4", "twenty", "cell B4", "base_year", "valid integer"),
    ("x_date.xlsx", "scenario", "B4", dt.date(2023, 1, 1), "cell B4", "base_year", "valid integer"),
    (
        "x_huge_int.xlsx",
        "clusters",
        "C3",
        "9" * 400,
        "cell C3",
        "clusters.a.output.base",
        "finite number",
    ),
    ("x_missing_sheet.xlsx", "growth", "", None, "", "", "missing sheet(s) 'growth'"),
]


def _cases() -> list[dict[str, Any]]:
    spec = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = []
    for cmd, entries in spec.items():
        for entry in entries:
            file, at, field, says = entry[:4]
            env = entry[4] if len(entry) > 4 else {}
            args = {
                "run": ["run", file],
                "sweep": ["sweep", file, "--out", "written_by_sweep"],
                "calibrate": ["calibrate", file, "--scenario", "ok.yaml", "--out", "written.yaml"],
                "import": ["import", file, "--out", "written.yaml"],
            }[cmd]
            out.append(
                {"id": file, "args": args, "env": env, "at": at, "field": field, "says": says}
            )
    for file, sheet, _cell, _value, where, field, says in WORKBOOKS:
        at = f"{file}: sheet '{sheet}', {where}" if where else file
        out.append(
            {
                "id": file,
                "args": ["import", file, "--out", "written.yaml"],
                "env": {},
                "at": at,
                "field": field,
                "says": says,
            }
        )
    return out


CASES = _cases()


def _build_workbooks(scratch: Path) -> None:
    pytest.importorskip("openpyxl")
    from openpyxl import load_workbook

    from clustersim.report.excel import write_workbook
    from clustersim.scenario.loader import load_scenario

    base = scratch.parent / "ok.xlsx"
    write_workbook(load_scenario(CORPUS / "ok.yaml"), base)
    for file, sheet, cell, value, *_ in WORKBOOKS:
        wb = load_workbook(base)
        if value is None:
            wb.remove(wb[sheet])
        else:
            wb[sheet][cell] = value if value != "" else None
        wb.save(scratch / file)


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    top = tmp_path_factory.mktemp("hostile")
    scratch = top / "corpus"
    shutil.copytree(CORPUS, scratch)
    os.mkfifo(scratch / "made_at_test_time.fifo")  # a FIFO cannot be committed
    _build_workbooks(scratch)
    before = _listing(scratch)
    cases_file = top / "cases.json"
    cases_file.write_text(json.dumps(CASES), encoding="utf-8")
    # the clustersim under test, whatever the working directory (PYTHONPATH may be relative)
    import clustersim

    src = str(Path(clustersim.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, str(HERE / "runner.py"), str(cases_file)],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [g["id"] for g in got] == [c["id"] for c in CASES], proc.stderr[-3000:]
    after = _listing(scratch)
    for g in got:
        g["written"] = sorted(set(after) - set(before))
    return {g["id"]: g for g in got}


def test_the_corpus_is_large_and_indexed() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    indexed = {c["id"] for c in CASES}
    assert len(indexed) >= 60
    assert indexed - {w[0] for w in WORKBOOKS} <= files
    # every corpus file is a case, or a helper a case points at
    helpers = {
        "ok.yaml",
        "binary.bin",
        "not_a_scenario.txt",
        "chain_b.yaml",
        "chain_c.yaml",
        "cycle_c.yaml",
    }
    assert files - indexed <= helpers, sorted(files - indexed - helpers)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_refused_cleanly(case: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    r = results[case["id"]]
    assert r["traceback"] == "", r["traceback"]
    assert "Traceback" not in r["stderr"]
    assert r["code"] == 2, (r["stdout"][-500:], r["stderr"][-500:])
    prefix = f"error: {case['at']}: " + (f"{case['field']}: " if case["field"] else "")
    lines = r["stderr"].splitlines()
    saying = [ln for ln in lines if case["says"] in ln]
    assert saying, r["stderr"]
    assert saying[0].startswith(prefix), (prefix, r["stderr"])
    assert all(ln.startswith("error: ") for ln in lines), r["stderr"]
    assert r["written"] == [], r["written"]
    assert r["cpu"] < CPU_LIMIT, f"{r['cpu']:.2f} CPU seconds"
    assert r["maxrss_kb"] < RSS_LIMIT_KB, f"{r['maxrss_kb'] / 1024:.0f} MB resident"


def test_a_valid_scenario_passes_through_the_runner(
    results: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The runner itself can tell success from refusal: the helper scenario runs (exit 0)."""
    from clustersim.cli import app

    sys.path.insert(0, str(HERE))
    try:
        from runner import run_case
    finally:
        sys.path.remove(str(HERE))
    r = run_case(app, {"id": "ok", "args": ["validate", str(CORPUS / "ok.yaml")], "env": {}})
    assert r["code"] == 0, r["stderr"]
    assert r["traceback"] == ""
