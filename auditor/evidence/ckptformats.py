"""Checkpoints in formats other than torch's pickles, told intact by their structure, never loaded.

- A Keras archive (`.keras`) is a zip holding `metadata.json` (the Keras version), `config.json`
  and the weights: its metadata.json is read (JSON, size-bounded, through auditor.safeio).
- An HDF5 file (`.h5`, `.weights.h5`, Keras's weights and legacy models) starts with HDF5's
  signature; only those first bytes are read.
- A NumPy archive (`.npz`, `np.savez`) is a zip of `.npy` arrays: its member names are read, and
  a `step` (`global_step`, `iteration`) array of one integer, when there is one, gives the step
  (its `.npy` header and at most 8 bytes of data; nothing is unpickled).
- A pickle of a non-torch trainer (`joblib.dump` of a scikit-learn estimator, `.joblib`, `.pkl`,
  `.pickle`) is one pickle stream from its PROTO opcode to its STOP: joblib writes the estimator's
  numpy arrays raw between them, so it is told intact by its first bytes and its last one, and,
  when the stream can be walked (no inline arrays) and is small, by the globals it names
  (auditor.evidence.pickles: a pickle that would call code when loaded is not data). A compressed
  dump (joblib's zlib, gzip, bz2, xz, lzma) is inflated and discarded as it streams, to see its
  stream end and the pickle inside whole. Nothing is unpickled.
- A stable-baselines3 save (`.zip`) is told by its member names (`data`, `policy.pth`,
  `_stable_baselines3_version`); its `data` JSON (size-bounded) gives the step (`num_timesteps`). The
  policy's `.pth` members and the base64 pickles inside `data` are never read.
- A torch.distributed.checkpoint (DCP) save is a folder of `*.distcp` shards whose `.metadata`
  file is written after every shard: a folder without it is a save that did not finish.
"""

from __future__ import annotations

import bz2
import json
import lzma
import re
import zlib
from pathlib import Path
from typing import Any

from auditor import safeio, safezip
from auditor.ckptnames import DCP_METADATA, PICKLE_SUFFIXES, is_shard, zip_save
from auditor.evidence.pickles import blocking_globals, read_pickle

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


MAX_SB3_DATA_BYTES = 4 * 1024 * 1024


def zip_save_status(path: Path, within: safeio.Root, shown: str) -> tuple[str, str, int | None] | None:
    """(status, note, step) of a `.zip` checkpoint: a stable-baselines3 save is `readable` with the step
    its `data` JSON holds (`num_timesteps`); None for torch.save's own zip (read as a torch file);
    `unreadable` with the reason otherwise."""
    names: list[str] = []

    def data_member(found: list[str]) -> str | None:
        names.extend(found)
        return "data" if zip_save(found) == "stable-baselines3" and "data" in found else None

    try:
        data = safezip.zip_member(path, data_member, within=within, cap=MAX_SB3_DATA_BYTES, shown=shown)
        kind = zip_save(names)
        if kind == "torch":
            return None
        if kind != "stable-baselines3":
            return "unreadable", "a zip that is not a model save (no data and policy members)", None
        meta = safeio.parse_json(data, shown=f"{shown}:data") if data is not None else None
    except safeio.ReadRefused as exc:
        return "unreadable", exc.why, None
    except safeio.READ_ERRORS as exc:
        return "unreadable", safeio.describe(exc, shown).split(": ", 1)[1], None
    steps = meta.get("num_timesteps") if isinstance(meta, dict) else None
    step = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0 else None
    members = ", ".join(sorted(n for n in names if n.endswith(".pth"))[:3])
    return "readable", f"stable-baselines3 save ({members}; not loaded)", step


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


MAX_PICKLE_WALK = 16 * 1024 * 1024  # a pickle this small is walked for the globals it names
MAX_COMPRESSED_BYTES = 256 * 1024 * 1024  # a compressed dump read to inflate it
MAX_INFLATED_BYTES = 4 * 1024 * 1024 * 1024  # inflated and discarded, at most
_INFLATE_CHUNK = 1024 * 1024
_PICKLE_STOP = b"."
# joblib.dump(..., compress=...): zlib (the default), gzip, bz2, xz and lzma streams, told by their first bytes
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"]\x00\x00", "lzma"),
               (b"\x04\x22\x4d\x18", "lz4"))


def is_pickle_file(name: str) -> bool:
    """A pickle of a non-torch trainer (`.joblib`, `.pkl`, `.pickle`), read here by its structure."""
    return name.lower().endswith(PICKLE_SUFFIXES)


