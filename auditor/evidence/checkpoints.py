"""Checkpoints in a run directory: ours (docs/run-directory.md, read through their manifests),
and a foreign run's, read without loading them.

Other teams' trainers name their checkpoints in many ways; every one of these is a periodic
candidate: step- or epoch-named files (`step_000050.pt`, `ckpt_0000191.pt`, `state-000323.pt`,
`epoch=1-step=167.ckpt`, `step_000100.ckpt`, Keras's `ckpt-e05-b0048.keras`), transformers'
`checkpoint-N/` folders, Accelerate's `checkpoint_N/` folders and torch.distributed.checkpoint
folders; so is a series of files named alike but for their numbers. `best*`, `final*` and Lightning's `last.ckpt` are not
periodic; an unnumbered file (`ckpt.pt`, `last.pt`) is `other`, and a run that overwrites one
file at every save shows its saves in its log instead (auditor.evidence.runlog).

A foreign checkpoint file's metadata (epoch, step, a time) is taken from the torch zip's
`data.pkl` (or a plain pickle file, or torch's legacy non-zip format) walked opcode by opcode:
nothing is imported, no object is built. A folder's time is the newest mtime inside it; only
transformers' `trainer_state.json` is read (JSON, size-bounded), the weights are only stat'ed.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor import rxcache, safeio, safezip
from auditor.evidence.pickles import StaticPickle, blocking_globals, pickle_end, read_pickle
from auditor.evidence.runfacts import Checkpoint
from auditor.evidence import ckptformats, runio
from auditor.evidence.runio import parse_time, present, read_json, relative
from auditor.ckptnames import is_checkpoint_file, zip_save
from auditor.runlayout import CHECKPOINTS_DIR, CHECKPOINT_FORMAT
MAX_PICKLE_BYTES = 16 * 1024 * 1024


IN_PROGRESS_S = 30.0  # a manifest-less .pt or .tmp-* younger than this is a save in progress


_TIME_KEYS = ("timestamp", "wall_time", "time", "saved_time", "saved_at", "ts")


_EPOCH_KEYS = ("epoch", "epochs_completed", "current_epoch")


_STEP_KEYS = ("step", "global_step", "iteration", "iter_num", "it")


# PyTorch Lightning's ModelCheckpoint files (`epoch=3-step=400.ckpt`, `last.ckpt`), searched
# besides the configured patterns: no layout of ours has a .ckpt, so they cannot be mistaken
LIGHTNING_PATTERNS = ("*.ckpt", "checkpoints/*.ckpt", "lightning_logs/version_*/checkpoints/*.ckpt")

# Hugging Face Trainer: one folder per checkpoint, its trainer_state.json written among the last files
HF_STATE_FILE = "trainer_state.json"


@dataclass(frozen=True)
class ForeignMetadata:
    """What a foreign checkpoint's pickle says, read without loading it: its top-level scalars and a note."""

    scalars: dict[str, Any] | None
    """Top-level scalars of the checkpoint's dict; None when it could not be read."""
    how: str
    """`pickle` (read statically) or empty."""
    note: str
    runs_code: bool = False
    """Loading it would call a function acting outside the data (see auditor.evidence.pickles)."""


def _data_pkl(names: list[str]) -> str | None:
    return next((n for n in names if n == "data.pkl" or n.endswith("/data.pkl")), "")


def read_checkpoint_metadata(path: Path, within: safeio.Root | None = None) -> ForeignMetadata:
    """Metadata of a foreign checkpoint, without executing its pickle, read through auditor.safeio:
    a zip's member count and directory are checked first and data.pkl is read up to
    MAX_PICKLE_BYTES of *inflated* bytes; a legacy file's first MAX_PICKLE_BYTES bytes."""
    shown = within.shown(path) if within is not None else str(path)
    try:
        if _looks_like_zip(path, within):
            data = safezip.zip_member(path, _data_pkl, within=within, cap=MAX_PICKLE_BYTES, shown=shown)
            if not data:
                return ForeignMetadata(None, "", "a zip without a data.pkl: not a torch checkpoint")
            return _static(data)
        head = safeio.read_bytes(path, within=within, cap=MAX_PICKLE_BYTES, shown=shown, truncate=True)
    except safeio.ReadRefused as exc:
        return ForeignMetadata(None, "", exc.why)
    except safeio.READ_ERRORS as exc:
        return ForeignMetadata(None, "", safeio.describe(exc, shown).split(": ", 1)[1])
    return _static(_legacy_torch_payload(head) or head)


