"""Shared helpers of the transformer-stage tests: a tiny tokenizer checkpoint and tiny transformer runs."""

from __future__ import annotations

from pathlib import Path

try:
    from train_helpers import REPO, TINY, make_data, run_train
except ImportError:  # tests/magvit became a package
    from .train_helpers import REPO, TINY, make_data, run_train  # type: ignore[no-redef]

TRANSFORMER_TINY = REPO / "magvit" / "configs" / "transformer_tiny.yaml"


def train_tiny_tokenizer(data: Path, run_dir: Path) -> Path:
    """A few seconds of `magvit train --config tiny.yaml`; the path of its final checkpoint."""
    result = run_train(data, run_dir, config=TINY)
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir / "checkpoints" / "final.pt"


def transformer_args(tokenizer: Path, *extra: str) -> tuple[str, ...]:
    return ("--stage", "transformer", "--tokenizer", str(tokenizer), *extra)


def train_tiny_transformer(data: Path, run_dir: Path, tokenizer: Path, *extra: str):
    """`magvit train --stage transformer --tokenizer TOKENIZER` with transformer_tiny.yaml, to completion."""
    return run_train(data, run_dir, *transformer_args(tokenizer, *extra), config=TRANSFORMER_TINY)


__all__ = ["TRANSFORMER_TINY", "make_data", "train_tiny_tokenizer", "train_tiny_transformer", "transformer_args"]
