"""The stage registry and the session's stage bookkeeping (magvit.stages, magvit.train)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from magvit.config import ConfigError, RunConfig, load_run_config
from magvit.distributed import Dist
from magvit.stages import STAGES, UnknownStageError, build_stage, lr_factor, stage_class
from magvit.stages.tokenizer import TokenizerStage
from magvit.train import TrainError, train

try:
    from train_helpers import TINY, final_checkpoint, make_data
except ImportError:  # pragma: no cover - package-style import
    from .train_helpers import TINY, final_checkpoint, make_data  # type: ignore[no-redef]


def test_registry_names_both_stages_and_builds_the_tokenizer():
    assert set(STAGES) == {"tokenizer", "transformer"}
    stage = build_stage(load_run_config(TINY), n_train=18, dist=Dist())
    assert isinstance(stage, TokenizerStage)
    assert (stage.name, stage.best_metric) == ("tokenizer", "val_recon")
    with pytest.raises(UnknownStageError, match="'painter'"):
        stage_class("painter")


def test_config_names_the_stage_and_refuses_an_unknown_one():
    assert RunConfig().stage == "tokenizer" and RunConfig().to_dict()["stage"] == "tokenizer"
    with pytest.raises(ConfigError, match="stage = 'painter'"):
        RunConfig.from_dict({"stage": "painter"}, source="run.yaml")


def test_a_key_missing_from_an_older_checkpoint_config_counts_as_its_default():
    config = RunConfig()
    old = config.to_dict()
    del old["tokenizer"]["quantizer"], old["gan"]
    assert config.trajectory_differences(old) == []
    changed = dataclasses.replace(config, tokenizer=dataclasses.replace(config.tokenizer, causal=True))
    assert changed.trajectory_differences(old) == ["tokenizer.causal"]


def test_schedule_warms_up_then_decays_to_zero():
    factor = lr_factor("cosine", warmup=2, total=10)
    assert [factor(0), factor(1), factor(2)] == [0.5, 1.0, 1.0]
    assert factor(10) == pytest.approx(0.0)


def test_checkpoint_holds_the_session_fields_and_the_stage_state(tmp_path):
    data = make_data(tmp_path / "tiny.npz")
    config = dataclasses.replace(load_run_config(TINY), train=dataclasses.replace(load_run_config(TINY).train, epochs=1))
    result = train(data, tmp_path / "run", config, echo=lambda _: None)
    assert (result.best_metric, result.best_value is not None) == ("val_recon", True)
    saved = final_checkpoint(tmp_path / "run")
    assert saved["stage"] == "tokenizer" and saved["config"]["stage"] == "tokenizer"
    assert saved["best_metric"] == "val_recon" and saved["best_val_recon"] == result.best_value
    assert {"model", "optimizer", "scheduler"} <= set(saved) and "discriminator" not in saved
    assert isinstance(saved["model"]["encoder.conv_in.weight"], torch.Tensor)

    # the same run directory under another stage: refused, both stages named, nothing written
    other = dataclasses.replace(config, stage="transformer")
    with pytest.raises(TrainError, match="'tokenizer' stage and this run trains the 'transformer' stage"):
        train(data, tmp_path / "run", other, echo=lambda _: None)
