"""Adversarial tokenizer training: discriminator, GAN losses, LeCam, generator EMA, exact resume."""

from __future__ import annotations

import copy
import signal

import pytest
import torch
import yaml
from torch.nn import functional as F

from magvit.config import ConfigError, RunConfig, load_run_config
from magvit.distributed import Dist
from magvit.models.discriminator import Discriminator3D
from magvit.models.gan import GanConfig, LeCam, r1_penalty
from magvit.stages import build_stage

try:
    from train_helpers import TINY, Trainer, events, final_checkpoint, make_data, manifests, of_kind, run_train
except ImportError:  # pragma: no cover - package-style import
    from .train_helpers import (  # type: ignore[no-redef]
        TINY, Trainer, events, final_checkpoint, make_data, manifests, of_kind, run_train,
    )

GAN = {"enabled": True, "start_step": 3, "disc_base_channels": 4, "disc_channel_multipliers": [1, 2],
       "generator_ema_decay": 0.9}


def gan_config(**over) -> RunConfig:
    data = yaml.safe_load(TINY.read_text())
    data["gan"] = {**GAN, **over}
    return RunConfig.from_dict(data)


def clips(n=4, seed=0):
    return torch.rand(n, 3, 4, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_discriminator_scores_each_clip_with_one_logit():
    torch.manual_seed(0)
    disc = Discriminator3D(GanConfig(enabled=True, disc_base_channels=4, disc_channel_multipliers=(1, 2, 4)), 3)
    x = clips(3)
    logits = disc(x * 2 - 1)
    assert logits.shape == (3,)
    assert len(set(logits.tolist())) == 3
    assert disc(torch.rand(2, 3, 16, 32, 32) * 2 - 1).shape == (2,)  # the default clip size too


def test_minibatch_stddev_makes_a_clip_s_logit_depend_on_its_group():
    torch.manual_seed(0)
    disc = Discriminator3D(GanConfig(enabled=True, disc_base_channels=4, disc_channel_multipliers=(1, 2),
                                     minibatch_stddev=True), 3)
    x = clips(4)
    other = torch.cat([x[:1], clips(3, seed=7)])
    with torch.no_grad():
        assert not torch.equal(disc(x * 2 - 1)[0], disc(other * 2 - 1)[0])  # same clip, other companions


def test_r1_penalty_is_the_squared_gradient_norm_on_real_clips():
    x = clips(2).requires_grad_(True)
    logits = (x * 3).flatten(1).sum(1)  # gradient 3 everywhere: squared norm 9 * numel per clip
    assert float(r1_penalty(logits, x)) == pytest.approx(9 * x[0].numel())


def test_lecam_pulls_real_logits_towards_the_fake_ema_and_tracks_both_means():
    lecam = LeCam(decay=0.5)
    lecam.update(real_mean=2.0, fake_mean=-2.0)
    assert (float(lecam.real_ema), float(lecam.fake_ema)) == (1.0, -1.0)
    # real logits above the fake EMA and fake logits below the real EMA are penalised
    assert float(lecam.penalty(torch.tensor([0.0]), torch.tensor([0.0]))) == pytest.approx(1.0 + 1.0)
    assert float(lecam.penalty(torch.tensor([-1.0]), torch.tensor([1.0]))) == 0.0
    restored = LeCam(decay=0.5)
    restored.load_state_dict(lecam.state_dict())
    assert (float(restored.real_ema), float(restored.fake_ema)) == (1.0, -1.0)


def test_generator_ema_decay_warms_up_to_the_configured_value():
    from magvit.models.gan import GeneratorEMA

    ema = GeneratorEMA(torch.nn.Linear(2, 2), decay=0.999)
    assert ema.decay_at(0) == pytest.approx(0.1) and ema.decay_at(90) == pytest.approx(0.91)
    assert ema.decay_at(100_000) == 0.999


def test_gan_section_is_off_by_default_and_checked():
    assert RunConfig().gan.enabled is False
    with pytest.raises(ConfigError, match="gan.generator_weight"):
        RunConfig.from_dict({"gan": {"generator_weight": -1}})
    with pytest.raises(ConfigError, match="unknown key gan.wrong"):
        RunConfig.from_dict({"gan": {"wrong": 1}})


def test_gan_yaml_config_loads():
    from magvit.models.gan import GanConfig as _  # noqa: F401

    config = load_run_config(TINY.parent / "gan.yaml")
    assert config.gan.enabled and config.gan.adam_betas == (0.0, 0.99)
    assert config.gan.adaptive_weight and config.gan.generator_weight == 0.1


def test_discriminator_trains_only_after_the_start_delay_and_the_generator_ema_follows():
    torch.manual_seed(0)
    stage = build_stage(gan_config(), n_train=8, dist=Dist())
    assert stage.optimizer.param_groups[0]["betas"] == (0.0, 0.99)
    assert stage.disc_optimizer.param_groups[0]["betas"] == (0.0, 0.99)
    before = [p.detach().clone() for p in stage.discriminator.parameters()]
    losses = [stage.train_step(clips(seed=i), 4, Dist()) for i in range(3)]
    unchanged = all(torch.equal(a, b) for a, b in zip(before, stage.discriminator.parameters()))
    assert unchanged, "the discriminator trained before start_step"
    assert all(step["g_adv"] == 0.0 for step in losses)
    after = stage.train_step(clips(seed=9), 4, Dist())
    assert not all(torch.equal(a, b) for a, b in zip(before, stage.discriminator.parameters()))
    assert after["d_loss"] > 0 and after["g_adv"] > 0 and after["r1"] >= 0
    assert float(stage.lecam.real_ema) != 0.0
    model, ema = dict(stage.model.named_parameters()), dict(stage.generator_ema.named_parameters())
    assert any(not torch.equal(model[k], ema[k]) for k in model)
    state = stage.state_dict()
    assert {"discriminator", "disc_optimizer", "disc_scheduler", "generator_ema", "lecam"} <= set(state)


def test_lazy_r1_is_computed_every_r1_every_discriminator_steps():
    torch.manual_seed(0)
    stage = build_stage(gan_config(start_step=1, r1_every=2), n_train=8, dist=Dist())
    r1 = [stage.train_step(clips(seed=i), 4, Dist())["r1"] for i in range(5)]
    assert r1[0] == 0.0 and r1[1] > 0 and r1[2] == 0.0 and r1[3] > 0 and r1[4] == 0.0


def test_validation_uses_the_generator_ema():
    torch.manual_seed(0)
    stage = build_stage(gan_config(start_step=0), n_train=8, dist=Dist())
    for i in range(2):
        stage.train_step(clips(seed=i), 4, Dist())
    val = clips(4, seed=5)
    metrics = stage.validate(val, 4)
    with torch.no_grad():
        stage.generator_ema.eval()
        expected = float(stage.generator_ema(val).losses["recon"])
        stage.model.eval()
        raw = float(stage.model(val).losses["recon"])
    assert metrics["val_recon"] == pytest.approx(expected, rel=1e-6)
    assert metrics["val_recon"] != pytest.approx(raw, rel=1e-6)


# ----------------------------------------------------------------------------- a killed GAN run resumes exactly

EPOCHS = ("--epochs", "4")  # 5 batches an epoch: 20 steps


@pytest.fixture(scope="module")
def gan_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("gan")
    data = make_data(root / "tiny.npz")
    config = root / "gan_tiny.yaml"
    # with the adaptive generator weight on: its extra gradients must not disturb an exact resume
    config.write_text(yaml.safe_dump({**yaml.safe_load(TINY.read_text()), "gan": {**GAN, "adaptive_weight": True}}))
    reference = root / "reference"
    result = run_train(data, reference, *EPOCHS, "--checkpoint-every", "1epoch", config=config)
    assert result.returncode == 0, result.stdout + result.stderr
    return data, config, final_checkpoint(reference), reference


@pytest.mark.slow
def test_sigkilled_gan_run_resumes_bit_exactly(tmp_path, gan_setup):
    data, config, reference, _ = gan_setup
    run_dir, step = tmp_path / "run", 7  # mid-epoch 2, four steps after the discriminator started
    trainer = Trainer(data, run_dir, *EPOCHS, "--checkpoint-every", "1steps", config=config)
    trainer.wait_for_manifest(step)
    assert trainer.kill() == -signal.SIGKILL
    for manifest in manifests(run_dir):
        if manifest["step"] > step:
            (run_dir / "checkpoints" / manifest["file"]).with_suffix(".json").unlink()
    result = run_train(data, run_dir, *EPOCHS, "--checkpoint-every", "10steps", config=config)
    assert result.returncode == 0, result.stdout + result.stderr
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    assert resumed["step"] == step
    resumed_final = final_checkpoint(run_dir)
    assert_same_gan_training(resumed_final, reference)


def test_eval_loads_the_generator_ema_of_a_gan_checkpoint(gan_setup):
    from magvit.loading import load_model

    _, _, saved, run_dir = gan_setup
    model, _ = load_model(run_dir / "checkpoints" / "final.pt")
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], saved["generator_ema"][k]) for k in loaded)
    assert any(not torch.equal(loaded[k], saved["model"][k]) for k in loaded)


