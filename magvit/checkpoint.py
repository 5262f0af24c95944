"""One object owns checkpointing: interval, atomic save, manifest, retention, discovery.

The on-disk format is docs/run-directory.md ("Checkpoint manifest"). A checkpoint is a
``.pt`` file (``torch.save`` of a plain dict) plus a JSON manifest of the same stem written
LAST: the manifest is the commit marker, and a checkpoint counts only when its manifest
exists and the ``.pt`` file's size and sha256 match it.

Public API (stable; the training loop builds on it):

``Interval.parse(text) -> Interval``
    ``"90s"``, ``"2m"``, ``"1h"``, ``"500steps"``, ``"1epoch"``; frozen, ``kind`` is
    ``"time"`` (value in seconds, float), ``"steps"`` or ``"epochs"`` (int).
    ``DEFAULT_INTERVAL`` is two minutes of wall clock.

``CheckpointManager(directory, *, interval=DEFAULT_INTERVAL, keep_last=3, events=None,
code_version=None, data_fingerprint="", clock=time.monotonic, free_bytes=None)``
    ``directory`` is ``RUN_DIR/checkpoints`` (created when missing). ``interval`` is an
    ``Interval`` or its text. ``events`` is a ``magvit.progress.EventLog``.
    ``free_bytes(path) -> int`` replaces ``shutil.disk_usage(path).free`` (tests).

    ``should_save(*, step, epoch=None, epoch_end=False) -> bool``
        Asked at every batch boundary (after optimizer step ``step``). Time interval: the
        manager's clock has run ``interval`` seconds since the last save was committed (its
        ``checkpoint_saved`` event written) or failed (or since the manager was made), so lost
        work is at most the interval plus one batch and one save, and a failed save is
        retried at the next interval, not at every batch. Steps:
        ``step`` crossed a multiple of the interval since the last save (committed or failed). Epochs:
        ``epoch_end`` is true and ``epoch + 1`` (epochs completed) is a multiple.

    ``mark_resumed(step)``: after resuming from a checkpoint at ``step``, count it as the
        last save so a step interval continues from there (and no save fires at once).

    ``save(state, *, kind, step, epoch, batch_in_epoch, epochs, losses, train_elapsed_s,
    stage) -> Manifest``
        ``kind`` is ``periodic`` / ``preempt`` (file ``step-%08d.pt``), ``best``
        (``best.pt``) or ``final`` (``final.pt``). Checks free space, writes the ``.pt``
        atomically while hashing it, then the manifest, then appends a
        ``checkpoint_saved`` event, then applies retention. Raises ``CheckpointError``
        when the save fails; earlier checkpoints are untouched and nothing half-written
        carries a final name. Saves of kind periodic, preempt and final restart the
        interval, failed ones too; a best save does not.

    ``latest_valid() -> (path, Manifest) | None``
        The newest verified checkpoint (highest step, then wall_time) of any kind, best
        included (each holds the complete state at its step); an invalid candidate is passed over with a warning and a
        ``checkpoint_skipped`` event. Never deletes anything.

    ``valid_checkpoints()``: the same search as an iterator, newest first, for a caller that
        falls back past one it cannot load.

    ``load(path) -> dict``: ``torch.load(path, weights_only=True)`` on CPU.

    ``set_aside(path, reason) -> Path``: moves a checkpoint that matches its manifest but cannot
        be loaded, with its manifest, into ``checkpoints/unloadable/`` (nothing is deleted).

    ``verify(path) -> Manifest``: the manifest of ``path`` when it matches, else
    ``CheckpointError`` saying why.

    ``clean_orphans() -> list[Path]``: removes ``.tmp-*`` files and this manager's
    ``.pt`` files (``step-*``, ``best``, ``final``) that have no manifest (saves that never
    finished); call it once at start-up. Other files are the user's and stay.

Retention keeps the ``keep_last`` newest ``periodic`` checkpoints; best, final and preempt
ones are never purged. It runs only after a successful save and a failed delete is logged
as a warning.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from magvit.atomic import TMP_PREFIX, atomic_torch_save, atomic_write_json, file_sha256, fsync_dir
from magvit.interval import DEFAULT_INTERVAL, Interval
from magvit.rundir import CHECKPOINT_FORMAT, UNLOADABLE_DIR
from magvit.progress import iso_utc


if TYPE_CHECKING:
    from magvit.progress import EventLog

log = logging.getLogger(__name__)

KINDS = ("periodic", "best", "final", "preempt")
# every kind holds the complete training state at its step, so each can be resumed from
# (best.pt included: a run killed after its first best save but before its first periodic
# save continues from there)
RESUMABLE_KINDS = ("periodic", "best", "preempt", "final")
# kinds whose save restarts the interval clock; a best save happens on validation, not on time
CLOCK_KINDS = ("periodic", "preempt", "final")

# the only .pt names this manager writes; anything else in the directory is the user's
_OWN_PT_RE = re.compile(r"step-\d{8}\.pt|best\.pt|final\.pt")
# bytes added to the tensor payload when estimating a save's size (pickle, zip headers)
_SIZE_SLACK = 1 << 20
# a manifest is well under 2 KiB; anything far larger is not one of ours and is not read
MAX_MANIFEST_BYTES = 1 << 20


class CheckpointError(RuntimeError):
    """A checkpoint could not be saved, verified or loaded; the message names the file."""




@dataclass(frozen=True)
class Manifest:
    """A checkpoint's manifest; the fields are those of docs/run-directory.md."""

    format: str
    file: str
    kind: str
    stage: str
    step: int
    epoch: int
    batch_in_epoch: int
    epochs: int
    wall_time: float
    saved_at: str
    train_elapsed_s: float
    save_duration_s: float
    losses: dict[str, float]
    size_bytes: int
    sha256: str
    interval: dict[str, Any]
    code_version: str | None
    data_fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "manifest") -> Manifest:
        """Build from parsed JSON; a missing or mistyped field raises ValueError naming it."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: not a JSON object")
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{source}: field 'format' is {data.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
        values = {}
        for name, check in _FIELD_CHECKS.items():
            if name not in data:
                raise ValueError(f"{source}: field {name!r} is missing")
            if not check(data[name]):
                raise ValueError(f"{source}: field {name!r} has an invalid value {data[name]!r}")
            values[name] = data[name]
        if values["kind"] not in KINDS:
            raise ValueError(f"{source}: field 'kind' is {values['kind']!r}, expected one of {KINDS}")
        return cls(**values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_FIELD_CHECKS: dict[str, Callable[[Any], bool]] = {
    "format": lambda v: isinstance(v, str),
    "file": lambda v: isinstance(v, str) and "/" not in v and "\\" not in v and v.endswith(".pt"),
    "kind": lambda v: isinstance(v, str),
    "stage": lambda v: isinstance(v, str),
    "step": lambda v: _is_int(v) and v >= 0,
    "epoch": lambda v: _is_int(v) and v >= 0,
    "batch_in_epoch": lambda v: _is_int(v) and v >= 0,
    "epochs": lambda v: _is_int(v) and v >= 0,
    "wall_time": _is_number,
    "saved_at": lambda v: isinstance(v, str),
    "train_elapsed_s": _is_number,
    "save_duration_s": _is_number,
    "losses": lambda v: isinstance(v, dict),
    "size_bytes": lambda v: _is_int(v) and v >= 0,
    "sha256": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
    "interval": lambda v: isinstance(v, dict),
    "code_version": lambda v: v is None or isinstance(v, str),
    "data_fingerprint": lambda v: isinstance(v, str),
}
MANIFEST_FIELDS = tuple(_FIELD_CHECKS)


def _tensor_bytes(obj: Any) -> int:
    """Bytes of tensor storage reachable through dicts, lists and tuples."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, Mapping):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0



