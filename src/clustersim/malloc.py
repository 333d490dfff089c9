"""Keep freed memory in the process: glibc's malloc tuned for work done chunk after chunk.

A sweep or a chunked run allocates the same arrays again for every chunk: ~0.5 MB per drawn
column of 65,536 samples, ~10 MB per stacked quantity, the kernel's buffers. glibc's malloc
serves a block above its mmap threshold (128 KiB at start, raised to the size of such a
block when one is freed) with a fresh ``mmap``, and gives the top of its heap back to the
system once more than twice that threshold is free there. Either way the next chunk's
arrays land on new pages, and the first write to each page is a page fault.

On the 2-core VM this project is measured on, a fault costs ~3.5 us: compiling one
65,536-sample chunk of the benchmark's 20 x 12 scenario took ~3,000 faults, ~40% of its CPU
(32.7 -> 20.6 ms a chunk without them, ``benchmarks/README.md``). :func:`keep_freed_memory`
sets ``M_MMAP_THRESHOLD`` to 32 MiB (glibc's maximum: blocks up to that size come from the
heap and are reused) and ``M_TRIM_THRESHOLD`` to 256 MiB (up to that much freed memory stays
with the process). The same numbers are computed; the process keeps at most 256 MiB more
than it uses. Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, the
opposite setting; the call overrides it in the worker.

Chunked runs (:func:`clustersim.engine.run_targets`) and sweep chunks call it; it is one
call per process, a no-op where the C library has no ``mallopt`` (macOS, Windows) and when
``$CLUSTERSIM_KEEP_MEMORY`` is ``0``.
"""

from __future__ import annotations

import os

__all__ = ["KEEP_MEMORY_ENV", "MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

#: set to ``0``: leave the C library's malloc as it is
KEEP_MEMORY_ENV = "CLUSTERSIM_KEEP_MEMORY"
#: blocks up to this size come from malloc's heap (glibc's largest allowed value on 64 bits)
MMAP_THRESHOLD = 32 * 2**20
#: freed memory kept at the top of the heap before it is given back to the system
TRIM_THRESHOLD = 256 * 2**20

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Tune this process's malloc once (see the module's text); True if it was tuned."""
    global _done
    if _done is None:
        _done = False
        if os.environ.get(KEEP_MEMORY_ENV, "1") != "0":
            _done = _mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and _mallopt(
                _M_TRIM_THRESHOLD, TRIM_THRESHOLD
            )
    return _done


def _mallopt(param: int, value: int) -> bool:
    import ctypes  # imported here: a cold ``clustersim run`` never needs it

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (AttributeError, OSError, TypeError):  # no C library's symbols, or no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(param, value))
