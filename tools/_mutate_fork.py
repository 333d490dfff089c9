"""Forked mutant workers for tools/mutate.py: one warm parent, one ``fork()`` per mutant.

A fresh ``pytest`` process per mutant spends ~3 s importing numpy, scipy, pydantic, the
package and the test modules before it runs a single test (about 3 h for ~2,500 mutants
on 2 cores). Here the parent pays that once: it imports the package and collects the
whole test suite (so every test module and conftest sits in ``sys.modules``), indexes the
live function objects of the mutated files, then forks a child per mutant. The child
swaps the mutated function in and runs the selected tests in-process with
``pytest.main`` (fastest first, stopping at the first failure); the parent kills a child
that outlives its time budget.

How the mutant gets in: the mutated file is compiled, and each function whose byte code
changed gets its new code object assigned to ``function.__code__`` on the live function.
Every reference to it (``from x import f``, a registry, a bound method, a pydantic
validator, a closure) sees the mutant, which a module reload would not give. Mutants
outside any function (a module constant, a class attribute) cannot be swapped in that way
without creating new classes; :func:`patch` says so and the caller runs them in a fresh
interpreter instead (a few percent of the mutants).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import importlib
import os
import pkgutil
import signal
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: flags of a function's code object (class and module bodies have neither)
_FUNCTION = 0x01  # CO_OPTIMIZED


def _walk(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _walk(c)


def _shallow(code: types.CodeType) -> tuple[Any, ...]:
    """A code object's own content: nested code objects and positions left out, so a
    change shows only in the code that holds it."""
    consts = tuple(
        ("<code>", c.co_qualname) if isinstance(c, types.CodeType) else (type(c), c)
        for c in code.co_consts
    )
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars)


def _outer_function(qualname: str) -> str:
    """``f.<locals>.g.<locals>.<listcomp>`` -> ``f``: the function object that exists
    while the module is idle (a nested function is made from a constant of its parent)."""
    return qualname.split(".<locals>.")[0]


class Warm:
    """The parent's state: the package and the tests imported, functions indexed."""

    def __init__(self, root: Path, src: Path, tests: list[str], files: list[Path]) -> None:
        self.root = root
        self.files = {str(f) for f in files}
        sys.path[:0] = [str(src), str(root)]
        os.environ["PYTHONPATH"] = os.pathsep.join([str(src), str(root)])
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        import clustersim

        for info in pkgutil.walk_packages(clustersim.__path__, "clustersim."):
            if info.name.endswith("__main__"):
                continue
            with contextlib.suppress(Exception):
                importlib.import_module(info.name)
        self.index()

    def index(self) -> None:
        """The live function objects of the mutated files (after the tests are imported:
        test modules may hold functions of the package too)."""
        gc.collect()
        self.functions: dict[tuple[str, str], list[types.FunctionType]] = {}
        self.caches: list[Any] = []
        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType) and obj.__code__.co_filename in self.files:
                key = (obj.__code__.co_filename, obj.__code__.co_qualname)
                self.functions.setdefault(key, []).append(obj)
            elif isinstance(obj, functools._lru_cache_wrapper) and str(
                getattr(obj, "__module__", "")
            ).startswith("clustersim"):
                self.caches.append(obj)

    def pytest_args(self) -> list[str]:
        return [
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--no-header",
            "--rootdir",
            str(self.root),
            "-c",
            str(self.root / "pyproject.toml"),
        ]

    def patch(self, path: Path, original: str, mutated: str) -> str | None:
        """Swap the mutated functions of ``path`` into the live ones (in the child);
        the reason it cannot, or None when done."""
        old = compile(ast.unparse(ast.parse(original)), str(path), "exec")
        new = compile(mutated, str(path), "exec")
        old_by: dict[str, list[types.CodeType]] = {}
        new_by: dict[str, list[types.CodeType]] = {}
        for code, into in ((old, old_by), (new, new_by)):
            for c in _walk(code):
                into.setdefault(c.co_qualname, []).append(c)
        changed = set()
        for q, codes in new_by.items():
            before = old_by.get(q, [])
            if [_shallow(c) for c in codes] != [_shallow(c) for c in before]:
                changed.add(q)
        if not changed:
            return "no byte code changed"
        done = 0
        for q in sorted({_outer_function(q) for q in changed}):
            codes = new_by.get(q, [])
            if len(codes) != 1 or not codes[0].co_flags & _FUNCTION:
                return f"{q} is not one function (a module or class body, or a redefinition)"
            live = self.functions.get((str(path), q), [])
            if not live:
                return f"no live function {q}"
            for f in live:
                if len(f.__code__.co_freevars) != len(codes[0].co_freevars):
                    return f"{q}: closure changed"
                f.__code__ = codes[0]
                done += 1
        for cache in self.caches:
            cache.cache_clear()
        return None if done else "nothing patched"


