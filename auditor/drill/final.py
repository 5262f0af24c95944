"""The drilled run's final checkpoint against an uninterrupted run's: tensors by their bytes
(read statically), JSON without time fields, anything else byte for byte."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from auditor import rxcache
from auditor.drill.disk import ZIP_SUFFIXES
from auditor.drill.observations import FinalComparison
from auditor.drill.tensors import TensorReadError, largest_difference, read_torch_zip

_TIME_KEY_RE = rxcache.compile(r"(^|_)(time|at|timestamp|elapsed_s|duration_s)$")


def _without_times(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_times(v) for k, v in obj.items() if not _TIME_KEY_RE.search(str(k))}
    if isinstance(obj, list):
        return [_without_times(v) for v in obj]
    return obj


def _compare_tensors(drilled: Path, reference: Path) -> FinalComparison:
    """Tensor by tensor: the same names, dtypes, shapes and strides, and the same element bytes."""
    names = (drilled.name, reference.name)
    try:
        a, b = read_torch_zip(drilled), read_torch_zip(reference)
    except TensorReadError as exc:
        return FinalComparison(False, f"cannot compare the final tensors: {exc}", str(drilled), str(reference))
    if a.tensors.keys() != b.tensors.keys():
        only = sorted(a.tensors.keys() ^ b.tensors.keys())[:5]
        return FinalComparison(False, f"{names[0]} and {names[1]} hold different tensors (e.g. {only})",
                               str(drilled), str(reference))  # fmt: skip
    differing: list[str] = []
    diff = ""
    try:
        with zipfile.ZipFile(drilled) as za, zipfile.ZipFile(reference) as zb:
            for key, ra in a.tensors.items():
                rb = b.tensors[key]
                if (ra.dtype, ra.shape, ra.stride) != (rb.dtype, rb.shape, rb.stride):
                    differing.append(key)
                    continue
                ba, bb = a.element_bytes(za, ra), b.element_bytes(zb, rb)
                if ba != bb:
                    if not differing and ra.contiguous and (largest := largest_difference(ra, ba, bb)) is not None:
                        diff = f", max |diff| {largest:.3g}"
                    differing.append(key)
    except (OSError, KeyError, zipfile.BadZipFile, TensorReadError) as exc:
        return FinalComparison(False, f"cannot compare the final tensors: {exc}", str(drilled), str(reference))
    if differing:
        return FinalComparison(False, f"{len(differing)} of {len(a.tensors)} tensors differ (element bytes), first "
                               f"{differing[0]}{diff}", str(drilled), str(reference))  # fmt: skip
    return FinalComparison(True, f"{names[0]}: all {len(a.tensors)} tensors equal (element bytes) to the "
                           f"uninterrupted run's {names[1]}", str(drilled), str(reference))  # fmt: skip


def compare_final(drilled: Path, reference: Path) -> FinalComparison:
    """Compare two final checkpoints: tensors by their bytes (read statically), JSON without time fields,
    anything else byte for byte."""
    names = (drilled.name, reference.name)
    if drilled.suffix.lower() == ".json":
        a, b = (_without_times(json.loads(p.read_text(encoding="utf-8"))) for p in (drilled, reference))
        same = a == b
        return FinalComparison(same, f"{names[0]} {'equals' if same else 'differs from'} the uninterrupted run's "
                               f"{names[1]} (JSON, time fields ignored)", *map(str, (drilled, reference)))
    if drilled.suffix.lower() in ZIP_SUFFIXES and zipfile.is_zipfile(drilled):
        return _compare_tensors(drilled, reference)
    same = drilled.read_bytes() == reference.read_bytes()
    return FinalComparison(same, f"{names[0]} is {'byte-identical to' if same else 'not byte-identical to'} the "
                           f"uninterrupted run's {names[1]}", str(drilled), str(reference))  # fmt: skip