def _looks_like_zip(path: Path, within: safeio.Root | None) -> bool:
    head = safeio.read_bytes(path, within=within, cap=4, truncate=True)
    return head == b"PK\x03\x04"


# torch.save(..., _use_new_zipfile_serialization=False): a pickled magic number, the protocol
# version and a sys_info dict come before the pickle of the saved object
_LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def _legacy_torch_payload(data: bytes) -> bytes | None:
    """The saved object's pickle inside torch's legacy (non-zip) format, or None when not that format."""
    end = pickle_end(data)
    if end is None or end > 32:
        return None
    if data.find(_LEGACY_TORCH_MAGIC.to_bytes(10, "little"), 0, end) < 0:
        return None
    offset = end
    for _ in range(2):  # the protocol version, then sys_info
        step = pickle_end(data[offset:])
        if step is None:
            return None
        offset += step
    return data[offset:]


def _static(data: bytes) -> ForeignMetadata:
    read = read_pickle(data)
    if read is None:
        return ForeignMetadata(None, "", "not a pickle that can be read statically (nothing was loaded)")
    return _judged(read)


def _judged(read: StaticPickle) -> ForeignMetadata:
    """Readable when loading it would build data only (auditor.evidence.pickles.blocking_globals):
    torch's weights_only allowlist, plain data constructors and other libraries' classes. Any call
    of a function is refused, so `cProfile.run`, `pydoc.pipepager` or any function nobody thought
    of is. Its scalars are still read, as a clue, never as evidence."""
    blocking = blocking_globals(read)
    if blocking:
        return ForeignMetadata(read.scalars, "pickle", f"unloadable: references {_listed(blocking)} (a call "
                               "acting outside the data; never loaded here)", runs_code=True)
    return ForeignMetadata(read.scalars, "pickle", "")