def test_eval_reports_which_weights_it_evaluated(gan_setup):
    from magvit.evaluate import evaluate, format_table

    data, _, _, run_dir = gan_setup
    result = evaluate(run_dir / "checkpoints" / "final.pt", data, out_dir=None)
    assert result.weights == "generator_ema" and "weights: generator_ema" in format_table(result)


def assert_same_tensors(a, b, what):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{what} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{what}: keys differ"
        for key in a:
            assert_same_tensors(a[key], b[key], f"{what}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{what}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tensors(x, y, f"{what}[{i}]")
    else:
        assert a == b, f"{what}: {a!r} != {b!r}"


def assert_same_gan_training(a, b):
    assert a["step"] == b["step"] == 20
    for key in ("model", "optimizer", "scheduler", "discriminator", "disc_optimizer", "disc_scheduler",
                "generator_ema", "lecam", "history", "best_val_recon"):
        assert_same_tensors(a[key], b[key], key)
    assert float(a["lecam"]["real_ema"]) != 0.0  # the LeCam state was really in play


# ----------------------------------------------------------------------------- DDP: both networks' gradients averaged

DDP_WORKER = '''
import json, sys, torch, yaml
from magvit import distributed
from magvit.config import RunConfig
from magvit.stages import build_stage

config = RunConfig.from_dict(yaml.safe_load(open(sys.argv[1])))
with distributed.process_group() as dist:
    torch.manual_seed(0)
    stage = build_stage(config, n_train=8, dist=dist)
    for step in range(3):
        # every rank its own clips: only averaged gradients keep the networks identical
        x = torch.rand(2, 3, 4, 16, 16, generator=torch.Generator().manual_seed(100 * dist.rank + step))
        stage.train_step(x, 4, dist)
    flat = {name: torch.cat([p.detach().reshape(-1) for p in module.parameters()])
            for name, module in (("generator", stage.model), ("discriminator", stage.discriminator))}
    gathered = distributed.gather_objects(flat, dist)
    if dist.is_main:
        json.dump({name: torch.equal(gathered[0][name], gathered[1][name]) for name in flat}, open(sys.argv[2], "w"))
'''


@pytest.mark.slow  # a real trainer process
def test_two_ranks_average_the_gradients_of_both_networks(tmp_path):
    import json
    import subprocess
    import sys

    try:
        from train_helpers import REPO, _env
    except ImportError:  # pragma: no cover
        from .train_helpers import REPO, _env  # type: ignore[no-redef]

    worker, config, out = tmp_path / "worker.py", tmp_path / "gan.yaml", tmp_path / "same.json"
    worker.write_text(DDP_WORKER)
    config.write_text(yaml.safe_dump({**yaml.safe_load(TINY.read_text()), "gan": {**GAN, "start_step": 1}}))
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                             str(worker), str(config), str(out)], capture_output=True, text=True, cwd=REPO,
                            env=_env(), timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text()) == {"generator": True, "discriminator": True}