def pickle_file_status(path: Path, within: safeio.Root, shown: str) -> tuple[str, str]:
    """(status, note) of a pickled snapshot: `readable` when it is one whole pickle stream (compressed
    or not) that names nothing that would run when loaded; `incomplete` when the stream stops short;
    `unreadable` otherwise."""
    try:
        size = safeio.stat_file(path, within, shown).st_size
        head = safeio.read_bytes(path, within=within, cap=16, shown=shown, truncate=True)
        packed = _compression(head)
        if packed:
            return _compressed_status(path, within, shown, packed, size)
        last = b""
        if size:
            last = next((t.encode("latin-1", "replace") for _, t in safeio.lines(path, within=within, cap=1,
                                                                                shown=shown, start=size - 1)), b"")
        walked = safeio.read_bytes(path, within=within, cap=MAX_PICKLE_WALK, shown=shown) \
            if size <= MAX_PICKLE_WALK else b""
    except safeio.ReadRefused as exc:
        return "unreadable", exc.why
    except safeio.READ_ERRORS as exc:
        return "unreadable", safeio.describe(exc, shown).split(": ", 1)[1]
    return _stream_status(head, last, walked, "")


def _compression(head: bytes) -> str:
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return next((name for magic, name in _COMPRESSED if head.startswith(magic)), "")


def _stream_status(head: bytes, last: bytes, walked: bytes, packed: str) -> tuple[str, str]:
    """(status, note) of a pickle stream from its first bytes, its last byte and (small) its whole text."""
    what = f"{packed}-compressed pickle" if packed else "pickle"
    if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
        return "unreadable", f"not a pickle (no PROTO opcode at its start){' inside the ' + packed if packed else ''}"
    if last != _PICKLE_STOP:
        return "incomplete", f"a {what} without its STOP opcode at the end: the dump did not finish"
    read = read_pickle(walked) if walked else None
    blocking = blocking_globals(read) if read is not None else ()
    if blocking:
        return "unreadable", f"unloadable: references {', '.join(blocking[:4])} (a call acting outside the data; " \
                             "never loaded here)"
    return "readable", f"{what}, whole from PROTO to STOP (not loaded)"


def _compressed_status(path: Path, within: safeio.Root, shown: str, packed: str, size: int) -> tuple[str, str]:
    if packed == "lz4" or size > MAX_COMPRESSED_BYTES:
        why = "lz4 is not read here" if packed == "lz4" else f"over {MAX_COMPRESSED_BYTES} bytes"
        return "unreadable", f"a {packed}-compressed dump, not checked ({why})"
    data = safeio.read_bytes(path, within=within, cap=MAX_COMPRESSED_BYTES, shown=shown)
    try:
        head, last, ended, small = _inflate(data, packed)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        return "unreadable", f"a {packed}-compressed dump that does not inflate ({type(exc).__name__})"
    if not ended:
        return "incomplete", f"a {packed}-compressed dump whose stream stops short: the dump did not finish"
    return _stream_status(head, last, small, packed)


def _inflate(data: bytes, packed: str) -> tuple[bytes, bytes, bool, bytes]:
    """(first bytes, last byte, whether the stream ended, the whole when small) of a compressed stream,
    inflated a chunk at a time and discarded."""
    d: Any = zlib.decompressobj(47) if packed in ("zlib", "gzip") else bz2.BZ2Decompressor() if packed == "bz2" \
        else lzma.LZMADecompressor()
    head, last, total, kept = b"", b"", 0, []
    pending = data
    while True:
        out = d.decompress(pending, _INFLATE_CHUNK)
        pending = getattr(d, "unconsumed_tail", b"")
        total += len(out)
        if total > MAX_INFLATED_BYTES:
            raise ValueError("inflates past the limit")
        if out:
            head, last = head or out[:16], out[-1:]
            if total <= MAX_PICKLE_WALK:
                kept.append(out)
        if d.eof:
            return head, last, True, b"".join(kept) if total <= MAX_PICKLE_WALK else b""
        if not out and not pending and getattr(d, "needs_input", True):
            return head, last, False, b""


def dcp_folder(entries: list[Path]) -> bool:
    """Whether a folder's files are a torch.distributed.checkpoint save (its shards)."""
    return any(is_shard(p.name) for p in entries)


def dcp_unfinished(folder: Path, entries: list[Path]) -> str:
    """Why a DCP folder is not a finished save, or "" when its .metadata is there."""
    if any(p.name == DCP_METADATA and p.parent == folder for p in entries):
        return ""
    return f"no {DCP_METADATA}: the torch.distributed.checkpoint save did not finish"
