"""Checkpoint files on disk as the drill sees them: manifests, integrity, positions, and a
watcher that notices commits and writes in progress while the trainer runs."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor import rxcache
from auditor.atomic import file_sha256
from auditor.runlayout import MANIFEST_FORMAT_PREFIX
from auditor.drill.observations import CORRUPT, UNCOMMITTED, UNVERIFIED, VALID, DiskCheckpoint

STEP_RE = rxcache.compile(r"(?i)\bstep[\s=:#]*(\d+)")
_LAST_NUMBER_RE = rxcache.compile(r"(\d+)(?!.*\d)")
_TMP_NAME_RE = rxcache.compile(r"^\.tmp|\.(tmp|part|partial)$")
ZIP_SUFFIXES = (".pt", ".pth", ".ckpt", ".zip", ".npz")


@dataclass(frozen=True)
class FileFacts:
    """Raw facts about one checkpoint file, taken right after a kill; judged later."""

    rel: str
    size: int
    sha256: str
    manifest: dict | None
    integrity: str | None
    """None when intact, else why not (foreign formats)"""
    verifiable: bool



def _manifest_of(path: Path) -> dict | None:
    sibling = path.with_suffix(".json")
    if sibling == path or not sibling.is_file():
        return None
    try:
        data = json.loads(sibling.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"format": MANIFEST_FORMAT_PREFIX, "unreadable": True}
    if isinstance(data, dict) and str(data.get("format", "")).startswith(MANIFEST_FORMAT_PREFIX):
        return data
    return None


def _integrity(path: Path) -> tuple[str | None, bool]:
    """(why the file is not intact or None, whether its format could be checked at all)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return f"not valid JSON: {exc}", True
        return None, True
    if suffix in ZIP_SUFFIXES:
        if not zipfile.is_zipfile(path):
            with open(path, "rb") as handle:
                head = handle.read(4)
            if not head:
                return "empty file", True
            if head == b"PK\x03\x04":  # a zip that never got its central directory: cut off mid-write
                return "truncated zip archive (no central directory)", True
            return None, False  # e.g. torch's legacy pickle format: not checkable without unpickling
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            return f"broken zip archive: {exc}", True
        return (f"zip member {bad} fails its CRC", True) if bad else (None, True)
    return None, False


def _checkpoint_paths(run_dir: Path, patterns: Sequence[str]) -> list[Path]:
    found = set()
    for pattern in patterns:
        for path in run_dir.glob(pattern):
            if path.is_file() and not _TMP_NAME_RE.search(path.name):
                found.add(path)
    return sorted(found)


def scan(run_dir: Path, patterns: Sequence[str]) -> tuple[FileFacts, ...]:
    """The facts of every checkpoint file matching `patterns` in `run_dir`."""
    facts = []
    for path in _checkpoint_paths(run_dir, patterns):
        try:
            manifest = _manifest_of(path)
            integrity, verifiable = _integrity(path) if manifest is None else (None, True)
            facts.append(FileFacts(str(path.relative_to(run_dir)), path.stat().st_size, file_sha256(path), manifest,
                                    integrity, verifiable))  # fmt: skip
        except FileNotFoundError:
            continue
    return tuple(facts)


def name_position(name: str, epoch_re: re.Pattern[str]) -> int | None:
    match = epoch_re.search(name) or STEP_RE.search(name) or _LAST_NUMBER_RE.search(name)
    return int(match.group(1)) if match else None


