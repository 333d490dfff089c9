"""A small, whitelisted expression language for derived metrics and target metrics.

Grammar (a subset of Python's expression syntax, parsed with :mod:`ast` and never
evaluated by Python)::

    expr    := number | name | name "[" cluster_id "]" | "-" expr | "(" expr ")"
             | expr ("+" | "-" | "*" | "/" | "**") expr
             | reduce "(" expr ["," "group" "=" group_id] ")"
             | expr "@" year
    reduce  := "sum" | "mean" | "min" | "max"

``name`` is a series (``gdp``, ``output``, ``rd_total``, an indicator or another metric).
Cluster series have a cluster axis at position 1; ``sum(output, group=g)`` reduces it,
``output[new_materials]`` picks one cluster. A region series combined with a cluster
series broadcasts over clusters. ``x@2020`` is the value of ``x`` (a series, a pick, a
reduction or a parenthesised sub-expression) in the year 2020, the same in every year the
expression is read in: ``va@2025 / va@2020``, ``gdp - gdp@2020``. ``@`` binds tighter than
every operator (``-x@2020`` is ``-(x@2020)``, ``a * b@2020`` is ``a * (b@2020)``); a year
before the base year is read from history. Anything else (attribute access, calls to other
functions, comparisons, keywords other than ``group``) is rejected with a message.
"""

from __future__ import annotations

import ast
import io
import itertools
import math
import re
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clustersim.suggest import did_you_mean

__all__ = [
    "AT_MARK",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "REDUCERS",
    "At",
    "Bin",
    "Const",
    "Expr",
    "ExprError",
    "Name",
    "Neg",
    "Pick",
    "Reduce",
    "evaluate",
    "level_of",
    "names_in",
    "parse",
    "require_series",
    "years_in",
]

Array = NDArray[np.float64]
#: longest expression accepted (characters); the shipped scenarios' longest is under 100
MAX_LENGTH = 2000
#: deepest expression tree accepted (a sum of n terms is n deep, ``-x`` one deeper than
#: ``x``): parsing, checking and evaluating recurse over the tree, and this keeps them far
#: from Python's recursion limit
MAX_DEPTH = 64
#: largest magnitude of a number written in an expression
MAX_LITERAL = 1e100
REDUCERS = ("sum", "mean", "min", "max")
_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}


class ExprError(ValueError):
    """An expression that cannot be parsed or does not fit the scenario.

    ``key`` and ``fields``, when set, name the message in :mod:`clustersim.i18n` (which the
    core does not import) and its fields, so the loader can say it in both languages.
    """

    def __init__(self, message: str, key: str | None = None, **fields: object) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields


@dataclass(frozen=True, slots=True)
class Const:
    value: float


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Bin:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Reduce:
    func: str
    arg: Expr
    group: str | None


@dataclass(frozen=True, slots=True)
class Pick:
    name: str
    cluster: str


@dataclass(frozen=True, slots=True)
class At:
    """``operand@year``: the value of ``operand`` in ``year``, whatever year it is read in."""

    operand: Expr
    year: int


Expr = Const | Name | Neg | Bin | Reduce | Pick | At

#: ``x@2020`` is parsed as ``x[__at_2020]``: a subscript binds tighter than any operator,
#: which ``@`` (Python's matrix product, as tight as ``*``) does not
AT_MARK = "__at_"
_MARKED = re.compile(r"\[" + AT_MARK + r"(\d+)\]")


