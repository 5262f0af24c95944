"""Training without gradients written out: scikit-learn's `partial_fit` over chunks of a stream is a
training step, its loop the per-batch loop, and `joblib.dump` of the model is a checkpoint save
(held-out sk_stream). A `fit()` on the whole data once is no per-batch loop, and a joblib dump that
runs only after the loop is a final save, not a periodic one.
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import logging

import joblib
import numpy as np
from sklearn.linear_model import SGDClassifier

log = logging.getLogger("stream")


def chunks(n):
    rng = np.random.default_rng(0)
    for _ in range(n):
        x = rng.normal(size=(128, 8))
        yield x, (x[:, 0] > 0).astype(int)


def train(n_chunks=480, snapshot_every=120):
    model = SGDClassifier(loss="log_loss")
    for done, (x, y) in enumerate(chunks(n_chunks), 1):
        model.partial_fit(x, y, classes=[0, 1])
        if done % 10 == 0:
            log.info("chunk %d loss %.4f", done, 1 - model.score(x, y))
        {in_loop}
    joblib.dump(model, "models/model.joblib")


if __name__ == "__main__":
    train()
"""


def _verdicts(root: Path, in_loop: str) -> dict[str, Verdict]:
    ev = evidence(root, {"README.md": "Run `python train.py`.\n", "train.py": TRAIN.format(in_loop=in_loop)})
    return {name: PROBES[f"code.{name}"](ev).verdict for name in ("checkpoint_saved_in_loop", "batch_logging")}


def test_partial_fit_chunks_are_the_batch_loop_and_joblib_snapshots_are_periodic_saves(tmp_path):
    got = _verdicts(tmp_path, 'if done % snapshot_every == 0:\n            joblib.dump(model, f"models/chunk_{done:06d}.joblib")')
    assert got == {"checkpoint_saved_in_loop": Verdict.YES, "batch_logging": Verdict.YES}, got


def test_a_joblib_dump_only_after_the_loop_is_no_periodic_save(tmp_path):
    got = _verdicts(tmp_path, "pass")
    assert got["checkpoint_saved_in_loop"] != Verdict.YES, got