def _listed(names: tuple[str, ...], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def our_checkpoints(run: Path, verify: bool, errors: list[str]) -> list[Checkpoint]:
    folder = run / CHECKPOINTS_DIR
    inside = safeio.run_directory(run)
    try:
        safeio.check_dir(folder, inside, CHECKPOINTS_DIR)
    except FileNotFoundError:
        return []
    except safeio.ReadRefused as exc:
        errors.append(str(exc))
        return []
    out: list[Checkpoint] = []
    described: set[str] = set()
    for mpath in sorted(folder.glob("*.json")):
        mrel = relative(mpath, run)
        try:
            m = read_json(mpath, run)
        except FileNotFoundError:
            continue  # purged by retention (or decommitted by a save) since the listing
        except safeio.READ_ERRORS as exc:  # one bad manifest is one entry
            errors.append(f"unreadable manifest ({safeio.describe(exc, mrel)})")
            continue
        if not isinstance(m, dict) or m.get("format") != CHECKPOINT_FORMAT:
            continue
        name = m.get("file") if isinstance(m.get("file"), str) else mpath.with_suffix(".pt").name
        pt = mpath.parent / name
        described.add(pt.name)
        rel = relative(pt, run)
        kind = m.get("kind") if m.get("kind") in ("periodic", "best", "final", "preempt") else "other"
        wall = m.get("wall_time") if isinstance(m.get("wall_time"), (int, float)) else None
        status, note, size = "valid", "", 0
        try:  # the file field resolves inside the run directory, or nothing about it is looked at
            size = safeio.stat_file(pt, inside, rel).st_size
        except FileNotFoundError:
            status, note = "corrupt", "manifest without its .pt file"
        except safeio.ReadRefused as exc:
            status, note = "corrupt", f"its file field: {exc.why}"
        lacking = [k for k, ok in (("size_bytes", _is_int(m.get("size_bytes"))),
                                   ("sha256", _is_sha256(m.get("sha256")))) if not ok]
        if status == "valid" and lacking:
            # our trainer always writes both: without them nothing can tell an intact file
            status, note = "corrupt", f"manifest has no valid {' or '.join(lacking)} to verify the file against"
        if status == "valid" and m["size_bytes"] != size:
            status, note = "corrupt", f"size {size} bytes, manifest says {m['size_bytes']}"
        if status == "valid" and verify:
            try:
                digest = safeio.sha256(pt, within=inside, cap=size, shown=rel)
            except FileNotFoundError:
                status, note = "corrupt", "manifest without its .pt file"
            except safeio.READ_ERRORS as exc:
                status, note = "corrupt", safeio.describe(exc, rel).split(": ", 1)[1]
            else:
                if digest != m.get("sha256"):
                    status, note = "corrupt", "sha256 does not match the manifest"
        if status == "corrupt" and _manifest_changed(mpath, m):
            # a live trainer purged or replaced this checkpoint while it was being read: the
            # manifest goes first in both, so a manifest that is gone or new means work in progress
            if not present(pt):
                continue
            status, note = "in_progress", "changed while being read (a save or purge in progress)"
        out.append(Checkpoint(rel, kind, status, _int(m.get("epoch")), _int(m.get("step")), wall, "manifest", size,
                              mrel, note))
    out += _manifest_less(run, folder, described, errors)
    return out


def _manifest_less(run: Path, folder: Path, described: set[str], errors: list[str]) -> list[Checkpoint]:
    """The .pt and temp files in checkpoints/ that no manifest describes: saves in progress or
    that never finished."""
    inside = safeio.run_directory(run)
    now = time.time()
    out: list[Checkpoint] = []
    for pt in sorted(folder.iterdir()):
        if pt.name in described or pt.suffix == ".json" or pt.is_dir():
            continue
        if not (pt.suffix == ".pt" or pt.name.startswith(".tmp-")):
            continue
        try:
            st = safeio.stat_file(pt, inside, relative(pt, run))
        except FileNotFoundError:
            continue  # a temp file renamed into place, or a purged file, since the listing
        except safeio.ReadRefused as exc:
            errors.append(str(exc))
            continue
        young = now - st.st_mtime < IN_PROGRESS_S
        status = "in_progress" if young else "incomplete"
        note = "being written now" if young else ("an orphaned temporary file" if pt.name.startswith(".tmp-")
                                                  else "no manifest: the save did not finish")
        step = _int(m.group(1)) if (m := re.search(r"(\d+)", pt.stem)) and not pt.name.startswith(".tmp-") else None
        out.append(Checkpoint(relative(pt, run), "other", status, None, step, st.st_mtime, "mtime", st.st_size, None, note))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _manifest_changed(mpath: Path, seen: dict) -> bool:
    """Whether the manifest at `mpath` is gone or no longer what was read."""
    try:
        return read_json(mpath, mpath.parents[1]) != seen
    except safeio.READ_ERRORS:
        return True


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


MAX_DEPTH = 4  # folders below the run directory searched for checkpoints
_NUMBERED = rxcache.compile(r"(?:^|[^a-z])(?:step|epoch|iter|iteration|it|ckpt|checkpoint|state|snapshot|model|save|"
                            r"chunk)[_=-]?0*(\d+)|^0*(\d+)$", re.I)
# a streaming trainer's chunk of the stream (`chunk_000120.joblib`) is its step
_NAME_STEP = rxcache.compile(r"(?:step|iter|iteration|it|ckpt|checkpoint|state|snapshot|chunk)[_=-]?0*(\d+)", re.I)
# the count before its unit, as stable-baselines3's CheckpointCallback names a save (`rl_model_80000_steps`)
_NAME_STEPS_AFTER = rxcache.compile(r"(?:^|[_-])0*(\d+)[_-]?steps?$", re.I)
_NAME_EPOCH = rxcache.compile(r"epoch[_=-]?0*(\d+)", re.I)
_FOLDER = rxcache.compile(r"^checkpoint[-_](\d+)$")
_RECOVERY = rxcache.compile(r"(?:^|[^a-z])recovery[-_]0*(\d+)[-_]\d+$")  # timm's mid-epoch save, recovery-2-79
# one checkpoint saved as a folder named for its step or epoch (`step_000546/`, DeepSpeed's `global_step500/`):
# weights, an optimizer file and often a JSON sidecar with the step and the time
_STEP_FOLDER = rxcache.compile(r"^(?:ckpt|step|global_step|iter|iteration|epoch|snapshot|save)[-_=]?(\d+)$", re.I)
_CHECKPOINT_FOLDER_NAMES = {"checkpoints", "checkpoint", "ckpt", "ckpts"}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".distcp")
MAX_SIDECAR_BYTES = 64 * 1024
_WEIGHTS = rxcache.compile(r"^(?:model|pytorch_model|adapter_model)[\w.-]*\.(?:safetensors|bin)$")
_SKIP_DIRS = {"__pycache__", "tensorboard", "wandb", "mlruns", ".hydra"}


