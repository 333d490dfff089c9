"""pytest plugin for tools/mutate.py: each test's duration (setup + call + teardown), by
node id, written as JSON to the file named by ``MUTATE_TIMES`` at the end of the session."""

from __future__ import annotations

import json
import os
from typing import Any

_times: dict[str, float] = {}


def pytest_runtest_logreport(report: Any) -> None:
    _times[report.nodeid] = _times.get(report.nodeid, 0.0) + float(report.duration)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("MUTATE_TIMES")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_times, f, indent=0, sort_keys=True)
