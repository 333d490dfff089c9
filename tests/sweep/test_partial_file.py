"""The chunk summary's file (``chunks/part-N.partial``): what is written is read back
exactly, damage is a clear error, and a sweep resumed over ``.npz`` summaries an earlier
version wrote reads them."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.errors import ClusterSimError
from clustersim.sweep.parquet_sink import MAGIC, load_arrays, save_arrays
from clustersim.sweep.partial import from_arrays, to_arrays

ROOT = Path(__file__).resolve().parents[2]


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "n": np.array([5, 2, 0], np.int64),
        "f": rng.standard_normal((3, 4, 5)),
        "i32": rng.integers(-9, 9, (7, 2)).astype(np.int32),
        "empty": np.empty(0, np.float64),
        "strided": rng.standard_normal((6, 4))[::2, ::-1],  # not contiguous: written in C order
        "signed_zero": np.array([-0.0, 0.0, np.inf, -np.inf, np.nan]),
    }


def _bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    save_arrays(buf, arrays)
    return buf.getvalue()


def test_arrays_come_back_bit_for_bit_with_names_dtypes_and_shapes() -> None:
    arrays = _arrays()
    data = _bytes(arrays)
    # the layout by hand: magic, header length, JSON header, each array's C-order bytes
    assert data.startswith(MAGIC)
    n = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    head = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + n])
    assert [h[0] for h in head] == list(arrays)
    body = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())
    assert data[len(MAGIC) + 4 + n :] == body
    back = load_arrays(bytearray(data))
    assert list(back) == list(arrays)
    for k, a in arrays.items():
        assert back[k].dtype == a.dtype and back[k].shape == a.shape
        assert back[k].tobytes() == np.ascontiguousarray(a).tobytes()
    assert back["f"].flags.writeable  # views of a bytearray: a merge may update them


def test_a_partial_round_trips_through_the_file(tmp_path: Path) -> None:
    """A real chunk summary, through the file and back, gives the same arrays."""
    sweep = _sweep(tmp_path)
    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "-w", "1", "-q"])
    assert r.exit_code == 0, r.output
    f = out / "chunks" / "part-000000.partial"
    p = from_arrays(load_arrays(bytearray(f.read_bytes())))
    again = to_arrays(p)
    assert _bytes(again) == f.read_bytes()
    assert int(again["n"][0]) == 100


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (lambda d: d[:-1], "cut short"),
        (lambda d: d + b"x", "bytes after the last array"),
        (lambda d: b"PK\x03\x04" + d[4:], "not a clustersim partial"),
        (lambda d: d[:6], "not a clustersim partial"),
    ],
)
def test_a_damaged_file_is_a_value_error(cut, message) -> None:
    data = _bytes(_arrays())
    with pytest.raises(ValueError, match=message):
        load_arrays(cut(data))


def test_an_object_dtype_is_refused() -> None:
    head = json.dumps([["x", "|O", [1]]]).encode()
    data = MAGIC + len(head).to_bytes(4, "little") + head + b"\0" * 8
    with pytest.raises(ValueError, match="dtype"):
        load_arrays(data)


def _sweep(tmp_path: Path) -> Path:
    p = tmp_path / "sweep.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "scenario": str(ROOT / "scenarios" / "example.yaml"),
                "method": "monte_carlo",
                "samples": 1600,
                "seed": 1,
                "chunk_size": 100,  # 16 chunks, two samples parts of 8
                "parameters": {
                    "clusters.new_materials.output.growth.rate": {"range": [0.04, 0.12]}
                },
            }
        )
    )
    return p


def _summary(out: Path) -> dict:
    doc = json.loads((out / "summary.json").read_text())
    doc.pop("run")
    return doc


def test_a_resume_reads_npz_summaries_of_an_earlier_version(tmp_path: Path) -> None:
    """Chunks whose summary an earlier version stored as ``.npz`` count as done and are
    merged from it: the resumed summary equals a clean run's."""
    sweep = _sweep(tmp_path)
    runner = CliRunner()
    clean = tmp_path / "clean"
    r = runner.invoke(app, ["sweep", str(sweep), "--out", str(clean), "-w", "1", "-q"])
    assert r.exit_code == 0, r.output
    old = tmp_path / "old"
    shutil.copytree(clean, old)
    (old / "summary.json").unlink()
    for k in (0, 2, 3):  # as an earlier version left them
        f = old / "chunks" / f"part-00000{k}.partial"
        with np.load(_npz(f)) as z:
            assert z.files
        f.unlink()
    for k in range(8, 16):  # not done: recomputed (their samples are one part)
        (old / "chunks" / f"part-{k:06d}.partial").unlink()
    (old / "samples" / "part-000008.parquet").unlink()
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["status"] = "running"
    (old / "manifest.json").write_text(json.dumps(manifest))
    r = runner.invoke(app, ["sweep", str(sweep), "--out", str(old), "-w", "1", "--resume"])
    assert r.exit_code == 0, r.output
    assert "8 already done" in r.output
    assert _summary(old) == _summary(clean)
    for k in (0, 2, 3):  # an old summary is read as it is, not rewritten
        assert (old / "chunks" / f"part-00000{k}.npz").exists()


def _npz(partial: Path) -> Path:
    """Store ``partial``'s arrays beside it as ``.npz`` (what earlier versions wrote)."""
    arrays = load_arrays(partial.read_bytes())
    path = partial.with_suffix(".npz")
    np.savez(path, **arrays)
    return path


def test_an_unreadable_summary_names_its_file(tmp_path: Path) -> None:
    from clustersim.sweep.parquet_sink import ParquetSink
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    sweep = _sweep(tmp_path)
    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "-w", "1", "-q"])
    assert r.exit_code == 0, r.output
    f = out / "chunks" / "part-000001.partial"
    f.write_bytes(f.read_bytes()[:-3])
    sink = ParquetSink(out, plan_sweep(load_sweep(sweep)))
    with pytest.raises(ClusterSimError, match=r"part-000001\.partial: cannot read"):
        sink.partial(1)


def test_an_unreadable_summary_is_said_in_chinese_too(tmp_path: Path) -> None:
    from clustersim.i18n import translate

    f = tmp_path / "chunks" / "part-000001.partial"
    msg = (
        f"{f}: cannot read the chunk's summary (the file is cut short); run the sweep again "
        "with --resume after deleting it"
    )
    assert translate(msg) == (
        f"{f}: 无法读取该分块的汇总（the file is cut short）；删除该文件后用 --resume "
        "重新运行参数扫描"
    )
    assert translate("chunk 7: not written, an earlier chunk's write failed") == (
        "分块 7：未写入，之前一个分块的写入失败"
    )