# --------------------------------------------------------------------------- finding them


def candidates(run: Path, patterns: list[str], taken: set[str]) -> tuple[list[Path], list[Path]]:
    """(checkpoint files, checkpoint folders) under `run`: the configured patterns, and every
    checkpoint file (auditor.ckptnames) and checkpoint folder down to MAX_DEPTH levels."""
    files: list[Path] = []
    for pattern in patterns:
        files += sorted(p for p in run.glob(pattern) if not p.is_dir())
    folders: list[Path] = []
    for dirpath, dirs, names in os.walk(run, followlinks=False):
        here = Path(dirpath)
        depth = len(here.relative_to(run).parts)
        keep = []
        for d in sorted(dirs):
            if _FOLDER.match(d) or _saved_as_folder(here, d):
                folders.append(here / d)  # one checkpoint: stat'ed, not walked
            elif depth < MAX_DEPTH and not d.startswith(".") and d not in _SKIP_DIRS:
                keep.append(d)
        dirs[:] = keep
        files += [here / n for n in sorted(names) if _checkpoint_file(n, here.name) and _zip_kept(here / n, run)]
    seen: set[str] = set(taken)
    unique = []
    for p in files:
        rel = relative(p, run)
        if rel not in seen:
            seen.add(rel)
            unique.append(p)
    return unique, folders


def _checkpoint_file(name: str, folder: str) -> bool:
    # a lone .safetensors file is weights, read as part of a checkpoint folder, not a checkpoint of its own here
    return is_checkpoint_file(name, folder) and not name.endswith(".safetensors")


def _zip_kept(path: Path, run: Path) -> bool:
    """A `.zip` named like a checkpoint is one unless its directory shows something other than a model
    save (an archive of results); one that is no zip at all, or torn, is kept: an unreadable save."""
    if not path.name.lower().endswith(".zip"):
        return True
    try:
        names = safezip.zip_names(path, within=safeio.run_directory(run), shown=relative(path, run))
    except safeio.READ_ERRORS:
        return True
    return bool(zip_save(names))


def _saved_as_folder(parent: Path, name: str) -> bool:
    """A step- or epoch-named folder is one checkpoint when it holds weights, or sits in a checkpoints
    folder; a folder of torch.distributed.checkpoint shards is one whatever its name."""
    named = bool(_STEP_FOLDER.match(name))
    if named and parent.name.lower() in _CHECKPOINT_FOLDER_NAMES:
        return True
    try:
        return any(p.name.endswith(".distcp") or (named and p.name.endswith(_WEIGHT_SUFFIXES))
                   for p in (parent / name).iterdir())
    except OSError:
        return False


