"""Which files are checkpoints, by name alone: one answer for discovery's walk and a run's reading.

Trainers save in their framework's formats:

- torch and Lightning: `.pt`, `.pth`, `.ckpt`; safetensors: `.safetensors`; torch.save to a
  `.pth.tar` / `.pt.tar` name (timm's checkpoint-3.pth.tar, recovery-2-79.pth.tar, model_best.pth.tar,
  and many older trainers'), read like any torch file, never unpacked as a tar. A bare `.tar` is
  also an ordinary archive, so it counts only when its name or its folder says it is a model or a
  checkpoint (`checkpoint.tar`, `model_best.tar`), never `data.tar`;
- Keras: `.keras` (ModelCheckpoint, `model.save`), `.weights.h5` (save_weights_only, the
  backup of BackupAndRestore) and the legacy `.h5`. HDF5 is also a common format for data,
  so a bare `.h5` counts only when its name or its folder says it is a model or a checkpoint
  (`model.h5`, `weights-03.h5`, `checkpoints/e05.h5`), never `train.h5` in a data folder;
- NumPy: `.npz` archives (`np.savez` of a pure-NumPy or JAX trainer's parameters and optimizer
  state: `ckpt_0028496.npz`, `step_500.npz`, `params_epoch3.npz`). An `.npz` is as often a dataset
  (`mnist.npz`, `train_000.npz`), so it counts only when its name says checkpoint (a checkpoint,
  model, parameters or state word, or a step, iteration or epoch number) or its folder does
  (`checkpoints/000500.npz`);
- pickles of non-torch trainers: `joblib.dump` of a scikit-learn estimator (or an XGBoost / LightGBM
  wrapper) fitted by `partial_fit` (`model.joblib`, `snapshots/chunk_000120.joblib`), a GAN
  trainer's `network-snapshot-000200.pkl`. A `.joblib`, `.pkl` or `.pickle` is as often data or
  a part of one save (`features.joblib`, nanoGPT's `meta.pkl`, Accelerate's `random_states_0.pkl`),
  so it counts only when its name says checkpoint (a checkpoint, model, snapshot or weights word, a
  step, iteration or epoch number) or its folder does (`snapshots/`, `checkpoints/`, `models/`);
- stable-baselines3: `model.save` writes a `.zip` (CheckpointCallback's `rl_model_80000_steps.zip`,
  EvalCallback's `best_model.zip`) holding a `data` JSON, `policy.pth`, `policy.optimizer.pth`,
  `pytorch_variables.pth` and `_stable_baselines3_version`. A `.zip` is as often an archive of anything,
  so it counts only when its name or its folder says it is a model or a checkpoint, and then only
  when its members are a model save (`zip_save`: read from the zip's directory, never unpacked);
- a weakly typed file (`.h5`, `.tar`, `.zip`, `.npz`, a pickle) in a data folder (`data/`, `datasets/`, `cache/`) is
  data, whatever its name;
- torch.distributed.checkpoint (DCP): one save is a folder of `*.distcp` shards and a
  `.metadata` file, written last, whatever the folder is called. A shard is not a checkpoint
  alone: its folder is (`shards_folder`).
"""

from __future__ import annotations

import re

from auditor import rxcache

FILE_SUFFIXES = (".pt", ".pth", ".pth.tar", ".pt.tar", ".ckpt", ".safetensors", ".keras", ".weights.h5")
SHARD_SUFFIX = ".distcp"
DCP_METADATA = ".metadata"  # DCP writes it after every shard: without it the save did not finish
_MODEL_FOLDERS = frozenset({"checkpoints", "checkpoint", "ckpt", "ckpts", "weights", "models", "saved_models",
                            "snapshots", "snapshot"})
_MODEL_H5 = rxcache.compile(r"(?:model|weight|ckpt|checkpoint|epoch|step|best|final|last|snapshot)", re.I)
# an .npz's name that says checkpoint: the words above, and what a hand-written NumPy trainer calls its save
_MODEL_NPZ = rxcache.compile(r"(?:model|weight|ckpt|checkpoint|epoch|step|best|final|last|snapshot|param|state|"
                             r"iter(?:ation)?[-_]?\d)", re.I)
# a pickle's name that says checkpoint: not a state or parameter word (RNG states, a scheduler's pickle)
_MODEL_PICKLE = rxcache.compile(r"(?:model|weight|ckpt|checkpoint|snapshot|epoch|step|iter(?:ation)?[-_]?\d)", re.I)
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_DATA_FOLDERS = frozenset({"data", "dataset", "datasets", "cache", "raw", "processed"})
_WEAKLY_TYPED = ((".h5", _MODEL_H5), (".tar", _MODEL_H5), (".zip", _MODEL_H5), (".npz", _MODEL_NPZ),
                 *((suffix, _MODEL_PICKLE) for suffix in PICKLE_SUFFIXES))


def is_checkpoint_file(name: str, folder: str = "") -> bool:
    """Whether a file called `name`, in a folder called `folder` (its last part), is one checkpoint."""
    low = name.lower()
    if low.endswith(FILE_SUFFIXES):
        return True
    for suffix, says in _WEAKLY_TYPED:
        if low.endswith(suffix):
            if folder.lower() in _DATA_FOLDERS:
                return False
            return bool(says.search(low[:-len(suffix)])) or folder.lower() in _MODEL_FOLDERS
    return False


SB3_MEMBERS = ("data", "_stable_baselines3_version")


def zip_save(members: list[str]) -> str:
    """What model save a zip's member names say it is: `stable-baselines3` (a `data` JSON beside the
    policy's `.pth` files, or SB3's version file), `torch` (torch.save's own zip, `<name>/data.pkl`),
    else ""."""
    if "_stable_baselines3_version" in members or ("data" in members and any(m.endswith(".pth") for m in members)):
        return "stable-baselines3"
    if any(m.count("/") == 1 and m.endswith("/data.pkl") for m in members):
        return "torch"
    return ""


def is_shard(name: str) -> bool:
    """A file that is one part of a checkpoint saved as a folder (a DCP shard)."""
    return name.lower().endswith(SHARD_SUFFIX)


def shards_folder(names: list[str] | tuple[str, ...]) -> bool:
    """Whether a folder holding `names` is one checkpoint saved as a folder of shards."""
    return any(is_shard(n) for n in names)
