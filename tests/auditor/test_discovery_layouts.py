"""Discovery on more of the layouts other teams use (small projects written here, not the corpus):
the entry that trains rather than one that only loads a model, checkpoint folders named by
step, and a run whose logs a scheduler writes elsewhere than its checkpoints."""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.discovery import discover


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_the_documented_script_that_trains_is_the_entry_not_the_one_that_only_predicts(tmp_path):
    root = write(tmp_path / "p", {
        "README.md": "Train: `python train.py --epochs 3`\n\nThen `python predict.py` classifies a few.\n",
        "train.py": """
            from fastai.vision.all import *
            def main(epochs=3):
                learn = Learner(dls, net())
                learn.fit_one_cycle(epochs, 1e-3, cbs=[SaveModelCallback(every_epoch=True)])
        """,
        "predict.py": """
            from fastai.vision.all import *
            def main():
                learn = load_learner('export.pkl')
                print(learn.predict(x))
        """,
    })
    found = discover(root)
    assert found.entry_point.target == "train.py"
    assert [(loop.file, loop.function) for loop in found.loops] == [("train.py", "main")]


def test_an_engine_that_takes_the_backward_pass_and_the_step_is_a_training_loop(tmp_path):
    root = write(tmp_path / "p", {
        "README.md": "`python export.py` and `python pretrain.py`\n",
        "pretrain.py": """
            def main():
                engine, _, _, _ = deepspeed.initialize(model=model)
                for batch in loader:
                    loss = engine(batch)
                    engine.backward(loss)
                    engine.step()
        """,
        "export.py": "def main():\n    model = load('x')\n    print(model(1))\n",
    })
    found = discover(root)
    assert found.entry_point.target == "pretrain.py"


def test_with_no_loop_found_a_documented_train_script_ranks_before_another(tmp_path):
    root = write(tmp_path / "p", {
        "README.md": "`python evaluate.py` then `python train.py`\n",
        "train.py": "import lib\nlib.go()\n",
        "evaluate.py": "import lib\nlib.score()\n",
    })
    assert discover(root).entry_point.target == "train.py"


def test_step_named_checkpoint_folders_are_checkpoints_of_their_run(tmp_path):
    files = {"experiments/r1/train.log": "2026-01-01 10:00:00 step 10 | loss 0.5\n",
             "experiments/r1/status.txt": "state: running\n"}
    for step in ("000100", "000200", "000300"):
        for name in ("model.safetensors", "ema.safetensors", "optimizer.pt", "meta.json"):
            files[f"experiments/r1/checkpoints/step_{step}/{name}"] = "x"
    found = discover(write(tmp_path / "p", files))
    assert [(r.path, r.checkpoints) for r in found.run_dirs] == [("experiments/r1", 3)]
    assert found.run_dir.logs == ("experiments/r1/train.log",)


def test_a_folder_of_weights_not_named_for_a_step_is_still_its_own_run(tmp_path):
    found = discover(write(tmp_path / "p", {"exports/model.safetensors": "x", "exports/tokenizer.json": "{}"}))
    assert [(r.path, r.checkpoints) for r in found.run_dirs] == [("exports", 1)]


SBATCH = """\
    #!/bin/bash
    #SBATCH --job-name=lm
    #SBATCH --output=logs/%x-%j.out
    #SBATCH --open-mode=append
    srun python -u train.py --ckpt-dir "${SCRATCH}/ckpt"
"""


def test_a_scheduler_job_writes_the_runs_log_where_its_output_option_says(tmp_path):
    root = write(tmp_path / "p", {
        "jobs/train.sbatch": SBATCH,
        "scratch/ckpt/step_0000100.pt": "x", "scratch/ckpt/step_0000200.pt": "x",
        "logs/lm-4821.out": "2026-01-01 10:00:00 INFO step 25 loss 2.0\n",
        "logs/notes.log": "unrelated\n",
    })
    found = discover(root)
    assert found.run_dir.path == "scratch" and found.run_dir.logs == ("logs/lm-4821.out",)


def test_a_log_kept_apart_from_the_checkpoints_is_the_runs_when_it_names_them(tmp_path):
    root = write(tmp_path / "p", {
        "scratch/ckpt/step_0000100.pt": "x", "scratch/ckpt/step_0000200.pt": "x",
        "logs/job-17.out": "10:00:01 step 25 loss 2.0\n10:02:00 checkpoint -> /abs/scratch/ckpt/step_0000100.pt\n",
        "logs/other-18.out": "10:00:01 step 25 loss 2.0\n",
        "docs/sample.log": "saved step_0000100.pt\n",
    })
    found = discover(root)
    assert found.run_dir.path == "scratch" and found.run_dir.logs == ("logs/job-17.out",)


def test_a_loop_in_a_function_whose_signature_closes_at_the_margin_is_that_functions(tmp_path):
    root = write(tmp_path / "p", {"train.py": """
        def main(
            epochs: int = 8,   # total epochs
            lr: float = 3e-3,
        ):
            "Train."
            learn = Learner(dls, net())
            learn.fit_one_cycle(epochs, lr)
    """})
    found = discover(root)
    assert [(loop.file, loop.function) for loop in found.loops] == [("train.py", "main")]
    assert found.drivers == ("main",)
