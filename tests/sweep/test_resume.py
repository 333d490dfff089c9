"""Resume: a sweep killed with SIGKILL continues to the same bytes; changed inputs are refused."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from clustersim.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"
CLI = [sys.executable, "-c", "from clustersim.cli import main; main()"]


def _sweep(tmp_path: Path, scenario: Path = EXAMPLE, **doc: object) -> Path:
    base = {
        "scenario": str(scenario),
        "method": "monte_carlo",
        "samples": 6000,
        "seed": 1,
        "chunk_size": 30,
        "parameters": {"clusters.new_materials.output.growth.rate": {"range": [0.04, 0.12]}},
    }
    base.update(doc)
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return p


def _digest(out: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted((out / "samples").glob("*.parquet"))
    }


def _summary(out: Path) -> dict:
    doc = json.loads((out / "summary.json").read_text())
    doc.pop("run")
    return doc


def test_a_killed_sweep_resumes_to_identical_results(tmp_path):
    sweep = _sweep(tmp_path)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*CLI, "sweep", str(sweep), "--out", str(killed), "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((killed / "samples").glob("part-*.parquet"))) >= 3:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr}"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    parts = sorted((killed / "samples").glob("part-*.parquet"))
    assert 3 <= len(parts) < 25
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["status"] == "running" and manifest["chunks"] == 200
    assert not (killed / "summary.json").exists()
    # a kill during a write leaves a hidden temporary; dataset readers skip it, resume drops it
    stale = killed / "samples" / ".part-000199.parquet.abc123.tmp"
    stale.write_bytes(b"half a parquet file")
    before = {p.name: p.stat().st_mtime_ns for p in parts}

    runner = CliRunner()
    r = runner.invoke(
        app, ["sweep", str(sweep), "--out", str(killed), "--workers", "2", "--resume"]
    )
    assert r.exit_code == 0, r.output
    assert f"{8 * len(parts)} already done" in r.output  # a part of 8 chunks of 30
    assert not stale.exists()
    for p in parts:  # finished parts were skipped, not rewritten
        assert p.stat().st_mtime_ns == before[p.name]

    clean = tmp_path / "clean"
    r = runner.invoke(app, ["sweep", str(sweep), "--out", str(clean), "--workers", "1", "-q"])
    assert r.exit_code == 0, r.output
    assert len(_digest(clean)) == 25  # 200 chunks, 8 a part
    assert _digest(killed) == _digest(clean)
    assert _summary(killed) == _summary(clean)
    m = json.loads((killed / "manifest.json").read_text())
    assert m["status"] == "complete"
    assert [run["status"] for run in m["timings"]["runs"]] == [
        "complete"
    ]  # the killed run left none
    # timings of the chunks this run computed (the killed run's last ones may be lost)
    assert 200 - 8 * len(parts) <= len(m["timings"]["chunk_seconds"]) <= 200


@pytest.fixture
def finished(tmp_path):
    sweep = _sweep(tmp_path, samples=300, chunk_size=100)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "-w", "1", "-q"])
    assert r.exit_code == 0, r.output
    return sweep, out


def test_resume_refuses_a_changed_seed(finished):
    sweep, out = finished
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--resume", "--seed", "2"])
    assert r.exit_code == 2
    assert (
        f"error: {out}/manifest.json: cannot resume: the seed changed (manifest 1, now 2); pass --seed 1"
        in r.output
    )


def test_resume_refuses_a_changed_scenario(finished, tmp_path):
    sweep, out = finished
    edited = tmp_path / "edited.yaml"
    edited.write_text(EXAMPLE.read_text().replace("base: 5264.07", "base: 5300"), encoding="utf-8")
    doc = yaml.safe_load(sweep.read_text())
    doc["scenario"] = str(edited)
    sweep.write_text(yaml.safe_dump(doc), encoding="utf-8")
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--resume"])
    assert r.exit_code == 2
    assert "cannot resume: the scenario changed" in r.output


def test_resume_refuses_a_changed_layout_or_design(finished):
    sweep, out = finished
    r = CliRunner().invoke(
        app, ["sweep", str(sweep), "--out", str(out), "--resume", "--chunk-size", "50"]
    )
    assert (
        r.exit_code == 2
        and "the chunk size changed (manifest 100, now 50): each chunk's random streams depend on the layout; pass --chunk-size 100"
        in r.output
    )
    doc = yaml.safe_load(sweep.read_text())
    doc["parameters"]["clusters.new_materials.output.growth.rate"] = {"range": [0.04, 0.13]}
    sweep.write_text(yaml.safe_dump(doc), encoding="utf-8")
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "the sweep design changed" in r.output


def test_an_existing_sweep_is_never_overwritten_without_resume(finished):
    sweep, out = finished
    before = _digest(out)
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out)])
    assert r.exit_code == 2
    assert f"error: {out}: already holds a sweep (manifest.json); pass --resume" in r.output
    assert _digest(out) == before
    # resuming a finished sweep recomputes nothing and gives the same summary
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--resume", "-w", "1"])
    assert r.exit_code == 0 and "(0 run, 3 already done)" in r.output
    assert _digest(out) == before
