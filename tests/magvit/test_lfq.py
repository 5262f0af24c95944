"""Lookup-free quantization (MAGVIT-v2) and causal 3D convolutions in the tokenizer."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from magvit.config import ConfigError, RunConfig, load_run_config
from magvit.distributed import Dist
from magvit.models import TokenizerConfig, VQTokenizer
from magvit.models.lfq import LookupFreeQuantizer
from magvit.stages import build_stage

CONFIGS = Path(__file__).resolve().parents[2] / "magvit" / "configs"
TINY_LFQ = dict(base_channels=8, channel_multipliers=(1, 2), patch_size=(1, 1), temporal_downsample=(True,),
                spatial_downsample=(True,), num_groups=4, embedding_dim=4, codebook_size=16, quantizer="lfq",
                entropy_weight=0.1)


def clips(n=2, frames=4, seed=0):
    return torch.rand(n, 3, frames, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_lfq_binarises_each_channel_and_the_token_is_the_bits_as_an_integer():
    quantizer = LookupFreeQuantizer(dim=3)
    z = torch.tensor([[0.5, -0.2, 2.0], [-1.0, -3.0, -0.1]]).reshape(2, 3, 1).requires_grad_(True)  # (B, D, 1)
    q = quantizer(z)
    assert q.z_q.detach().squeeze(-1).tolist() == [[1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]]
    assert q.indices.squeeze(-1).tolist() == [0b101, 0]  # channel i is bit i
    q.z_q.sum().backward()
    assert torch.equal(z.grad, torch.ones_like(z))  # straight-through
    assert torch.equal(quantizer.codebook()[q.indices.squeeze(-1)], q.z_q.detach().squeeze(-1))


def test_lfq_entropy_penalty_rewards_confident_tokens_spread_over_the_codebook():
    quantizer = LookupFreeQuantizer(dim=2, entropy_temperature=0.01)
    codes = quantizer.codebook()  # the 4 corners of {-1, 1}^2
    spread = codes.repeat(8, 1).t().reshape(1, 2, 32) * 3  # every code equally often, far from the boundaries
    collapsed = codes[:1].repeat(32, 1).t().reshape(1, 2, 32) * 3
    assert float(quantizer(spread).losses["entropy"]) == pytest.approx(-math.log(4), abs=1e-4)
    assert float(quantizer(collapsed).losses["entropy"]) == pytest.approx(0.0, abs=1e-4)
    metrics = quantizer(spread).metrics
    assert metrics["codebook_usage"] == 1.0 and metrics["perplexity"] == pytest.approx(4.0)
    assert float(quantizer(spread).losses["commit"]) == pytest.approx(4.0)  # (3 - 1)^2


def test_lfq_tokenizer_encodes_to_a_token_grid_and_decodes_its_indices():
    torch.manual_seed(0)
    model = VQTokenizer(TokenizerConfig(**TINY_LFQ)).eval()
    x = clips()
    tokens = model.encode(x)
    assert tokens.dtype == torch.long and tokens.shape == (2, 2, 8, 8)
    assert int(tokens.min()) >= 0 and int(tokens.max()) < 16
    with torch.no_grad():
        out = model(x)
    assert torch.equal(out.indices, tokens)
    assert torch.allclose(model.decode_indices(tokens), out.recon, atol=1e-6)


def test_quantizer_choice_is_checked():
    with pytest.raises(ConfigError, match="tokenizer.quantizer"):
        TokenizerConfig(quantizer="pq")
    with pytest.raises(ConfigError, match="tokenizer.codebook_size"):
        TokenizerConfig(quantizer="lfq", embedding_dim=4, codebook_size=256)
    config = load_run_config(CONFIGS / "lfq.yaml")
    assert config.tokenizer.quantizer == "lfq" and config.tokenizer.codebook_size == 2 ** config.tokenizer.embedding_dim


def test_lfq_stage_trains_and_reports_codebook_usage():
    torch.manual_seed(0)
    config = RunConfig(tokenizer=TokenizerConfig(**TINY_LFQ))
    stage = build_stage(config, n_train=4, dist=Dist())
    first = stage.train_step(clips(4), 4, Dist())
    for _ in range(5):
        last = stage.train_step(clips(4), 4, Dist())
    assert last["recon"] < first["recon"] and math.isfinite(last["entropy"])
    metrics = stage.validate(clips(4, seed=3), 4)
    assert 0 < metrics["codebook_usage"] <= 1


@pytest.mark.parametrize("quantizer", ["vq", "lfq"])
def test_causal_encoder_tokens_do_not_depend_on_later_frames(quantizer):
    cfg = TokenizerConfig(**{**TINY_LFQ, "quantizer": quantizer, "causal": True,
                             **({"codebook_size": 16} if quantizer == "vq" else {})})
    torch.manual_seed(0)
    model = VQTokenizer(cfg).eval()
    x = clips(frames=8)
    later_changed = x.clone()
    later_changed[:, :, 4:] = torch.rand_like(later_changed[:, :, 4:])  # frames 4.. feed latent frames 2..
    with torch.no_grad():
        z, z_changed = model.encoder(x * 2 - 1), model.encoder(later_changed * 2 - 1)
    assert torch.allclose(z[:, :, :2], z_changed[:, :, :2], atol=1e-6)
    assert not torch.allclose(z[:, :, 2:], z_changed[:, :, 2:])
    assert torch.equal(model.encode(x)[:, :2], model.encode(later_changed)[:, :2])


def test_non_causal_encoder_does_see_later_frames():
    torch.manual_seed(0)
    model = VQTokenizer(TokenizerConfig(**TINY_LFQ)).eval()
    x = clips(frames=8)
    later_changed = x.clone()
    later_changed[:, :, 4:] = 0.0
    with torch.no_grad():
        z, z_changed = model.encoder(x * 2 - 1), model.encoder(later_changed * 2 - 1)
    assert not torch.allclose(z[:, :, :2], z_changed[:, :, :2], atol=1e-6)


def test_causal_tokenizer_keeps_the_parameter_names_of_the_plain_one():
    plain = VQTokenizer(TokenizerConfig(**TINY_LFQ))
    causal = VQTokenizer(dataclasses.replace(TokenizerConfig(**TINY_LFQ), causal=True))
    assert plain.state_dict().keys() == causal.state_dict().keys()