def _mark_years(text: str) -> str:
    """``text`` with every ``@`` followed by a whole number written as a subscript
    (``va@2025 / va@2020`` becomes ``va[__at_2025] / va[__at_2020]``); as is when it does not
    tokenize (the parser then says what is wrong)."""
    if "@" not in text:
        return text
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    # parse() ran ast.parse on this same text first, so the tokenizer cannot fail here
    # under 3.11; kept for CPython versions whose tokenizer and parser disagree
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover
        return text
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out: list[str] = []
    pos = 0
    for a, b in itertools.pairwise(toks):
        if a.type == tokenize.OP and a.string == "@" and b.type == tokenize.NUMBER:
            if not b.string.isdigit():
                continue  # 2020.5, 2_020: left as '@', refused with a message
            i = starts[a.start[0] - 1] + a.start[1]
            j = starts[b.end[0] - 1] + b.end[1]
            out += [text[pos:i], f"[{AT_MARK}{b.string}]"]
            pos = j
    out.append(text[pos:])
    return "".join(out)


def _unmark(text: str) -> str:
    return _MARKED.sub(r"@\1", text)


def parse(text: str) -> Expr:
    """Parse ``text`` into an expression tree, rejecting anything outside the grammar.

    Length (:data:`MAX_LENGTH`), nesting depth (:data:`MAX_DEPTH`) and the magnitude of
    numbers (:data:`MAX_LITERAL`) are checked before the tree is converted, so no input can
    drive the recursive steps (conversion, checks, evaluation, code generation) past
    Python's recursion limit or overflow a float.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("an expression must be a non-empty string")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"the expression is {len(text):,} characters long, more than the limit of "
            f"{MAX_LENGTH:,}: define parts of it as metrics, or sum a group with sum(series, group=g)"
        )
    if "\x00" in text:
        raise ExprError("the expression contains a NUL character")
    # the text as written first (a syntax error's column is the writer's), then with
    # ``@year`` as a subscript (see _mark_years)
    tree = _ast(text.strip(), text)
    src = _mark_years(text.strip())
    if src != text.strip():
        tree = _ast(src, text)
    _check_tree(tree.body, src)
    return _convert(tree.body, text, src)


def _ast(src: str, text: str) -> ast.Expression:
    try:
        return ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in expression {text!r} at column {exc.offset}") from exc
    except (RecursionError, MemoryError):
        # CPython's parser refuses deep nesting itself (unary minus runs, parentheses)
        raise ExprError(_too_deep(text)) from None
    except ValueError as exc:  # e.g. an integer literal past Python's digit limit
        raise ExprError(f"in {_short(text)}: {exc}") from None


def _short(text: str) -> str:
    t = text.strip()
    return repr(t if len(t) <= 60 else t[:57] + "...")


def _too_deep(text: str) -> str:
    return (
        f"the expression {_short(_unmark(text))} nests more than {MAX_DEPTH} levels deep (a sum of "
        f"n terms is n levels): define parts of it as metrics, or sum a group with "
        "sum(series, group=g)"
    )


def _check_tree(root: ast.expr, text: str) -> None:
    """Depth and literal checks without recursion (the tree may be deeper than the limit)."""
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(_too_deep(text))
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            v = node.value
            # compare before converting: float() of a huge integer raises OverflowError
            if (isinstance(v, float) and not math.isfinite(v)) or abs(v) > MAX_LITERAL:
                seg = _unmark(ast.get_source_segment(text.strip(), node) or str(v))
                raise ExprError(
                    f"in {_short(_unmark(text))}: the number {_short(seg)} is too large "
                    f"(numbers in expressions are limited to {MAX_LITERAL:g} in magnitude)"
                )
        # only expressions are levels: operators, contexts and keywords are not
        stack.extend(
            (c, depth + 1 if isinstance(c, ast.expr) else depth) for c in ast.iter_child_nodes(node)
        )


def _convert(node: ast.expr, text: str, src: str) -> Expr:
    """``node`` of ``src`` (``text`` with ``@year`` marked, see :func:`_mark_years`) as an
    expression tree; messages quote ``text``."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return Const(float(node.value))
    if isinstance(node, ast.Name):
        return Name(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _convert(node.operand, text, src)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return Bin(
            _BINOPS[type(node.op)], _convert(node.left, text, src), _convert(node.right, text, src)
        )
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Name)
        and node.slice.id.startswith(AT_MARK)
        and node.slice.id[len(AT_MARK) :].isdigit()
    ):
        inner = _convert(node.value, text, src)
        if not names_in(inner):  # a number, or numbers only: (2 * 3)@2020
            part = repr(_unmark(ast.get_source_segment(src, node) or ""))
            raise ExprError(
                f"in {text!r}: @ reads a series in a year, as in gdp@2020; {part} applies it "
                "to a number",
                "err_at_on_number",
                expr=repr(text),
                part=part,
            )
        return At(inner, int(node.slice.id[len(AT_MARK) :]))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        raise ExprError(
            f"in {text!r}: @ takes a year written as a whole number, as in gdp@2020 or "
            "(gdp / population)@2020",
            "err_at_not_year",
            expr=repr(text),
        )
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if isinstance(node.slice, ast.Name):
            return Pick(node.value.id, node.slice.id)
        raise ExprError(f"in {text!r}: a cluster is picked by its id, as in output[new_materials]")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = node.func.id
        if fn not in REDUCERS:
            raise ExprError(f"in {text!r}: unknown function {fn!r}; allowed: {', '.join(REDUCERS)}")
        if len(node.args) != 1:
            raise ExprError(f"in {text!r}: {fn}() takes one series, as in {fn}(output, group=g)")
        group = None
        for kw in node.keywords:
            if kw.arg != "group" or not isinstance(kw.value, ast.Name):
                raise ExprError(f"in {text!r}: {fn}() accepts only group=<group id>")
            group = kw.value.id
        return Reduce(fn, _convert(node.args[0], text, src), group)
    snippet = _unmark(ast.get_source_segment(src, node) or type(node).__name__)
    raise ExprError(
        f"in {text!r}: {snippet!r} is not allowed; use numbers, series names, + - * / **, "
        f"output[cluster], {'/'.join(REDUCERS)}(series, group=g) and x@year"
    )


