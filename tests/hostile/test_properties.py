"""Property tests of the input readers: whatever the bytes, a result or a clean refusal.

The YAML loader, the expression parser, the CSV reader and the workbook import either
return a value or raise the project's user error, with messages that name the file and
line (or sheet and cell); the limits hold exactly where closed forms say they should.
Every test is bounded (``max_examples``) so the set runs in seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustersim.analysis.observed import DataError, load_observed
from clustersim.core import expr as ex
from clustersim.errors import ScenarioError
from clustersim.scenario.limits import MAX_DEPTH, MAX_NODES
from clustersim.scenario.loader import read_yaml

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

YAML_CHARS = st.sampled_from([*"abc:-[]{},&*!?|>'\"#%@` \n\t01.\\x", "!!set", "<<: ", "\x00"])


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


@FAST
@given(st.lists(YAML_CHARS, max_size=80).map("".join))
def test_yaml_text_loads_or_is_refused_with_its_file(tmp_path: Path, text: str) -> None:
    p = _write(tmp_path, "s.yaml", text.encode("utf-8"))
    try:
        data, origins = read_yaml(p)
    except ScenarioError as exc:
        for line in exc.problems:
            assert line.startswith(f"{p}:"), line
    else:
        assert isinstance(data, dict)
        assert all(o.file == str(p) and o.line >= 1 for o in origins.values())


@FAST
@given(st.binary(max_size=200))
def test_yaml_bytes_load_or_are_refused(tmp_path: Path, raw: bytes) -> None:
    p = _write(tmp_path, "b.yaml", raw)
    try:
        read_yaml(p)
    except ScenarioError as exc:
        assert all(line.startswith(f"{p}") for line in exc.problems)


def _lol_nodes(levels: int, fan: int) -> tuple[int, int | None]:
    """Expanded node count of a billion-laughs document (key ``k0`` a list of ``fan``
    scalars, each next key a list of ``fan`` aliases of the previous), and the line on which
    the running count first passes :data:`MAX_NODES` (None if it never does)."""
    total, size, first = 1, 0, None  # the top mapping
    for i in range(levels):
        size = 1 + fan * (1 if i == 0 else size)  # the list and what it holds
        total += 1 + size  # its key and its value
        if first is None and total > MAX_NODES:
            first = i + 1
    return total, first


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 9), st.integers(1, 12))
def test_alias_expansion_is_counted_exactly(tmp_path: Path, levels: int, fan: int) -> None:
    lines = ["k0: &k0 [" + ", ".join(["x"] * fan) + "]"]
    for i in range(1, levels):
        lines.append(f"k{i}: &k{i} [" + ", ".join([f"*k{i - 1}"] * fan) + "]")
    p = _write(tmp_path, "lol.yaml", ("\n".join(lines) + "\n").encode())
    total, first = _lol_nodes(levels, fan)
    if first is None:
        data, _ = read_yaml(p)
        assert len(data) == levels
    else:
        with pytest.raises(ScenarioError, match=rf"^{re.escape(str(p))}:{first}: .*alias bomb"):
            read_yaml(p)
    assert (first is None) == (total <= MAX_NODES)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 2 * MAX_DEPTH))
def test_nesting_limit_is_exact(tmp_path: Path, depth: int) -> None:
    # the top mapping is level 1, its value opens `depth` lists
    p = _write(tmp_path, "n.yaml", ("a: " + "[" * depth + "]" * depth + "\n").encode())
    if 1 + depth <= MAX_DEPTH:
        data, _ = read_yaml(p)
        x = data["a"]
        for _ in range(depth - 1):
            x = x[0]
        assert x == []
    else:
        with pytest.raises(ScenarioError, match=r"n\.yaml:1: the document nests more than"):
            read_yaml(p)


EXPR_CHARS = st.sampled_from(
    [*"gdp+-*/() 0123456789.,=e[]_x", "**", "sum(", "output", "group=", "0x", "1e999"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(EXPR_CHARS, max_size=60).map("".join))
def test_expressions_parse_or_raise_expr_error(text: str) -> None:
    try:
        e = ex.parse(text)
    except ex.ExprError:
        return
    ex.names_in(e)  # the tree is well formed and walkable


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3 * ex.MAX_DEPTH), st.sampled_from(["+", "-", "*", "**"]))
def test_chains_are_accepted_up_to_the_depth_limit(n: int, op: str) -> None:
    """A chain of n terms is n levels deep: accepted (and evaluated exactly) up to the limit."""
    text = op.join(["gdp"] * n)
    if n > ex.MAX_DEPTH:
        with pytest.raises(ex.ExprError, match="nests more than"):
            ex.parse(text)
        return
    gdp = np.array([[1.0, 2.0]])
    got = ex.evaluate(ex.parse(text), lambda _: gdp, {}, {}, 3)
    want = {
        "+": n * gdp,
        "-": (2 - n) * gdp,
        "*": gdp**n,
        # right-associative: 1**... = 1 and 2**2**...**2 (n twos) is a power tower
        "**": np.array([[1.0, _tower(2.0, n)]]),
    }[op]
    np.testing.assert_allclose(got, want)


def _tower(x: float, n: int) -> float:
    out = x
    for _ in range(n - 1):
        out = x**out if out < 1100 else float("inf")
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3 * ex.MAX_DEPTH))
def test_unary_minus_runs(n: int) -> None:
    text = "-" * n + "gdp"
    if n + 1 > ex.MAX_DEPTH:
        with pytest.raises(ex.ExprError, match="nests more than"):
            ex.parse(text)
    else:
        got = ex.evaluate(ex.parse(text), lambda _: np.array([[3.0]]), {}, {}, 3)
        assert got[0, 0] == (-3.0 if n % 2 else 3.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**400) | st.floats(allow_nan=False, allow_infinity=False))
def test_literal_magnitude(v: int | float) -> None:
    text = f"{v!r} * gdp" if isinstance(v, float) else f"{v} * gdp"
    if text.startswith("-"):
        text = f"0 - {text[1:]}"
    try:
        e = ex.parse(text)
    except ex.ExprError as exc:
        assert abs(v) > ex.MAX_LITERAL or len(text) > ex.MAX_LENGTH, exc
        return
    assert abs(v) <= ex.MAX_LITERAL
    assert isinstance(e, ex.Bin)


HEAD = "region,cluster,indicator,year,value,unit,source\n"
CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.text(st.sampled_from(list('0123456789.-+eE, abc"')), max_size=8),
)


@FAST
@given(st.lists(CELL, min_size=1, max_size=6))
def test_csv_values_each_get_their_own_message(tmp_path: Path, cells: list[str]) -> None:
    body = "".join(
        f'R,,GDP,{2000 + i},"{c.replace(chr(34), chr(34) * 2)}",亿元,src\n'
        for i, c in enumerate(cells)
    )
    p = _write(tmp_path, "v.csv", (HEAD + body).encode())
    want: dict[int, str] = {}
    for i, c in enumerate(cells):
        t = c.strip()
        try:
            v = float(t)
        except ValueError:
            want[i + 2] = "missing" if not t else "is not a number"
            continue
        if not np.isfinite(v):
            want[i + 2] = "is not a finite number"
    try:
        data = load_observed(p)
    except DataError as exc:
        got = {}
        for line in exc.problems:
            m = re.match(rf"^{re.escape(str(p))}:(\d+): value: (.*)$", line)
            assert m, line
            got[int(m.group(1))] = m.group(2)
        assert set(got) == set(want)
        for ln, msg in got.items():
            assert want[ln] in msg
    else:
        assert not want
        assert [r.value for r in data.rows] == [float(c) for c in cells]


@FAST
@given(st.binary(max_size=300))
def test_csv_bytes_load_or_are_refused_with_a_line(tmp_path: Path, raw: bytes) -> None:
    p = _write(tmp_path, "r.csv", HEAD.encode() + raw)
    try:
        load_observed(p)
    except DataError as exc:
        for line in exc.problems:
            assert re.match(rf"^{re.escape(str(p))}:\d+: ", line), line


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("openpyxl")
    from clustersim.report.excel import write_workbook
    from clustersim.scenario.loader import load_scenario

    out = tmp_path_factory.mktemp("wb") / "ok.xlsx"
    write_workbook(load_scenario(Path(__file__).parent / "corpus" / "ok.yaml"), out)
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**3), 10**30),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    )
)
def test_workbook_number_cell(workbook: Path, value: float | int | str) -> None:
    """clusters!C3 is cluster a's output base: a finite number >= 0 imports as itself;
    anything else is refused naming the sheet, the cell and the field."""
    import tempfile

    from openpyxl import load_workbook

    from clustersim.report.excel import read_workbook

    wb = load_workbook(workbook)
    wb["clusters"]["C3"] = value
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "edited.xlsx"
        wb.save(p)
        try:
            sc = read_workbook(p)
        except ScenarioError as exc:
            assert any(
                line.startswith(f"{p}: sheet 'clusters', cell C3: clusters.a.output.base: ")
                for line in exc.problems
            ), exc.problems
            return
    base = sc.clusters["a"].output.base
    num = float(base if isinstance(base, int | float) else base.value)  # type: ignore[union-attr]
    assert num == pytest.approx(float(value))  # type: ignore[arg-type]
