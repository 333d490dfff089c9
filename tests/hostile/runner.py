"""Run hostile-input cases through the CLI in one process, under a memory cap.

Used by ``test_corpus.py`` as ``python runner.py CASES_JSON`` with the working directory a
scratch copy of the corpus. Starting the CLI costs about a second, so one process runs many
cases; each case gets its own captured stdout and stderr, its exit status, any escaped
exception's traceback, and the CPU seconds it used. ``RLIMIT_AS`` caps the address space of
the whole process, so a case that tries to allocate gigabytes fails with MemoryError (and is
reported) instead of taking the machine down.

Prints one JSON object per line, one per case, in order.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

#: address-space cap of the runner process: numpy, scipy, pyarrow and openpyxl mapped in,
#: and a few hundred megabytes of headroom for the inputs
MEMORY_CAP = 1536 * 2**20


def run_case(app: Any, case: dict[str, Any]) -> dict[str, Any]:
    """Run one CLI invocation in this process; what it printed and how it ended."""
    env = case.get("env") or {}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    tb = ""
    t0 = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            app(case["args"], prog_name="clustersim")
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # the point is to report anything that escapes
        code = 1
        tb = traceback.format_exc()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {
        "id": case["id"],
        "code": code if isinstance(code, int) else 1,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "traceback": tb,
        "cpu": time.process_time() - t0,
        "maxrss_kb": _peak_rss_kb(),
    }


def _peak_rss_kb() -> int:
    """Peak resident memory of this process, in KiB.

    ``VmHWM`` belongs to this process's own address space (reset by ``exec``), whereas
    ``ru_maxrss`` keeps the high-water mark of the parent that forked it: run from a pytest
    process that has grown to a gigabyte, every case would seem to use a gigabyte.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    """Run the cases of the JSON file named on the command line."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    from clustersim.cli import app

    for case in cases:
        print(json.dumps(run_case(app, case)), flush=True)


if __name__ == "__main__":
    main()