def kind_of(name: str, epoch_re: Any = None) -> tuple[str, int | None, int | None]:
    """(kind, epoch, step) a checkpoint's name says."""
    low = name.lower()
    stem = re.sub(r"(?:\.weights)?\.(pt|pth|ckpt|safetensors|bin|keras|h5|npz|joblib|pkl|pickle|zip)$|"
                  r"(?:\.(?:pt|pth|ckpt))?\.tar$", "", low)
    epoch_m = (epoch_re.search(name) if epoch_re is not None else None) or _NAME_EPOCH.search(name)
    epoch = int(epoch_m.group(1)) if epoch_m and epoch_m.groups() and epoch_m.group(1) else None
    step_m = _NAME_STEP.search(stem) or _NAME_STEPS_AFTER.search(stem)
    step = int(step_m.group(1)) if step_m else None
    if "best" in low:
        return "best", epoch, step
    if "final" in low or stem == "last" or stem.startswith("last-") or stem.startswith("last_"):
        return "final", epoch, step
    if "preempt" in low:
        return "preempt", epoch, step
    recovery = _RECOVERY.search(stem)
    if recovery:  # timm's recovery-E-B: epoch E, batch B of it (not a global step)
        return "periodic", int(recovery.group(1)) if epoch is None else epoch, step
    numbered = epoch is not None or step is not None or bool(_NUMBERED.search(stem))
    return ("periodic" if numbered else "other"), epoch, step


def read_files(run: Path, files: list[Path], epoch_re: Any, errors: list[str]) -> list[Checkpoint]:
    inside = safeio.run_directory(run)
    out = []
    now = time.time()
    for pt in files:
        rel = relative(pt, run)
        kind, epoch, step = kind_of(pt.name, epoch_re)
        try:
            st = safeio.stat_file(pt, inside, rel)
        except FileNotFoundError:
            continue  # removed since the listing (a live run purging old checkpoints)
        except safeio.ReadRefused as exc:  # a link out, a FIFO: one entry, nothing about its target
            errors.append(str(exc))
            continue
        if st.st_size == 0:
            status = "in_progress" if now - st.st_mtime < IN_PROGRESS_S else "incomplete"
            out.append(Checkpoint(rel, kind, status, epoch, step, st.st_mtime, "mtime", 0, None, "empty file"))
            continue
        zipped = ckptformats.zip_save_status(pt, inside, rel) if pt.name.lower().endswith(".zip") else None
        if zipped is not None:  # a stable-baselines3 save: told by its members, its step from its data JSON
            status, note, held = zipped
            out.append(Checkpoint(rel, kind, status, epoch, step if held is None else held, st.st_mtime, "mtime",
                                  st.st_size, None, note))
            continue
        if pt.name.lower().endswith(".npz"):
            status, note, held = ckptformats.numpy_archive(pt, inside, rel)
            out.append(Checkpoint(rel, kind, status, epoch, step if held is None else held, st.st_mtime, "mtime",
                                  st.st_size, None, note))
            continue
        if ckptformats.is_pickle_file(pt.name):  # joblib.dump / pickle.dump: told by structure, never unpickled
            status, note = ckptformats.pickle_file_status(pt, inside, rel)
            if status == "incomplete" and now - st.st_mtime < IN_PROGRESS_S:
                status = "in_progress"
            out.append(Checkpoint(rel, kind, status, epoch, step, st.st_mtime, "mtime", st.st_size, None, note))
            continue
        if ckptformats.is_framework_file(pt.name):
            status, note = ckptformats.framework_file_status(pt, inside, rel)
            out.append(Checkpoint(rel, kind, status, epoch, step, st.st_mtime, "mtime", st.st_size, None, note))
            continue
        meta = read_checkpoint_metadata(pt, inside)
        t, source = None, "mtime"
        if meta.scalars:
            for key in _TIME_KEYS:
                value = meta.scalars.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    t, source = float(value), meta.how
                    break
                if isinstance(value, str) and parse_time(value) is not None:
                    t, source = parse_time(value), meta.how
                    break
            if epoch is None:
                epoch = next((meta.scalars[k] for k in _EPOCH_KEYS if _int(meta.scalars.get(k)) is not None), None)
            step = next((meta.scalars[k] for k in _STEP_KEYS if _int(meta.scalars.get(k)) is not None), step)
        if t is None:
            t = st.st_mtime
        if meta.scalars is None:
            status = "in_progress" if now - st.st_mtime < IN_PROGRESS_S else "unreadable"
        else:
            status = "unreadable" if meta.runs_code else "readable"
        out.append(Checkpoint(rel, kind, status, epoch, step, t, source, st.st_size, None, meta.note))
    return _series_periodic(out)