def names_in(expr: Expr) -> list[str]:
    """Series names used by ``expr``, left to right (first is the default lever)."""
    if isinstance(expr, Name):
        return [expr.id]
    if isinstance(expr, Pick):
        return [expr.name]
    if isinstance(expr, Neg):
        return names_in(expr.operand)
    if isinstance(expr, Bin):
        return names_in(expr.left) + names_in(expr.right)
    if isinstance(expr, Reduce):
        return names_in(expr.arg)
    if isinstance(expr, At):
        return names_in(expr.operand)
    return []


def years_in(expr: Expr) -> list[int]:
    """The years of the ``x@year`` nodes of ``expr``, left to right."""
    if isinstance(expr, At):
        return [expr.year, *years_in(expr.operand)]
    if isinstance(expr, Neg):
        return years_in(expr.operand)
    if isinstance(expr, Bin):
        return years_in(expr.left) + years_in(expr.right)
    if isinstance(expr, Reduce):
        return years_in(expr.arg)
    return []


def require_series(expr: Expr) -> None:
    """Refuse an expression that reads no series (a constant such as ``5`` or ``1/0``): it
    has no samples or years, so nothing can be projected or checked with it."""
    if not names_in(expr):
        raise ExprError(
            "the expression reads no series (it is a constant); a metric or target must "
            "read at least one series, such as gdp or output[cluster]"
        )


def level_of(
    expr: Expr,
    is_cluster: Mapping[str, bool],
    groups: Mapping[str, object],
    clusters: Mapping[str, int],
) -> bool:
    """Check names, groups and clusters in ``expr``; return True if it is cluster-level."""
    if isinstance(expr, Const):
        return False
    if isinstance(expr, Name | Pick):
        nm = expr.id if isinstance(expr, Name) else expr.name
        if nm not in is_cluster:
            raise ExprError(_unknown("series", nm, is_cluster))
        if isinstance(expr, Pick):
            if not is_cluster[nm]:
                raise ExprError(f"{nm!r} is a region series; only cluster series take [cluster]")
            if expr.cluster not in clusters:
                raise ExprError(_unknown("cluster", expr.cluster, clusters))
            return False
        return is_cluster[nm]
    if isinstance(expr, Neg | At):
        return level_of(expr.operand, is_cluster, groups, clusters)
    if isinstance(expr, Bin):
        left = level_of(expr.left, is_cluster, groups, clusters)
        return level_of(expr.right, is_cluster, groups, clusters) or left
    if isinstance(expr, Reduce):
        if expr.group is not None and expr.group not in groups:
            raise ExprError(_unknown("group", expr.group, groups))
        if not level_of(expr.arg, is_cluster, groups, clusters):
            raise ExprError(
                f"{expr.func}() reduces over clusters; its argument must be a cluster series"
            )
        return False
    raise TypeError(expr)