def read_manifest_json(path: Path) -> Any:
    """A manifest file's parsed JSON, through auditor.safeio's bounded reader. OSError when it cannot
    be read; ValueError (safeio.ReadRefused) when it is not a regular file (a FIFO would block a
    plain read for ever), larger than MAX_MANIFEST_BYTES, nested too deeply, or not JSON."""
    from auditor import safeio  # the one bounded reader (magvit may use it; the auditor never imports magvit)

    return safeio.read_json(path, within=None, cap=MAX_MANIFEST_BYTES, shown=path.name)


def _describe_oserror(exc: OSError) -> str:
    hint = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EACCES: "no permission to write there",
        errno.EPERM: "the operation is not permitted",
        errno.EROFS: "the file system is read-only",
    }.get(exc.errno or 0)
    return f"{exc}" + (f" ({hint})" if hint else "")


class CheckpointManager:
    """Decides when to save, saves atomically, keeps the last N, finds the newest valid one."""

    def __init__(
        self,
        directory: str | Path,
        *,
        interval: Interval | str = DEFAULT_INTERVAL,
        keep_last: int = 3,
        events: EventLog | None = None,
        code_version: str | None = None,
        data_fingerprint: str = "",
        clock: Callable[[], float] = time.monotonic,
        free_bytes: Callable[[Path], int] | None = None,
    ) -> None:
        if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"keep_last must be an integer >= 1, not {keep_last!r}")
        self.directory = Path(directory)
        self.interval = interval if isinstance(interval, Interval) else Interval.parse(interval)
        self.keep_last = keep_last
        self.events = events
        self.code_version = code_version
        self.data_fingerprint = data_fingerprint
        self._clock = clock
        self._free_bytes = free_bytes or (lambda path: shutil.disk_usage(path).free)
        self._last_save_clock = clock()
        self._last_saved_step: int | None = None
        self._last_size: int | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CheckpointError(f"cannot create checkpoint directory {self.directory}: {_describe_oserror(exc)}") from exc

    # --- when ----------------------------------------------------------------------------

    def should_save(self, *, step: int, epoch: int | None = None, epoch_end: bool = False) -> bool:
        """Whether a periodic checkpoint is due at this batch boundary."""
        if self.interval.kind == "time":
            return self._clock() - self._last_save_clock >= self.interval.value
        if self.interval.kind == "steps":
            last = self._last_saved_step or 0
            return step // self.interval.value > last // self.interval.value
        if not epoch_end:
            return False
        if epoch is None:
            if self.interval.value == 1:
                return True
            raise ValueError(f"should_save needs epoch= with a {self.interval} interval")
        return (epoch + 1) % self.interval.value == 0

    def mark_resumed(self, step: int) -> None:
        """Count the checkpoint a run resumed from as the last save, so step intervals continue from it."""
        self._last_saved_step = int(step)

    # --- save ----------------------------------------------------------------------------

    @staticmethod
    def file_name(kind: str, step: int) -> str:
        """The ``.pt`` name a save of ``kind`` at ``step`` gets."""
        if kind in ("best", "final"):
            return f"{kind}.pt"
        return f"step-{step:08d}.pt"

    def save(
        self,
        state: Mapping[str, Any],
        *,
        kind: str,
        step: int,
        epoch: int,
        batch_in_epoch: int,
        epochs: int,
        losses: Mapping[str, float],
        train_elapsed_s: float,
        stage: str,
    ) -> Manifest:
        """Save ``state`` atomically with its manifest; see the module docstring."""
        if kind not in KINDS:
            raise ValueError(f"checkpoint kind {kind!r} must be one of {KINDS}")
        started = time.perf_counter()
        pt = self.directory / self.file_name(kind, step)
        manifest_path = pt.with_suffix(".json")
        try:
            self._check_free_space(state, pt)
        except CheckpointError:
            self._restart_interval(kind, step)
            raise
        decommitted = False

        def decommit() -> None:
            nonlocal decommitted
            manifest_path.unlink(missing_ok=True)
            decommitted = True

        try:
            # an overwritten name (best.pt, or a second save at one step) is decommitted only once
            # the new file is complete, just before it takes the name: a failed write (full disk)
            # leaves the old checkpoint committed, a crash in between leaves a .pt without
            # manifest, never a manifest that lies
            size, sha256 = atomic_torch_save(dict(state), pt, before_replace=decommit)
            wall_time = time.time()
            manifest = Manifest(
                format=CHECKPOINT_FORMAT,
                file=pt.name,
                kind=kind,
                stage=stage,
                step=int(step),
                epoch=int(epoch),
                batch_in_epoch=int(batch_in_epoch),
                epochs=int(epochs),
                wall_time=wall_time,
                saved_at=iso_utc(wall_time),
                train_elapsed_s=float(train_elapsed_s),
                save_duration_s=round(time.perf_counter() - started, 6),
                losses={str(k): float(v) for k, v in losses.items()},
                size_bytes=size,
                sha256=sha256,
                interval=self.interval.to_dict(),
                code_version=self.code_version,
                data_fingerprint=self.data_fingerprint,
            )
            try:
                atomic_write_json(manifest_path, manifest.to_dict())
            except OSError as exc:  # a failed flush names no file: say it was the manifest
                raise OSError(exc.errno, exc.strerror, str(manifest_path)) from exc
        except OSError as exc:
            if decommitted:  # whatever carries the name now has no manifest
                self._discard_uncommitted(pt)
            self._restart_interval(kind, step)
            self._emit("checkpoint_failed", error=f"{pt.name}: {exc}")
            raise CheckpointError(f"saving checkpoint {pt} failed: {_describe_oserror(exc)}") from exc
        self._last_size = size
        self._emit("checkpoint_saved", file=manifest.file, kind=manifest.kind, step=manifest.step, epoch=manifest.epoch,
                   batch_in_epoch=manifest.batch_in_epoch, save_duration_s=manifest.save_duration_s, size_bytes=size)
        # the interval runs from the commit (the event the auditor measures gaps by), not from
        # the save's start: a slow save followed by a quick one would otherwise land early
        self._restart_interval(kind, step)
        self._apply_retention()
        return manifest

    def _restart_interval(self, kind: str, step: int) -> None:
        """Count this save, committed or failed, as the interval's: a failed save is retried at
        the next interval, not at every batch (a disk that stays full would cost a write per batch)."""
        if kind in CLOCK_KINDS:
            self._last_save_clock = self._clock()
            self._last_saved_step = int(step)

    @staticmethod
    def _discard_uncommitted(pt: Path) -> None:
        """Remove a .pt whose manifest could not be written: no final name without its commit
        marker, and its space back on a full disk (clean_orphans removes it at the next start
        when this fails too)."""
        try:
            pt.unlink()
        except OSError as exc:
            log.warning("could not remove uncommitted checkpoint %s: %s", pt, exc)

    def _check_free_space(self, state: Mapping[str, Any], pt: Path) -> None:
        expected = max(self._last_size or 0, _tensor_bytes(state) + _SIZE_SLACK)
        try:
            free = self._free_bytes(self.directory)
        except OSError as exc:
            raise CheckpointError(f"cannot check free space for {pt}: {_describe_oserror(exc)}") from exc
        if free < expected:
            self._emit("checkpoint_failed", error=f"{pt.name}: {free} bytes free, {expected} needed")
            raise CheckpointError(
                f"not enough free space to save checkpoint {pt}: {free} bytes free in "
                f"{self.directory}, about {expected} needed"
            )

    def _apply_retention(self) -> None:
        periodic = [(m.step, m.wall_time, path) for path, m in self._manifests() if m.kind == "periodic"]
        periodic.sort()
        for _step, _wall, path in periodic[: max(0, len(periodic) - self.keep_last)]:
            # the manifest goes first, so a half-done purge leaves an orphan, not a lie
            for victim in (path.with_suffix(".json"), path):
                try:
                    victim.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    log.warning("retention could not delete %s: %s", victim, exc)
                    break

    # --- find and load --------------------------------------------------------------------

    def _manifests(self) -> list[tuple[Path, Manifest]]:
        """Every parseable manifest in the directory as ``(pt_path, manifest)``; no verifying."""
        found = []
        for manifest_path in sorted(self.directory.glob("*.json")):
            if manifest_path.name.startswith(TMP_PREFIX):
                continue
            try:
                manifest = Manifest.from_dict(read_manifest_json(manifest_path), source=str(manifest_path))
            except (OSError, ValueError):
                continue
            found.append((self.directory / manifest.file, manifest))
        return found

    def verify(self, path: str | Path) -> Manifest:
        """The manifest of ``path`` when the file matches it; otherwise CheckpointError."""
        pt = Path(path)
        manifest_path = pt.with_suffix(".json")
        try:
            data = read_manifest_json(manifest_path)
        except FileNotFoundError:
            raise CheckpointError(f"{pt.name}: no manifest (the save did not finish)") from None
        except OSError as exc:
            raise CheckpointError(f"{pt.name}: cannot read manifest: {exc}") from exc
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise CheckpointError(f"{pt.name}: corrupt manifest: {exc}") from exc
        try:
            manifest = Manifest.from_dict(data, source=manifest_path.name)
        except ValueError as exc:
            raise CheckpointError(f"{pt.name}: corrupt manifest: {exc}") from exc
        if manifest.file != pt.name:
            raise CheckpointError(f"{pt.name}: manifest names another file {manifest.file!r}")
        try:
            size = pt.stat().st_size
        except FileNotFoundError:
            raise CheckpointError(f"{pt.name}: file is missing") from None
        if size != manifest.size_bytes:
            raise CheckpointError(f"{pt.name}: size {size} bytes, manifest says {manifest.size_bytes} (truncated?)")
        if file_sha256(pt) != manifest.sha256:
            raise CheckpointError(f"{pt.name}: sha256 does not match the manifest (corrupt)")
        return manifest

    def latest_valid(self) -> tuple[Path, Manifest] | None:
        """The newest verified resumable checkpoint, passing over invalid ones with a warning."""
        return next(self.valid_checkpoints(), None)

    def valid_checkpoints(self) -> Iterator[tuple[Path, Manifest]]:
        """Verified resumable checkpoints, newest first (step, then wall_time); each invalid one met on
        the way is passed over with a warning and a ``checkpoint_skipped`` event."""
        ranked = []
        for pt in self.directory.glob("*.pt"):
            if not _OWN_PT_RE.fullmatch(pt.name):
                continue
            try:
                data = read_manifest_json(pt.with_suffix(".json"))
                step, wall = int(data["step"]), float(data["wall_time"])
                kind = data.get("kind")
            except (OSError, ValueError, KeyError, TypeError, OverflowError):  # OverflowError: int(Infinity)
                step, wall, kind = _step_from_name(pt.name), 0.0, None
            if kind is not None and kind not in RESUMABLE_KINDS:
                continue
            ranked.append((step, wall, pt))
        ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
        for _step, _wall, pt in ranked:
            try:
                manifest = self.verify(pt)
            except CheckpointError as exc:
                log.warning("skipping checkpoint %s: %s", pt, exc)
                self._emit("checkpoint_skipped", file=pt.name, reason=str(exc))
                continue
            yield pt, manifest

    def load(self, path: str | Path) -> dict[str, Any]:
        """Load a checkpoint's state dict with ``torch.load(weights_only=True)`` on CPU."""
        import pickle

        import torch

        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise CheckpointError(f"cannot load checkpoint {path} with torch.load(weights_only=True): "
                                  f"{_torch_load_reason(exc)}") from exc

    def set_aside(self, path: str | Path, reason: str) -> Path:
        """Move a committed checkpoint that cannot be used (it matches its manifest, but its content
        cannot be loaded) into ``UNLOADABLE_DIR/``, manifest and all, so that resume, retention and
        a later save of the same name leave it alone; records ``checkpoint_skipped``. Returns its new path.

        Both files are hard-linked there before either name here goes, manifest first: a crash at
        any point leaves every byte in one place or the other, and never a manifest without its file.
        """
        pt = Path(path)
        aside = self.directory / UNLOADABLE_DIR
        self._emit("checkpoint_skipped", file=pt.name, reason=reason)
        try:
            aside.mkdir(exist_ok=True)
            stem, n = pt.stem, 0
            while (aside / f"{stem}.pt").exists() or (aside / f"{stem}.json").exists():
                n += 1  # an earlier checkpoint of this name set aside: keep it too
                stem = f"{pt.stem}.{n}"
            for source in (pt, pt.with_suffix(".json")):
                os.link(source, aside / f"{stem}{source.suffix}")
            fsync_dir(aside)
            pt.with_suffix(".json").unlink()
            pt.unlink()
            fsync_dir(self.directory)
        except OSError as exc:
            raise CheckpointError(f"cannot move {pt.name} into {aside}: {_describe_oserror(exc)}") from exc
        return aside / f"{stem}.pt"

    def clean_orphans(self) -> list[Path]:
        """Remove ``.tmp-*`` leftovers and ``.pt`` files without a manifest; return them."""
        removed = []
        for path in sorted(self.directory.iterdir()):
            orphan = path.name.startswith(TMP_PREFIX) or (
                _OWN_PT_RE.fullmatch(path.name) is not None and not path.with_suffix(".json").exists()
            )
            if not orphan or not path.is_file():
                continue
            try:
                path.unlink()
            except OSError as exc:
                log.warning("could not remove orphaned %s: %s", path, exc)
                continue
            removed.append(path)
        return removed

    def _emit(self, event: str, **fields: Any) -> None:
        if self.events is not None:
            try:
                self.events.emit(event, **fields)
            except OSError as exc:
                log.warning("could not record event %s: %s", event, exc)


def _torch_load_reason(exc: BaseException) -> str:
    """The one line of torch.load's error that says why (its weights_only refusal is a page of advice)."""
    text = str(exc)
    for line in text.splitlines():
        if "WeightsUnpickler error:" in line:
            return line.split("WeightsUnpickler error:", 1)[1].split(". Please use", 1)[0].strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _step_from_name(name: str) -> int:
    match = re.fullmatch(r"step-(\d+)\.pt", name)
    return int(match.group(1)) if match else -1
