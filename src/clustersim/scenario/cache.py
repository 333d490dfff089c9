"""A cache of validated scenarios, so a cold ``clustersim run`` does not pay pydantic.

Validating a scenario needs pydantic's validators, and building them for the ~55 scenario
models costs about half a second in every fresh process (the models are declared with
``defer_build=True``: nothing is built until the first validation). A scenario that
validated is therefore kept, pickled, in the user's cache folder
(:func:`clustersim.cachefolder.cache_dir` ``/ "scenarios"``) and a later run of the same
files unpickles it: pydantic's ``__setstate__`` does not validate, so no validator is built.

What an entry holds: the validated :class:`~clustersim.scenario.models.Scenario` with its
:class:`~clustersim.scenario.provenance.Provenance` (the merged data, where each value was
written, the ``extends`` chain), and what it is valid for:

- its name: the SHA-256 of the path as given, the working folder (the provenance names files
  as they were given), the versions of clustersim, Python, pydantic, pydantic-core and NumPy,
  and ``$CLUSTERSIM_MAX_FILE_MB`` (the size cap the files passed);
- inside: the SHA-256 of the bytes of every file of the ``extends`` chain, as validated, and
  of the source of every clustersim module loaded when it was written (and PyYAML's), so an
  edited fragment or an edited model is a miss.

A hit re-reads and re-hashes those files (a few milliseconds). Anything unexpected in an
entry (unreadable, truncated, another format, a class that no longer unpickles) is a miss;
the scenario is then validated as without the cache and the entry rewritten. At most
:data:`MAX_ENTRIES` entries are kept: writing one more removes the least recently used. An invalid
scenario raises exactly as without the cache and is never written. Writing is atomic
(temporary file and ``os.replace``) and a failure to write is ignored: the cache never fails
a run. ``$CLUSTERSIM_NO_CACHE=1`` (or ``clustersim run --no-cache``) turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from clustersim.scenario.limits import MAX_FILE_ENV
from clustersim.scenario.loader import load_data, load_scenario, validate_loaded
from clustersim.scenario.models import Scenario

__all__ = ["NO_CACHE_ENV", "cache_enabled", "entry_path", "load_scenario_cached"]

#: set to anything but ``""`` or ``"0"``: no scenario cache
NO_CACHE_ENV = "CLUSTERSIM_NO_CACHE"
#: the layout of an entry; a change makes every older entry a miss
FORMAT = 1
#: entries kept; writing one more removes the least recently used (an entry is ~0.2 MB)
MAX_ENTRIES = 256


def cache_enabled() -> bool:
    """False when ``$CLUSTERSIM_NO_CACHE`` is set (to anything but ``""`` or ``"0"``)."""
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


def _key(path: str | Path) -> str:
    import numpy
    import pydantic
    import pydantic_core

    from clustersim._version import __version__

    parts = (
        FORMAT,
        str(Path(path)),
        os.getcwd(),
        __version__,
        sys.version,
        pydantic.VERSION,
        pydantic_core.__version__,
        numpy.__version__,
        os.environ.get(MAX_FILE_ENV, ""),
    )
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def entry_path(path: str | Path) -> Path | None:
    """The cache file of scenario ``path`` (as given, from the working folder), or None
    when there is no usable cache folder."""
    from clustersim.cachefolder import cache_dir
    from clustersim.errors import ClusterSimError

    try:
        folder = cache_dir() / "scenarios"
    except ClusterSimError:  # a folder inside the package: refused, so no cache
        return None
    return folder / f"{_key(path)}.pickle"


def _digest(name: str) -> str:
    with open(name, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _sources() -> list[str]:
    """The source files of the loaded clustersim modules (and PyYAML's, whose parsing the
    data went through)."""
    out = set()
    for name, mod in list(sys.modules.items()):
        if name == "clustersim" or name.startswith("clustersim.") or name == "yaml":
            file = getattr(mod, "__file__", None)
            if isinstance(file, str) and file.endswith(".py") and os.path.isfile(file):
                out.add(file)
    return sorted(out)


def _read(entry: Path, key: str) -> Scenario | None:
    """The scenario of ``entry`` when every file it depends on is unchanged, else None."""
    try:
        with open(entry, "rb") as f:
            blob = f.read()
        header, payload = pickle.loads(blob)
        if header["format"] != FORMAT or header["key"] != key:
            return None
        for name, digest in header["files"]:
            if _digest(name) != digest:
                return None
        sc = pickle.loads(payload)
    except Exception:  # missing, unreadable, corrupt or stale: a miss
        return None
    if not isinstance(sc, Scenario) or sc.provenance is None:
        return None
    with contextlib.suppress(OSError):  # used now: the last to be pruned
        os.utime(entry)
    return sc


def _prune(folder: Path, keep: int) -> None:
    """Remove the least recently used entries beyond ``keep``."""
    entries = []
    for e in os.scandir(folder):
        if e.name.endswith(".pickle"):
            with contextlib.suppress(OSError):
                entries.append((e.stat().st_mtime_ns, e.path))
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _write(entry: Path, key: str, sc: Scenario, digests: dict[str, str]) -> None:
    """Write the entry atomically; any failure leaves the cache as it was and is ignored."""
    tmp: str | None = None
    try:
        files = list(digests.items()) + [(s, _digest(s)) for s in _sources()]
        header: dict[str, Any] = {"format": FORMAT, "key": key, "files": files}
        payload = pickle.dumps(sc, protocol=pickle.HIGHEST_PROTOCOL)
        blob = pickle.dumps((header, payload), protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, entry)
        tmp = None
        _prune(entry.parent, MAX_ENTRIES)
    except Exception:  # the cache never fails a run
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def cached(path: str | Path) -> Scenario | None:
    """The cached scenario of ``path`` when the cache is on and its entry is valid (every
    file it was made from unchanged), else None; nothing is validated or written."""
    if not cache_enabled():
        return None
    entry = entry_path(path)
    return None if entry is None else _read(entry, entry.stem)


def store(path: str | Path, sc: Scenario, digests: dict[str, str]) -> None:
    """Keep ``sc``, validated from ``path`` (``digests`` from :func:`load_data`'s), for the
    next :func:`cached` or :func:`load_scenario_cached` of the same files (when the cache is
    on; a failure to write is ignored)."""
    if not cache_enabled():
        return
    entry = entry_path(path)
    if entry is not None:
        _write(entry, entry.stem, sc, digests)


def load_scenario_cached(path: str | Path) -> Scenario:
    """:func:`~clustersim.scenario.loader.load_scenario` through the cache: the same
    scenario (and provenance), validated once for the same files.

    Raises
    ------
    ScenarioError
        As :func:`~clustersim.scenario.loader.load_scenario`, word for word (an invalid
        scenario is never cached).
    """
    if not cache_enabled():
        return load_scenario(path)
    entry = entry_path(path)
    if entry is None:
        return load_scenario(path)
    key = entry.stem
    sc = _read(entry, key)
    if sc is not None:
        return sc
    digests: dict[str, str] = {}
    sc = validate_loaded(load_data(path, digests=digests))
    _write(entry, key, sc, digests)
    return sc
