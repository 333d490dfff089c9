"""Regenerate the golden files (only when a change of numbers is intended and explained)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.golden.test_golden import MODE_ARGS, SCENARIOS, SWEEPS  # noqa: E402

#: this checkout's code, not whatever ``clustersim`` is first on PATH
CLI = [sys.executable, "-m", "clustersim"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def main() -> None:
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    for path in SCENARIOS:
        for mode, args in MODE_ARGS.items():
            out = subprocess.run(
                [*CLI, "run", str(path), "--json", *args],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=ENV,
            ).stdout.replace(f"{ROOT}/", "")  # the audit's file:line, relative to the checkout
            (data / f"run-{path.stem}-{mode}.json").write_text(out, encoding="utf-8")
    for name, args in SWEEPS.items():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [*CLI, "sweep", *args, "--out", f"{tmp}/s"],
                check=True,
                cwd=ROOT,
                capture_output=True,
                env=ENV,
            )
            summary = json.loads(Path(f"{tmp}/s/summary.json").read_text(encoding="utf-8"))
        summary.pop("run")
        text = json.dumps(summary, indent=1, ensure_ascii=False, sort_keys=True)
        (data / f"sweep-{name}-summary.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
