"""auditor.drill.tensors: a torch zip's tensors read without torch and without unpickling."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from auditor.drill import compare_final  # noqa: E402
from auditor.drill.tensors import TensorReadError, read_torch_zip  # noqa: E402


class Planted:
    """Unpickling this creates a file: proof that the reader built it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_names_dtypes_shapes_and_views_of_a_state(tmp_path: Path) -> None:
    base = torch.arange(6.0, dtype=torch.float64)
    torch.save({"model": {"w": torch.zeros(2, 3), "p": torch.nn.Parameter(torch.ones(4))},
                "opt": {"state": {0: {"m": torch.ones(1, dtype=torch.int64)}}}, "view": base[1::2],
                "step": 7}, tmp_path / "s.pt")
    got = read_torch_zip(tmp_path / "s.pt").tensors
    assert sorted(got) == ["model.p", "model.w", "opt.state.0.m", "view"]
    assert (got["model.w"].dtype, got["model.w"].shape, got["model.w"].contiguous) == ("FloatStorage", (2, 3), True)
    assert got["model.p"].shape == (4,)
    assert got["opt.state.0.m"].dtype == "LongStorage"
    assert (got["view"].offset, got["view"].stride, got["view"].contiguous) == (1, (2,), False)


def test_equal_states_compare_equal_and_a_changed_element_is_named(tmp_path: Path) -> None:
    w = torch.arange(6.0).reshape(2, 3)
    torch.save({"model": {"w": w, "b": torch.zeros(2)}, "wall_time": 1.0}, tmp_path / "a.pt")
    torch.save({"model": {"w": w.clone(), "b": torch.zeros(2)}, "wall_time": 2.0}, tmp_path / "b.pt")
    changed = w.clone()
    changed[1, 2] += 0.5
    torch.save({"model": {"w": changed, "b": torch.zeros(2)}, "wall_time": 1.0}, tmp_path / "c.pt")
    assert compare_final(tmp_path / "a.pt", tmp_path / "b.pt").equal
    differ = compare_final(tmp_path / "a.pt", tmp_path / "c.pt")
    assert not differ.equal and "1 of 2 tensors differ" in differ.detail and "model.w" in differ.detail
    assert "max |diff| 0.5" in differ.detail


def test_a_different_shape_or_dtype_differs(tmp_path: Path) -> None:
    torch.save({"w": torch.zeros(2, 3)}, tmp_path / "a.pt")
    torch.save({"w": torch.zeros(3, 2)}, tmp_path / "b.pt")
    torch.save({"w": torch.zeros(2, 3, dtype=torch.float64)}, tmp_path / "c.pt")
    assert not compare_final(tmp_path / "a.pt", tmp_path / "b.pt").equal
    assert not compare_final(tmp_path / "a.pt", tmp_path / "c.pt").equal


def test_a_planted_global_is_never_called(tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED"
    torch.save({"w": torch.zeros(2), "evil": Planted(marker)}, tmp_path / "a.pt")
    got = read_torch_zip(tmp_path / "a.pt").tensors
    assert list(got) == ["w"] and not marker.exists()


def test_not_a_torch_zip_is_a_read_error(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.pt", "w") as zf:
        zf.writestr("archive/other.txt", "no pickle here")
    with pytest.raises(TensorReadError, match="no data.pkl"):
        read_torch_zip(tmp_path / "x.pt")
    (tmp_path / "y.pt").write_bytes(b"PK\x03\x04 cut off")
    with pytest.raises(TensorReadError):
        read_torch_zip(tmp_path / "y.pt")