def _no_shrinking() -> None:
    """Hypothesis without its shrink phase or example database: a mutant is killed by the
    first failing example; shrinking it to a minimal one (often seconds) tells nothing
    more here."""
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile(
        "mutate", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
    )
    settings.load_profile("mutate")


class Child:
    """A forked mutant run: :meth:`poll` until it returns (status, reason, seconds)."""

    def __init__(
        self,
        warm: Warm,
        path: Path,
        original: str,
        mutated: str,
        body: Any,
        budget: float,
        log: Path,
    ) -> None:
        """Fork; the child patches and returns ``body()`` as its exit code (0 all
        passed, 1 a test failed)."""
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + budget
        self.log = log
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's loop
            os.close(r)
            code = 3
            try:
                fd = os.open(str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                why = warm.patch(path, original, mutated)
                if why is not None:
                    os.write(w, why.encode()[:500])
                    code = 4
                else:
                    code = int(body())
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    os.write(w, repr(exc).encode()[:500])
                code = 3
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self.pipe = pid, r
        self.cpu = 0.0

    def poll(self) -> tuple[str, str, float] | None:
        """None while running; else killed, survived, timeout, error, or ``unpatchable``
        (the caller runs that mutant in a fresh interpreter)."""
        done, st, usage = os.wait4(self.pid, os.WNOHANG)
        timed_out = False
        if not done:
            if time.perf_counter() <= self.deadline:
                return None
            os.kill(self.pid, signal.SIGKILL)
            _, st, usage = os.wait4(self.pid, 0)
            timed_out = True
        # CPU seconds of the child: on a shared machine wall time says more about the
        # neighbours than about the run
        self.cpu = usage.ru_utime + usage.ru_stime
        msg = b""
        with contextlib.suppress(OSError):
            msg = os.read(self.pipe, 600)
        os.close(self.pipe)
        seconds = time.perf_counter() - self.t0
        if timed_out:
            return "timeout", "", seconds
        rc = os.waitstatus_to_exitcode(st)
        if rc == 4:
            return "unpatchable", msg.decode(errors="replace"), seconds
        status = {0: "survived", 1: "killed"}.get(rc, "error")
        reason = ""
        if status == "error":
            log = self.log
            tail = log.read_text(encoding="utf-8", errors="replace")[-400:] if log.exists() else ""
            reason = f"exit {rc}: {msg.decode(errors='replace')} {tail}"
        return status, reason, seconds


class Loop:
    """A pytest plugin: once the whole suite is collected (in this, the warm parent), fork
    a child per mutant that runs the selected items directly (no collection per mutant),
    in the given order, and exits at the first failure.

    ``schedule(items, run)`` is called with the collected items by node id and a function
    ``run(item_ids, patch_args, budget, log) -> Child`` that starts one mutant.
    """

    def __init__(self, warm: Warm, schedule: Any) -> None:
        self.warm = warm
        self.schedule = schedule
        self.failed = False

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.failed = True

    def pytest_runtestloop(self, session: Any) -> bool:
        items = {it.nodeid: it for it in session.items}
        self.warm.index()

        def run(ids: list[str], patch: tuple[Path, str, str], budget: float, log: Path) -> Child:
            chosen = [items[i] for i in ids if i in items]

            def body() -> int:
                _no_shrinking()
                for k, item in enumerate(chosen):
                    nxt = chosen[k + 1] if k + 1 < len(chosen) else None
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=nxt)
                    if self.failed:
                        return 1
                return 0 if chosen else 5

            return Child(self.warm, *patch, body, budget, log)

        self.schedule(items, run)
        return True