def _unknown(what: str, name: str, known: Mapping[str, object]) -> str:
    hint = did_you_mean(name, known)
    return f"unknown {what} {name!r}{hint} (known: {', '.join(sorted(known))})"


def evaluate(
    expr: Expr,
    lookup: Callable[[str], Array],
    groups: Mapping[str, NDArray[np.intp]],
    clusters: Mapping[str, int],
    cluster_ndim: int,
    at: Callable[[Expr, int], Array] | None = None,
) -> Array:
    """Evaluate ``expr`` with ``lookup(name)`` giving each series' array.

    Cluster arrays have their cluster axis at position 1 and ``cluster_ndim`` dimensions
    (3 for ``(S, C, T)`` trajectories, 2 for ``(S', C)`` single-year history values);
    region arrays have one dimension fewer. ``at(e, year)`` gives the values of ``e`` in
    ``year``, ``(S', [C])``, for ``x@year`` nodes (an expression with one is refused
    without it); over trajectories they get a year axis of length 1, which broadcasts.
    """
    # a plain recursive function, not a closure: a self-referencing closure would form a
    # reference cycle that keeps ``lookup`` (and the series it reads) alive until a GC pass
    return _ev(expr, lookup, groups, clusters, cluster_ndim, at)


def _ev(
    e: Expr,
    lookup: Callable[[str], Array],
    groups: Mapping[str, NDArray[np.intp]],
    clusters: Mapping[str, int],
    nd: int,
    at: Callable[[Expr, int], Array] | None,
) -> Array:
    if isinstance(e, Const):
        return np.asarray(e.value)
    if isinstance(e, Name):
        return np.asarray(lookup(e.id))
    if isinstance(e, Pick):
        return np.asarray(lookup(e.name)[:, clusters[e.cluster]])
    if isinstance(e, At):
        if at is None:
            raise ExprError(f"a value in a fixed year (@{e.year}) cannot be read here")
        v = np.asarray(at(e.operand, e.year), dtype=np.float64)
        return v[..., None] if nd == 3 else v  # a year axis over trajectories
    if isinstance(e, Neg):
        return np.negative(_ev(e.operand, lookup, groups, clusters, nd, at))
    if isinstance(e, Reduce):
        x = _ev(e.arg, lookup, groups, clusters, nd, at)
        if e.group is not None:
            x = x[:, groups[e.group]]
        if x.shape[1] == 0:
            raise ExprError(f"{e.func}() over an empty group {e.group!r}")
        out: Array = getattr(np, e.func)(x, axis=1)
        return out
    if isinstance(e, Bin):
        a = _ev(e.left, lookup, groups, clusters, nd, at)
        b = _ev(e.right, lookup, groups, clusters, nd, at)
        if a.ndim == nd and 0 < b.ndim < nd:
            b = np.expand_dims(b, 1)
        elif b.ndim == nd and 0 < a.ndim < nd:
            a = np.expand_dims(a, 1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if e.op == "+":
                return np.add(a, b)
            if e.op == "-":
                return np.subtract(a, b)
            if e.op == "*":
                return np.multiply(a, b)
            if e.op == "/":
                return np.divide(a, b)
            return np.power(a, b)
    raise TypeError(e)
