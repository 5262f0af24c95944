"""Finding CheckpointCallback's zips again."""

import re
from pathlib import Path

_STEPS = re.compile(r"_(\d+)_steps\.zip$")


def checkpoint_step(path):
    """Step count in a CheckpointCallback file name, or None for other files."""
    match = _STEPS.search(Path(path).name)
    return int(match.group(1)) if match else None


def latest_checkpoint(folder):
    """The checkpoint with the highest step count in `folder`, or None.

    Sorted by the number in the name, not the name itself: 'ppo_cartpole_80000_steps.zip'
    sorts after 'ppo_cartpole_160000_steps.zip' as a string.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = [(checkpoint_step(p), p) for p in folder.glob("*_steps.zip")]
    found = [(step, p) for step, p in found if step is not None]
    if not found:
        return None
    return max(found)[1]
