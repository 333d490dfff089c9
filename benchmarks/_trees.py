"""One measurement in a fresh child process that imports clustersim from a given tree.

The benchmark scripts that compare two trees (``chunk_compile.py``, ``sweeps/inprocess.py``,
``sweeps/compare.py``) run each measurement as ``python -c CODE ARGS`` with ``PYTHONPATH``
set to that tree's ``src``; the child prints one JSON document as its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def child_json(
    src: Path,
    code: str,
    args: Sequence[str],
    what: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """The JSON document ``code`` (run with ``args``, clustersim imported from ``src``)
    prints last; a failed child stops the script with its stderr, labelled ``what``."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {}), "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    if out.returncode:
        raise SystemExit(f"measurement failed ({what}):\n{out.stderr}")
    doc: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return doc
