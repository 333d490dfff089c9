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
validator, a closure) sees the mutant, which a module reload would not give.

Mutants outside any function run while the package is imported. Three kinds are set on
the live objects instead (:meth:`Warm.patch_body`), exactly as an import of the mutated
file would leave them:

- a default argument (``required: bool = True``): the function's ``__defaults__`` /
  ``__kwdefaults__``;
- a module constant (``SAFE = 64 * eps``): the module's attribute and every
  ``from module import SAFE`` binding of the same object;
- a class attribute declared ``ClassVar`` or not annotated (``percent: ClassVar[bool] =
  True``): ``setattr`` on the live class (its subclasses inherit it as they would).

Each only when nothing else read the name while the modules were imported (a default
``block: int = DEFAULT_BLOCK``, a pydantic field's annotation, a table built from a
constant, a test's parametrize list): a scan of every module's import-time code (outside
function bodies) lists those names, and a mutant of one of them, a pydantic or dataclass
field, an ``Annotated`` constraint or any other statement runs in a fresh interpreter
(:meth:`patch` says why; the caller does it).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import enum
import functools
import gc
import importlib
import os
import pkgutil
import re
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
        self.read_at_import = _read_at_import([*src.rglob("*.py"), *(root / "tests").rglob("*.py")])

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

    def patch(
        self, path: Path, original: str, mutated: str, import_time: bool = False
    ) -> str | None:
        """Swap the mutated functions of ``path`` into the live ones (in the child);
        the reason it cannot, or None when done. ``import_time``: the mutant's lines ran
        only while the modules were imported (a function that builds a registry), so a
        function swapped in now would never run them."""
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
            if len(codes) == 1 and not codes[0].co_flags & _FUNCTION:  # a module/class body
                return self.patch_body(path, original, mutated)
            if len(codes) != 1:
                return f"{q} is not one function (a redefinition)"
            if import_time:
                return f"{q} runs only while the modules are imported"
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

    def patch_body(self, path: Path, original: str, mutated: str) -> str | None:
        """Set a mutant of a module or class body on the live objects (see the module's
        docstring); the reason it cannot, or None when done."""
        module = next(
            (m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == str(path)),
            None,
        )
        if module is None:
            return "module not imported"
        found = _one_change(
            ast.parse(ast.unparse(ast.parse(original))).body, ast.parse(mutated).body
        )
        if isinstance(found, str):
            return found
        chain, before, after = found
        scope = vars(module)

        def value(expr: ast.expr | None) -> Any:
            if expr is None:
                return None
            try:
                return eval(compile(ast.Expression(expr), str(path), "eval"), scope)
            except Exception as exc:  # the import itself would fail: every test fails
                raise ImportFails(f"the import fails under the mutant: {exc!r}") from exc

        if isinstance(after, ast.FunctionDef | ast.AsyncFunctionDef):
            assert isinstance(before, ast.FunctionDef | ast.AsyncFunctionDef)
            same = copy.deepcopy(after)
            same.args.defaults, same.args.kw_defaults = (
                before.args.defaults,
                before.args.kw_defaults,
            )
            if ast.dump(same) != ast.dump(before):
                return f"{after.name}: more than a default changed"
            qual = ".".join([*chain, after.name])
            live = self.functions.get((str(path), qual), [])
            if not live:
                return f"no live function {qual}"
            defaults = tuple(value(d) for d in after.args.defaults)
            kw = {
                a.arg: value(d)
                for a, d in zip(after.args.kwonlyargs, after.args.kw_defaults, strict=True)
                if d is not None
            }
            for f in live:
                if len(f.__defaults__ or ()) != len(defaults) or set(f.__kwdefaults__ or {}) != set(
                    kw
                ):
                    return f"{qual}: its live defaults do not match the source (a wrapper)"
                f.__defaults__, f.__kwdefaults__ = defaults or None, kw or None
            return None
        name = _assigned_name(after)
        if name is None:
            return f"{type(after).__name__} in a module or class body"
        if name in self.read_at_import:
            return f"{name} is read while the modules are imported"
        new = value(after.value)  # type: ignore[attr-defined]
        if not chain:  # a module constant and its from-imports
            old = scope[name]
            for m in list(sys.modules.values()):
                if isinstance(m, types.ModuleType) and vars(m).get(name) is old:
                    setattr(m, name, new)
            return None
        cls: Any = module
        for part in chain:
            cls = getattr(cls, part, None)
        if not isinstance(cls, type) or issubclass(cls, enum.Enum) or dataclasses.is_dataclass(cls):
            return f"{'.'.join(chain)}: not a plain class (an enum, a dataclass)"
        annotation = getattr(after, "annotation", None)
        if annotation is not None and "ClassVar" not in ast.dump(annotation):
            return f"{'.'.join(chain)}.{name} is a field"
        if annotation is None and hasattr(cls, "model_fields"):
            return f"{'.'.join(chain)}.{name}: an unannotated attribute of a pydantic model"
        setattr(cls, name, new)
        return None


def _one_change(
    old: list[ast.stmt], new: list[ast.stmt], chain: tuple[str, ...] = ()
) -> tuple[list[str], ast.stmt, ast.stmt] | str:
    """The one statement that differs between two bodies, inside class bodies if need be:
    (the classes holding it, before, after), or why there is no such statement."""
    if len(old) != len(new):
        return "the mutant changed the number of statements"
    differ = [(a, b) for a, b in zip(old, new, strict=True) if ast.dump(a) != ast.dump(b)]
    if len(differ) != 1:
        return f"{len(differ)} statements changed"
    a, b = differ[0]
    if isinstance(a, ast.ClassDef) and isinstance(b, ast.ClassDef):
        if ast.dump(ast.Module(a.bases + a.keywords + a.decorator_list, [])) != ast.dump(  # type: ignore[arg-type]
            ast.Module(b.bases + b.keywords + b.decorator_list, [])  # type: ignore[arg-type]
        ):
            return f"class {a.name}: its bases or decorators changed"
        return _one_change(a.body, b.body, (*chain, a.name))
    return list(chain), a, b


def _assigned_name(stmt: ast.stmt) -> str | None:
    """``NAME = value`` or ``NAME: T = value``: NAME; else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target = stmt.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _read_at_import(files: list[Path]) -> set[str]:
    """Every name and attribute read by code that runs while the modules are imported:
    module and class bodies, decorators, default arguments and annotations (a string
    annotation's names too), ``getattr(x, "name")``; not function or lambda bodies (run
    later, by the tests)."""
    names: set[str] = set()

    def words(text: str) -> None:
        names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))

    def strings(node: ast.AST) -> None:  # forward references (not Literal values)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words(node.value)
        elif isinstance(node, ast.Subscript) and "Literal" in ast.dump(node.value):
            return
        for child in ast.iter_child_nodes(node):
            strings(child)

    def note(node: ast.AST | None) -> None:  # an annotation
        if node is not None:
            strings(node)
            visit(node)

    def visit(node: ast.AST | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                visit(sub)
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            args += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            for sub in [node.returns, *(a.annotation for a in args)]:
                note(sub)
            return
        if isinstance(node, ast.Lambda):
            for sub in [*node.args.defaults, *node.args.kw_defaults]:
                visit(sub)
            return
        if isinstance(node, ast.AnnAssign):
            note(node.annotation)
            visit(node.target)
            visit(node.value)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            names.add(node.args[1].value)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for f in files:
        with contextlib.suppress(SyntaxError, UnicodeDecodeError):
            visit(ast.parse(f.read_text(encoding="utf-8")))
    return names


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


class ImportFails(Exception):
    """Evaluating a mutated module or class body statement raised: importing the mutated
    file would fail, so the mutant is killed (a fresh interpreter reports a collection
    error)."""


class Child:
    """A forked mutant run: :meth:`poll` until it returns (status, reason, seconds)."""

    def __init__(
        self,
        warm: Warm,
        path: Path,
        original: str,
        mutated: str,
        import_time: bool,
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
                try:
                    why = warm.patch(path, original, mutated, import_time)
                except ImportFails as exc:  # killed, as a fresh interpreter's import would be
                    os.write(w, str(exc).encode()[:500])
                    os._exit(1)
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
        reason = msg.decode(errors="replace") if status == "killed" else ""  # an import fails
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

        def run(
            ids: list[str], patch: tuple[Path, str, str, bool], budget: float, log: Path
        ) -> Child:
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
