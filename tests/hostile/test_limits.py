"""The file limits themselves: kinds of file, the size cap and its environment override,
and the workbook row limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clustersim.errors import ScenarioError
from clustersim.scenario import limits
from clustersim.scenario.limits import MAX_FILE_ENV, max_file_bytes, read_input


def test_default_cap_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_FILE_ENV, raising=False)
    assert max_file_bytes() == 10 * 1024 * 1024
    monkeypatch.setenv(MAX_FILE_ENV, "0.5")
    assert max_file_bytes() == 512 * 1024
    assert max_file_bytes(7) == 7  # an argument wins over the environment


@pytest.mark.parametrize("bad", ["zero", "0", "-3", "nan", "inf"])
def test_a_bad_override_is_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv(MAX_FILE_ENV, bad)
    with pytest.raises(ScenarioError, match=f"{MAX_FILE_ENV}='{bad}': must be a positive"):
        max_file_bytes()


def test_size_cap_is_exact(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_bytes(b"x" * 100)
    assert read_input(p, max_bytes=100) == b"x" * 100
    with pytest.raises(ScenarioError, match=r"larger than the limit of 99 bytes \(at least 100\)"):
        read_input(p, max_bytes=99)


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: os.mkfifo(p), "a FIFO"),
    ],
)
def test_only_regular_files(tmp_path: Path, make, what: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "thing"
    make(p)
    with pytest.raises(ScenarioError, match=rf"^a\.yaml:3: extends: {p}: is {what}"):
        read_input(p, where="a.yaml:3: extends")


def test_devices_are_refused_before_reading() -> None:
    with pytest.raises(ScenarioError, match="/dev/zero: is a device"):
        read_input(Path("/dev/zero"))


def test_missing_file_names_the_reference(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError, match=r"^s\.yaml:4: scenario: .*absent\.yaml: file not found"
    ):
        read_input(tmp_path / "absent.yaml", where="s.yaml:4: scenario")


def test_workbook_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet with more rows than the limit is refused while reading (the declared size
    of a sheet can lie, so rows are counted)."""
    pytest.importorskip("openpyxl")
    from openpyxl import load_workbook

    from clustersim.report import excel
    from clustersim.scenario.loader import load_scenario

    p = tmp_path / "w.xlsx"
    excel.write_workbook(load_scenario(Path(__file__).parent / "corpus" / "ok.yaml"), p)
    wb = load_workbook(p)
    for r in range(4, 12):
        wb["clusters"].cell(row=r, column=1, value="a")
        wb["clusters"].cell(row=r, column=2, value=f"note{r}")
    wb.save(p)
    monkeypatch.setattr(excel, "MAX_SHEET_ROWS", 8)
    with pytest.raises(
        ScenarioError, match=r"sheet 'clusters': .*more than the limit of 8|more than 8 rows"
    ):
        excel.read_workbook(p)
    assert limits.MAX_NODES == 100_000 and limits.MAX_DEPTH == 100  # the documented values
