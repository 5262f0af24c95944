"""A standalone tool beside a training script is not the training loop.

When training starts from a script or module (no entry function), the code column searches every
function for the training loop. A tool run on its own (`tools/convert.py`: a `__main__` block that
loops over old checkpoints, loads and saves each, and writes its own progress file) was taken for
it: periodic checkpoints, a progress file, resume and auto-resume all ✅, while the training
script saves once, at the end. Such a file is left out when nothing in the project imports or
names it; a script the training imports, or starts by name, still counts.
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import torch
{imports}


def main():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % 100 == 0:
            print(f"step {{step}} loss {{loss.item():.4f}}")
        {in_loop}
    torch.save({{"model": model.state_dict()}}, "final.pt")


if __name__ == "__main__":
    main()
"""

TOOL = """\
import glob
import json
import time

import torch


def snapshot(state, path):
    torch.save(state, path)


def main():
    last = time.time()
    for path in sorted(glob.glob("old/*.pt")):
        state = torch.load(path)
        snapshot({k: v.half() for k, v in state.items()}, path.replace("old/", "new/"))
        if time.time() - last > 60:
            with open("convert_progress.json", "w") as f:
                json.dump({"done": path}, f)
            last = time.time()


if __name__ == "__main__":
    main()
"""


def _code(root: Path, imports: str = "", in_loop: str = "pass") -> dict[str, Verdict]:
    files = {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN.format(imports=imports, in_loop=in_loop),
             "tools/convert.py": TOOL}
    write(root, files)
    ev = evidence(root)
    assert ev.config.entry_point == "train.py", ev.config.entry_point
    return {name: PROBES[f"code.{name}"](ev).verdict for name in (
        "checkpoint_saved_in_loop", "progress_written_in_loop", "resume_wired", "auto_resume")}


def test_a_standalone_tools_loop_decides_nothing(tmp_path):
    verdicts = _code(tmp_path)
    assert all(v != Verdict.YES for v in verdicts.values()), verdicts


def test_a_script_the_training_imports_still_counts(tmp_path):
    verdicts = _code(tmp_path, imports="import sys\nsys.path.insert(0, 'tools')\nfrom convert import snapshot",
                     in_loop="snapshot({'model': model.state_dict()}, f'ckpt_{step}.pt')")
    assert verdicts["checkpoint_saved_in_loop"] == Verdict.YES, verdicts
