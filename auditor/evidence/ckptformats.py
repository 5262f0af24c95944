"""Checkpoints in formats other than torch's pickles, told intact by their structure, never loaded.

- A Keras archive (`.keras`) is a zip holding `metadata.json` (the Keras version), `config.json`
  and the weights: its metadata.json is read (JSON, size-bounded, through auditor.safeio).
- An HDF5 file (`.h5`, `.weights.h5`, Keras's weights and legacy models) starts with HDF5's
  signature; only those first bytes are read.
- A torch.distributed.checkpoint (DCP) save is a folder of `*.distcp` shards whose `.metadata`
  file is written after every shard: a folder without it is a save that did not finish.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor import safeio, safezip
from auditor.ckptnames import DCP_METADATA, is_shard

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_KERAS_METADATA_BYTES = 64 * 1024
KERAS_METADATA = "metadata.json"


def is_framework_file(name: str) -> bool:
    """A file read here (Keras or HDF5), not as a torch pickle."""
    return name.lower().endswith((".keras", ".h5"))


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
