"""Atomic writes: a file (or a set of files) appears whole or not at all.

Each file is written to a hidden temporary name in its destination directory and renamed
into place (``os.replace``, atomic on one file system) only when everything succeeded; on any
error, or an interrupt, the temporaries are removed and existing files stay as they were.
Temporaries get the permissions of an ordinary new file (``0o666`` less the umask), not
``mkstemp``'s private ``0o600``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from clustersim.errors import ClusterSimError

__all__ = ["atomic_path", "staged_files", "write_bytes"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary(final: Path, suffix: str = ".tmp") -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix, dir=final.parent)
    except OSError as exc:
        raise ClusterSimError(f"{final}: cannot write: {exc}") from exc
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


@contextmanager
def staged_files(out_dir: str | Path) -> Iterator[Callable[[str], Path]]:
    """Stage several files in ``out_dir``; all appear when the block ends without error.

    Yields ``new(name)``, which returns the temporary path to write ``out_dir/name`` to.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClusterSimError(f"{out}: cannot create the output directory: {exc}") from exc
    temps: list[tuple[Path, Path]] = []

    def new(name: str) -> Path:
        final = out / name
        tmp = _temporary(final)
        temps.append((tmp, final))
        return tmp

    try:
        yield new
        for tmp, final in temps:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path to write ``path`` through; renamed into place on success."""
    final = Path(path)
    tmp = _temporary(final, suffix)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, blob: bytes) -> Path:
    """Write ``blob`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(blob)
    return Path(path)
