"""clustersim.malloc: freed memory is kept, so arrays made again and again reuse their pages
(counted as minor page faults in fresh interpreters), and ``$CLUSTERSIM_KEEP_MEMORY=0``
leaves malloc alone."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# 20 rounds of eight 1 MiB arrays made and freed; prints whether malloc was tuned and the
# minor page faults per round
CHILD = r"""
import resource, sys
import numpy as np
from clustersim.malloc import keep_freed_memory
tuned = keep_freed_memory() if sys.argv[1] == "1" else False
def work():
    a = [np.ones(2**17) for _ in range(8)]
    del a
for _ in range(3):
    work()
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    work()
print(tuned, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 20)
"""

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"),
    reason="glibc's mallopt",
)


def _child(tune: bool, **env: str) -> tuple[str, float]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    e.update(env, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "1" if tune else "0"],
        env=e,
        capture_output=True,
        text=True,
        check=True,
    )
    tuned, faults = out.stdout.split()
    return tuned, float(faults)


@glibc
def test_kept_memory_is_reused_without_page_faults() -> None:
    tuned, faults = _child(True)
    assert tuned == "True"
    assert faults < 16  # by hand: the 8 MiB are reused, no page is touched for the first time
    untuned, before = _child(False)
    assert untuned == "False"
    # by hand: glibc gives back all but ~2 MiB of the 8 MiB each round: ~1,500 of 2,048 pages
    assert before > 1_000


@glibc
def test_the_environment_turns_it_off() -> None:
    tuned, faults = _child(True, CLUSTERSIM_KEEP_MEMORY="0")
    assert tuned == "False"
    assert faults > 1_000


def test_it_is_one_call_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import clustersim.malloc as malloc

    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(malloc, "_done", None)
    monkeypatch.setattr(malloc, "_mallopt", lambda p, v: calls.append((p, v)) or True)
    assert malloc.keep_freed_memory() is True
    assert malloc.keep_freed_memory() is True
    assert calls == [(-3, 32 * 2**20), (-1, 256 * 2**20)]
    monkeypatch.setattr(malloc, "_done", None)
    monkeypatch.setenv(malloc.KEEP_MEMORY_ENV, "0")
    assert malloc.keep_freed_memory() is False
    assert len(calls) == 2