def _series_periodic(found: list[Checkpoint]) -> list[Checkpoint]:
    """Files of one folder named alike but for their numbers (`ckpt-e05-b0048.keras`,
    `ckpt-e10-b0033.keras`) are a series of saves: periodic, though no word names a step."""
    shapes: dict[str, set[str]] = {}
    for c in found:
        if c.kind == "other" and re.search(r"\d", c.file.rsplit("/", 1)[-1]):
            shapes.setdefault(re.sub(r"\d+", "#", c.file), set()).add(c.file)
    series = {f for files in shapes.values() if len(files) >= 2 for f in files}
    return [replace(c, kind="periodic") if c.file in series else c for c in found]


@dataclass(frozen=True)
class HfLogHistory:
    """The newest transformers checkpoint's log_history entries with a loss (per-step lines)."""

    file: str = ""
    lines: int = 0
    example: str = ""
    step: int = 0  # the checkpoint's global step


def read_folders(run: Path, folders: list[Path], errors: list[str]) -> tuple[list[Checkpoint], HfLogHistory]:
    """Checkpoints saved as folders, each one checkpoint: `checkpoint-N/` (transformers),
    `checkpoint_N/` (Accelerate) and step- or epoch-named folders (`step_000546/`, `global_step500/`).

    transformers writes trainer_state.json among its last files: without it the save did not
    finish. Accelerate and the step-named folders write no marker: a folder with model weights
    counts as written; a step folder's JSON sidecar (`meta.json`) gives its step and time.
    """
    inside = safeio.run_directory(run)
    out: list[Checkpoint] = []
    newest_log = HfLogHistory()
    now = time.time()
    for folder in folders:
        rel = relative(folder, run)
        try:
            entries = [p for p in folder.rglob("*") if not p.is_dir()]
            stats = [safeio.stat_file(p, inside) for p in entries]
        except safeio.ReadRefused as exc:
            errors.append(str(exc))
            continue
        except FileNotFoundError:
            continue  # purged by a save limit since the listing
        t = max((st.st_mtime for st in stats), default=None)
        young = t is not None and now - t < IN_PROGRESS_S
        unfinished = "in_progress" if young else "incomplete"
        base = Checkpoint(rel, "periodic", "readable", None, None, t, "mtime", sum(st.st_size for st in stats), None,
                          "")
        if folder.name.startswith("checkpoint-"):
            found, log = _hf_folder(folder, run, base, unfinished, errors)
            if log.lines and (not newest_log.lines or log.step > newest_log.step):
                newest_log = log
        elif ckptformats.dcp_folder(entries):
            found = _dcp_folder(folder, base, entries, unfinished)
        elif _FOLDER.match(folder.name):  # Accelerate numbers its folders by save, not by step
            weighted = any(_WEIGHTS.match(p.name) for p in entries)
            found = base if weighted else replace(base, status=unfinished, note="no model weights in it")
        else:
            found = _step_folder(folder, run, base, entries, unfinished, errors)
        out.append(found)
    return out, newest_log


def _dcp_folder(folder: Path, base: Checkpoint, entries: list[Path], unfinished: str) -> Checkpoint:
    """A torch.distributed.checkpoint folder: its step from its name, finished once its .metadata is written."""
    kind, epoch, step = kind_of(folder.name)
    found = replace(base, kind=kind, epoch=epoch, step=step, note="torch.distributed.checkpoint folder (not loaded)")
    why = ckptformats.dcp_unfinished(folder, entries)
    return replace(found, status=unfinished, note=why) if why else found


