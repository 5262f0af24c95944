"""The transformer stage through real `magvit train --stage transformer` subprocesses: what its
checkpoints record, a SIGKILL and a bit-exact resume, and the resumes it refuses."""

from __future__ import annotations

import hashlib
import shutil
import signal

import pytest
import torch

try:
    from stage2_helpers import (
        TRANSFORMER_TINY, train_tiny_transformer, transformer_args,
    )  # fmt: skip
    from train_helpers import (
        Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, manifests, of_kind, run_train,
    )  # fmt: skip
except ImportError:  # tests/magvit became a package
    from .stage2_helpers import (  # type: ignore[no-redef]
        TRANSFORMER_TINY, train_tiny_transformer, transformer_args,
    )  # fmt: skip
    from .train_helpers import (  # type: ignore[no-redef]
        Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, manifests, of_kind, run_train,
    )  # fmt: skip

pytestmark = pytest.mark.slow  # every test here trains in subprocesses (20-40 s each on 2 busy cores)

LONG = ("--epochs", "12")  # long enough (a few seconds) for the kill to land mid-run


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data, tokenizer):
    """An uninterrupted transformer run, saving once an epoch."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    result = train_tiny_transformer(data, run_dir, tokenizer, *LONG, "--checkpoint-every", "1epoch")
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir


def assert_same_transformer_training(a: dict, b: dict) -> None:
    assert_same_training({**a, "best_val_recon": None}, {**b, "best_val_recon": None})
    assert torch.equal(a["mask_rng"], b["mask_rng"]), "the mask generator differs"
    assert a["best_val_loss"] == b["best_val_loss"]


def test_checkpoints_record_the_stage_and_the_tokenizer(reference, tokenizer):
    final = final_checkpoint(reference)
    assert final["stage"] == "transformer"
    assert final["tokenizer_sha256"] == hashlib.sha256(tokenizer.read_bytes()).hexdigest()
    assert final["config"]["stage"] == "transformer"
    assert {m["stage"] for m in manifests(reference)} == {"transformer"}
    assert final["best_metric"] == "val_loss"
    history = final["history"]["epochs"]
    assert len(history) == 12 and all(0 <= e["val_masked_acc"] <= 1 for e in history)
    # the masked-token loss is learned, not just noise: it falls over the run
    assert history[-1]["val_loss"] < history[0]["val_loss"]


def test_transformer_stage_survives_sigkill_and_resumes_bit_exactly(tmp_path, data, tokenizer, reference):
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, *transformer_args(tokenizer), *LONG, "--checkpoint-every", "1steps",
                      config=TRANSFORMER_TINY)
    _, bpe = batches_per_epoch()  # transformer_tiny.yaml splits and batches as tiny.yaml does
    step = bpe + 2  # mid-epoch
    trainer.wait_for_manifest(step)
    assert trainer.kill() == -signal.SIGKILL
    for manifest in manifests(run_dir):  # resume from exactly the step under test
        if manifest["step"] > step:
            (run_dir / "checkpoints" / manifest["file"]).with_suffix(".json").unlink()
    result = train_tiny_transformer(data, run_dir, tokenizer, *LONG, "--checkpoint-every", "10steps")
    assert result.returncode == 0, result.stdout + result.stderr
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    assert (resumed["step"], resumed["epoch"], resumed["batch_in_epoch"]) == (step, 1, 2)
    assert_same_transformer_training(final_checkpoint(run_dir), final_checkpoint(reference))


def test_resume_refuses_another_tokenizer_file(tmp_path, data, tokenizer):
    """Same path, other bytes: the recorded sha256 decides, and nothing is overwritten."""
    moved = tmp_path / "tokenizer.pt"
    shutil.copyfile(tokenizer, moved)
    run_dir = tmp_path / "run"
    result = train_tiny_transformer(data, run_dir, moved, "--epochs", "1")
    assert result.returncode == 0, result.stderr
    before = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    shutil.copyfile(tokenizer.parent / "best.pt", moved)  # another checkpoint of the tokenizer run
    result = train_tiny_transformer(data, run_dir, moved, "--epochs", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "sha256" in result.stderr and "tokenizer" in result.stderr
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == before


def test_resume_refuses_a_checkpoint_of_the_other_stage(tmp_path, data, tokenizer):
    run_dir = tmp_path / "tokenizer-run"
    shutil.copytree(tokenizer.parent.parent, run_dir)
    result = train_tiny_transformer(data, run_dir, tokenizer)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'tokenizer' stage" in result.stderr


def test_transformer_stage_without_a_tokenizer_is_refused(tmp_path, data):
    result = run_train(data, tmp_path / "run", "--stage", "transformer", config=TRANSFORMER_TINY)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--tokenizer" in result.stderr
