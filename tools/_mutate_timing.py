"""pytest plugin for tools/mutate.py: each test's duration (setup + call + teardown), by
node id, written as JSON to the file named by ``MUTATE_TIMES`` at the end of the session,
and the node ids of the tests that fail without any mutant to ``MUTATE_FAILED`` (a test
that fails anyway would "kill" every mutant it is chosen for)."""

from __future__ import annotations

import json
import os
from typing import Any

_times: dict[str, float] = {}
_failed: set[str] = set()


def pytest_runtest_logreport(report: Any) -> None:
    _times[report.nodeid] = _times.get(report.nodeid, 0.0) + float(report.duration)
    if report.failed:
        _failed.add(report.nodeid)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("MUTATE_TIMES")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_times, f, indent=0, sort_keys=True)
    path = os.environ.get("MUTATE_FAILED")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sorted(_failed), f, indent=0)