# ----------------------------------------------------------------------------- adaptive generator weight (VQGAN)


def test_adaptive_generator_weight_is_the_ratio_of_gradient_norms_at_the_decoder_s_last_layer():
    torch.manual_seed(0)
    stage = build_stage(gan_config(start_step=0, adaptive_weight=True, generator_weight=0.1), n_train=8, dist=Dist())
    model, disc = copy.deepcopy(stage.model), copy.deepcopy(stage.discriminator)
    x, rng = clips(seed=3), torch.get_rng_state()
    # independently: two separate backward passes, the gradients read from .grad
    last = model.decoder.conv_out.weight
    out = model(x)
    out.losses["recon"].backward(retain_graph=True)
    recon_norm = last.grad.norm()
    model.zero_grad()
    F.softplus(-disc(out.recon * 2 - 1)).mean().backward()
    gan_norm = last.grad.norm()
    expected = 0.1 * float((recon_norm / (gan_norm + 1e-4)).clamp(0, 1e4))
    torch.set_rng_state(rng)
    losses = stage.train_step(x, 4, Dist())
    assert losses["g_weight"] == pytest.approx(expected, rel=1e-5)
    assert losses["g_weight"] != pytest.approx(0.1, rel=1e-3)  # it really adapts


def test_without_adaptive_weight_the_generator_weight_is_the_configured_one():
    torch.manual_seed(0)
    stage = build_stage(gan_config(start_step=1), n_train=8, dist=Dist())
    weights = [stage.train_step(clips(seed=i), 4, Dist())["g_weight"] for i in range(2)]
    assert weights == [0.0, pytest.approx(GanConfig().generator_weight)]
    with pytest.raises(ConfigError, match="gan.adaptive_weight"):
        RunConfig.from_dict({"gan": {"adaptive_weight": 1}})
