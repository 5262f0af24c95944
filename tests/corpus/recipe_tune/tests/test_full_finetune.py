"""Smoke test for the full fine-tuning recipe on a very small config."""

import math

from recipes.full_finetune import FullFinetuneRecipe
from tinytune.config import load_config


def test_full_finetune_loss_goes_down(tmp_path):
    cfg = load_config("recipes/configs/tiny_lm.yaml", [
        f"output_dir={tmp_path}",
        "epochs=3",
        "dataset.num_samples=256",
        "dataset.stream_latency_s=0",
        "log_every_n_steps=5",
    ])
    recipe = FullFinetuneRecipe(cfg)
    recipe.setup(cfg)
    recipe.train()
    recipe.cleanup()

    assert len(recipe.epoch_losses) == 3
    assert all(math.isfinite(x) for x in recipe.epoch_losses)
    assert recipe.epoch_losses[-1] < recipe.epoch_losses[0]