def judge_file(facts: FileFacts, *, manifests_used: bool, epoch_re: re.Pattern[str]) -> DiskCheckpoint:
    """A file's status given whether the trainer writes manifests at all."""
    name = Path(facts.rel).name
    m = facts.manifest
    common = {"file": facts.rel, "size_bytes": facts.size, "sha256": facts.sha256}
    if m is not None:
        position = m.get("step") if isinstance(m.get("step"), int) else name_position(name, epoch_re)
        kind = m.get("kind") if isinstance(m.get("kind"), str) else None
        if m.get("unreadable"):
            return DiskCheckpoint(position=position, status=UNCOMMITTED, reason="manifest unreadable", kind=kind, **common)
        if m.get("file") != name:
            return DiskCheckpoint(position=position, status=CORRUPT, reason=f"manifest names {m.get('file')!r}",
                                  kind=kind, **common)  # fmt: skip
        if m.get("size_bytes") != facts.size:
            return DiskCheckpoint(position=position, status=CORRUPT, kind=kind, **common,
                                  reason=f"size {facts.size} bytes, manifest says {m.get('size_bytes')} (truncated)")
        if m.get("sha256") != facts.sha256:
            return DiskCheckpoint(position=position, status=CORRUPT, kind=kind, **common,
                                  reason="sha256 does not match the manifest")
        return DiskCheckpoint(position=position, status=VALID, reason="size and sha256 match the manifest",
                              kind=kind, **common)  # fmt: skip
    position = name_position(name, epoch_re)
    if manifests_used:
        return DiskCheckpoint(position=position, status=UNCOMMITTED, reason="no manifest: the save did not finish",
                              **common)  # fmt: skip
    if facts.integrity is not None:
        return DiskCheckpoint(position=position, status=CORRUPT, reason=facts.integrity, **common)
    reason = "complete (format checked)" if facts.verifiable else "format not checkable; assumed complete"
    return DiskCheckpoint(position=position, status=UNVERIFIED, reason=reason, **common)


def _stem(name: str) -> str:
    return name.split(".", 1)[0]


def _writes_checkpoint(temp_name: str, name_globs: Sequence[str], checkpoint_stems: set[str]) -> bool:
    """Whether a temp file is part of a checkpoint write: the name it will be renamed to
    (`.tmp-<name>.<random>`, `<name>.tmp`, ...) matches a checkpoint pattern, or it is the
    sidecar (a manifest) of a checkpoint in the same folder. Rewrites of progress.json or
    config.yaml beside the checkpoints are not."""
    core = re.sub(r"\.(tmp|part|partial)$", "", re.sub(r"^\.tmp[-_.]?", "", temp_name))
    parts = core.split(".")
    targets = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    if any(fnmatch.fnmatch(t, g) for t in targets for g in name_globs):
        return True
    return _stem(core) in checkpoint_stems


class Watcher:
    """Polls the checkpoint folders: files committed under final names, and writes in progress."""

    def __init__(self, run_dir: Path, patterns: Sequence[str]) -> None:
        self.run_dir = run_dir
        self.patterns = tuple(patterns)
        self.folders = sorted({(run_dir / p).parent for p in patterns})
        self._name_globs: dict[Path, tuple[str, ...]] = {}
        for p in patterns:
            folder = (run_dir / p).parent
            self._name_globs[folder] = self._name_globs.get(folder, ()) + (Path(p).name,)
        self.seen: dict[str, tuple[int, int]] = self._stat_all()
        self.commits: list[tuple[float, str]] = []
        # temp files a killed session left behind are not a write in progress
        self.stale: set[tuple[str, int]] = set(self._temp_entries())

    def _stat_all(self) -> dict[str, tuple[int, int]]:
        out = {}
        for path in _checkpoint_paths(self.run_dir, self.patterns):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out[str(path.relative_to(self.run_dir))] = (st.st_ino, st.st_size)
        return out

    def _temp_entries(self) -> list[tuple[str, int]]:
        found = []
        for folder in self.folders:
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            names = self._name_globs.get(folder, ())
            stems = {_stem(e.name) for e in entries if any(fnmatch.fnmatch(e.name, g) for g in names)}
            for entry in entries:
                if _TMP_NAME_RE.search(entry.name) and _writes_checkpoint(entry.name, names, stems):
                    try:
                        found.append((str(Path(entry.path).relative_to(self.run_dir)), entry.inode()))
                    except OSError:
                        continue
        return found

    def temp_files(self) -> list[str]:
        """Temp files written by the current session (leftovers of a killed one excluded)."""
        return [rel for rel, ino in self._temp_entries() if (rel, ino) not in self.stale]

    def poll(self) -> tuple[int, list[str]]:
        """(checkpoints committed since the last poll, writes in progress now)."""
        now = self._stat_all()
        growing, committed = [], 0
        for rel, (ino, size) in now.items():
            before = self.seen.get(rel)
            if before is None or before[0] != ino:
                committed += 1
                self.commits.append((time.monotonic(), rel))
            elif size > before[1]:
                growing.append(rel)
        self.seen = now
        return committed, self.temp_files() + growing
