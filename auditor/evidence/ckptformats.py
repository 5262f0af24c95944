"""Checkpoints in formats other than torch's pickles, told intact by their structure, never loaded.

- A Keras archive (`.keras`) is a zip holding `metadata.json` (the Keras version), `config.json`
  and the weights: its metadata.json is read (JSON, size-bounded, through auditor.safeio).
- An HDF5 file (`.h5`, `.weights.h5`, Keras's weights and legacy models) starts with HDF5's
  signature; only those first bytes are read.
- A NumPy archive (`.npz`, `np.savez`) is a zip of `.npy` arrays: its member names are read, and
  a `step` (`global_step`, `iteration`) array of one integer, when there is one, gives the step
  (its `.npy` header and at most 8 bytes of data; nothing is unpickled).
- A torch.distributed.checkpoint (DCP) save is a folder of `*.distcp` shards whose `.metadata`
  file is written after every shard: a folder without it is a save that did not finish.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditor import safeio, safezip
from auditor.ckptnames import DCP_METADATA, is_shard

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_KERAS_METADATA_BYTES = 64 * 1024
KERAS_METADATA = "metadata.json"
NPY_MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 4096
NPZ_STEP_MEMBERS = ("step.npy", "global_step.npy", "iteration.npy", "iter.npy", "steps.npy")
_NPY_DESCR = re.compile(r"['\"]descr['\"]\s*:\s*['\"]([<>|=]?)([iu])([1248])['\"]")
_NPY_SCALAR = re.compile(r"['\"]shape['\"]\s*:\s*\(\s*(?:1\s*,\s*)?\)")


def is_framework_file(name: str) -> bool:
    """A file read here (Keras, HDF5 or a NumPy archive), not as a torch pickle."""
    return name.lower().endswith((".keras", ".h5", ".npz"))


def numpy_archive(path: Path, within: safeio.Root, shown: str) -> tuple[str, str, int | None]:
    """(status, note, step) of an `.npz`: `readable` when it is a zip of `.npy` arrays; the step its
    `step` array holds, when it has one (one integer), else None."""
    names: list[str] = []

    def step_member(found: list[str]) -> str | None:
        names.extend(found)
        return next((n for n in NPZ_STEP_MEMBERS if n in found), None)

    try:
        data = safezip.zip_member(path, step_member, within=within, cap=MAX_NPY_HEADER + 16, shown=shown)
    except safeio.ReadRefused as exc:
        return "unreadable", exc.why, None
    except safeio.READ_ERRORS as exc:
        return "unreadable", safeio.describe(exc, shown).split(": ", 1)[1], None
    arrays = [n for n in names if n.endswith(".npy")]
    if not arrays or len(arrays) < len(names):
        return "unreadable", "a zip that is not only .npy arrays: not a NumPy archive", None
    step = _npy_integer(data) if data is not None else None
    return "readable", f"NumPy archive ({len(arrays)} arrays; not loaded)", step


def _npy_integer(data: bytes) -> int | None:
    """The value of a `.npy` holding one integer (shape `()` or `(1,)`), else None."""
    if not data.startswith(NPY_MAGIC) or len(data) < 10:
        return None
    major = data[6]
    size, at = (int.from_bytes(data[8:10], "little"), 10) if major == 1 else (int.from_bytes(data[8:12], "little"), 12)
    if size > MAX_NPY_HEADER:
        return None
    header = data[at:at + size].decode("latin-1")
    descr = _NPY_DESCR.search(header)
    if descr is None or not _NPY_SCALAR.search(header):
        return None
    order, kind, width = descr.group(1), descr.group(2), int(descr.group(3))
    raw = data[at + size:at + size + width]
    if len(raw) != width:
        return None
    return int.from_bytes(raw, "big" if order == ">" else "little", signed=kind == "i")


def framework_file_status(path: Path, within: safeio.Root, shown: str) -> tuple[str, str]:
    """(status, note) of a Keras archive or an HDF5 file: `readable` when its structure is there,
    `unreadable` with the reason otherwise."""
    try:
        if path.name.lower().endswith(".keras"):
            return _keras_archive(path, within, shown)
        head = safeio.read_bytes(path, within=within, cap=len(HDF5_SIGNATURE), shown=shown, truncate=True)
    except safeio.ReadRefused as exc:
        return "unreadable", exc.why
    except safeio.READ_ERRORS as exc:
        return "unreadable", safeio.describe(exc, shown).split(": ", 1)[1]
    if head != HDF5_SIGNATURE:
        return "unreadable", "not an HDF5 file (no HDF5 signature)"
    return "readable", "HDF5 file (Keras weights or model; not loaded)"


def _keras_archive(path: Path, within: safeio.Root, shown: str) -> tuple[str, str]:
    data = safezip.zip_member(path, lambda names: KERAS_METADATA if KERAS_METADATA in names else None,
                             within=within, cap=MAX_KERAS_METADATA_BYTES, shown=shown)
    if data is None:
        return "unreadable", f"a zip without {KERAS_METADATA}: not a Keras archive"
    try:
        meta = safeio.parse_json(data, shown=f"{shown}:{KERAS_METADATA}")
    except safeio.ReadRefused as exc:
        return "unreadable", f"{KERAS_METADATA}: {exc.why}"
    version = meta.get("keras_version") if isinstance(meta, dict) else None
    if not isinstance(version, str):
        return "unreadable", f"{KERAS_METADATA} names no keras_version: not a Keras archive"
    return "readable", f"Keras archive (keras {json.dumps(version)[1:-1][:20]}; not loaded)"  # escaped, bounded


def dcp_folder(entries: list[Path]) -> bool:
    """Whether a folder's files are a torch.distributed.checkpoint save (its shards)."""
    return any(is_shard(p.name) for p in entries)


def dcp_unfinished(folder: Path, entries: list[Path]) -> str:
    """Why a DCP folder is not a finished save, or "" when its .metadata is there."""
    if any(p.name == DCP_METADATA and p.parent == folder for p in entries):
        return ""
    return f"no {DCP_METADATA}: the torch.distributed.checkpoint save did not finish"