def _hf_folder(folder: Path, run: Path, base: Checkpoint, unfinished: str,
               errors: list[str]) -> tuple[Checkpoint, HfLogHistory]:
    named = _FOLDER.match(folder.name)
    step = int(named.group(1)) if named else None
    state = _trainer_state(folder, run, errors)
    if state is None:
        return replace(base, status=unfinished, step=step, note=f"no {HF_STATE_FILE}: the save did not finish"), \
            HfLogHistory()
    if not isinstance(state, dict):
        return replace(base, status="unreadable", step=step, note=f"{HF_STATE_FILE} unreadable"), HfLogHistory()
    step = _int(state.get("global_step")) if _int(state.get("global_step")) is not None else step
    epoch = None
    raw_epoch = state.get("epoch")
    if isinstance(raw_epoch, (int, float)) and not isinstance(raw_epoch, bool) and raw_epoch >= 0:
        epoch = int(raw_epoch)  # a fraction is an epoch in progress: count the completed ones
    history = state.get("log_history")
    batches = [h for h in history if isinstance(h, dict) and "loss" in h and "step" in h] \
        if isinstance(history, list) else []
    log = HfLogHistory(f"{base.file}/{HF_STATE_FILE}", len(batches), "log_history: " + json.dumps(batches[-1])[:180],
                       step or 0) if batches else HfLogHistory()
    return replace(base, step=step, epoch=epoch), log


def _step_folder(folder: Path, run: Path, base: Checkpoint, entries: list[Path], unfinished: str,
                 errors: list[str]) -> Checkpoint:
    """A step- or epoch-named folder: its number from the name, step and time from a JSON sidecar."""
    kind, epoch, step = kind_of(folder.name)
    found = replace(base, kind=kind if kind in ("best", "final") else "periodic", epoch=epoch, step=step)
    for sidecar in [p for p in entries if p.suffix == ".json" and p.parent == folder][:2]:
        rel = relative(sidecar, run)
        try:
            data = safeio.read_json(sidecar, within=safeio.run_directory(run), cap=MAX_SIDECAR_BYTES, shown=rel)
        except FileNotFoundError:
            continue
        except safeio.READ_ERRORS as exc:
            errors.append(f"unreadable ({safeio.describe(exc, rel)})")
            continue
        if isinstance(data, dict):
            found = _with_sidecar(found, data)
    if not any(p.name.endswith(_WEIGHT_SUFFIXES) for p in entries):
        return replace(found, status=unfinished, note="no weights in it: the save did not finish")
    return found


def _with_sidecar(found: Checkpoint, data: dict[str, Any]) -> Checkpoint:
    step = next((data[k] for k in _STEP_KEYS if _int(data.get(k)) is not None), found.step)
    epoch = next((data[k] for k in _EPOCH_KEYS if _int(data.get(k)) is not None), found.epoch)
    for key in _TIME_KEYS:
        value = data.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e8:
            return replace(found, step=step, epoch=epoch, time=float(value), time_source="json")
        if isinstance(value, str) and parse_time(value) is not None:
            return replace(found, step=step, epoch=epoch, time=parse_time(value), time_source="json")
    return replace(found, step=step, epoch=epoch)


def _trainer_state(folder: Path, run: Path, errors: list[str]) -> Any:
    """The folder's trainer_state.json; None when absent, False when unreadable."""
    rel = relative(folder / HF_STATE_FILE, run)
    try:
        return safeio.read_json(folder / HF_STATE_FILE, within=safeio.run_directory(run), cap=runio.MAX_JSON_BYTES,
                                shown=rel)
    except FileNotFoundError:
        return None
    except safeio.READ_ERRORS as exc:
        errors.append(f"unreadable ({safeio.describe(exc, rel)})")
        return False
