"""The MAGVIT 3D-VQ tokenizer: config, shapes, learning, and the quantizer's properties."""

from __future__ import annotations

import math

import pytest
import torch

from magvit.config import ConfigError
from magvit.models import TokenizerConfig, VectorQuantizer, VQTokenizer
from magvit.models.quantizer import usage_metrics

TINY = dict(base_channels=8, channel_multipliers=(1, 2), temporal_downsample=(True,), spatial_downsample=(True,),
            num_groups=4, embedding_dim=8, codebook_size=16)


# ----------------------------------------------------------------------------- config


def test_config_round_trips_through_a_plain_dict():
    cfg = TokenizerConfig(codebook_update="loss", channel_multipliers=(1, 2, 2), temporal_downsample=(False, True),
                          spatial_downsample=(True, True))
    plain = cfg.to_dict()
    assert plain["channel_multipliers"] == [1, 2, 2] and plain["patch_size"] == [2, 2]
    assert TokenizerConfig.from_dict(plain) == cfg


def test_config_from_dict_names_unknown_keys():
    with pytest.raises(ConfigError, match="codebook_sise"):
        TokenizerConfig.from_dict({"codebook_sise": 64})


@pytest.mark.parametrize(
    "field, value",
    [
        ("base_channels", 0),
        ("codebook_size", 1),
        ("channel_multipliers", ()),
        ("temporal_downsample", (True, True)),
        ("patch_size", (2,)),
        ("codebook_update", "kmeans"),
        ("ema_decay", 1.0),
        ("commitment_weight", -0.1),
        ("entropy_temperature", 0.0),
        ("num_groups", 5),
        ("embedding_dim", 2.5),
    ],
)
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=rf"tokenizer\.{field}"):
        TokenizerConfig(**{field: value})


def test_every_config_field_has_a_docstring():
    import ast
    import inspect

    from magvit.models import config as module

    tree = ast.parse(inspect.getsource(module.TokenizerConfig))
    body = tree.body[0].body
    documented = {
        stmt.target.id
        for stmt, nxt in zip(body, body[1:])
        if isinstance(stmt, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
    }
    import dataclasses

    assert documented == {f.name for f in dataclasses.fields(TokenizerConfig)}


def test_default_yaml_tokenizer_section_is_the_dataclass_default():
    from pathlib import Path

    from magvit.config import load_run_config

    path = Path(__file__).resolve().parents[2] / "magvit" / "configs" / "default.yaml"
    assert load_run_config(path).tokenizer == TokenizerConfig()


def test_space_to_depth_round_trips_and_folds_patches_into_channels():
    from magvit.models.layers import depth_to_space, space_to_depth

    x = torch.randn(2, 3, 4, 8, 8)
    y = space_to_depth(x, 2, 4)
    assert y.shape == (2, 3 * 2 * 4 * 4, 2, 2, 2)
    assert torch.equal(y[:, 0], x[:, 0, 0::2, 0::4, 0::4])
    assert torch.equal(depth_to_space(y, 2, 4), x)
    assert space_to_depth(x, 1, 1) is x


def test_default_config_maps_16x32x32_to_8x8x8():
    assert TokenizerConfig().token_shape(16, 32, 32) == (8, 8, 8)
    with pytest.raises(ValueError, match="frames 5"):
        TokenizerConfig().token_shape(5, 32, 32)


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "overrides, clip, grid",
    [
        ({}, (16, 32, 32), (4, 8, 8)),  # the small tokenizer of this test downsamples time twice
        ({"temporal_downsample": (False, True), "spatial_downsample": (True, True)}, (8, 16, 16), (4, 4, 4)),
        ({"temporal_downsample": (False, False), "spatial_downsample": (True, False)}, (4, 16, 16), (4, 8, 8)),
        ({"channel_multipliers": (1,), "temporal_downsample": (), "spatial_downsample": ()}, (4, 8, 8), (4, 8, 8)),
        ({"num_res_blocks": 2, "codebook_update": "loss"}, (8, 16, 16), (2, 4, 4)),
        ({"patch_size": (2, 2), "channel_multipliers": (1, 2), "temporal_downsample": (True,),
          "spatial_downsample": (False,)}, (8, 16, 16), (2, 8, 8)),
        ({"in_channels": 1, "channel_multipliers": (1, 2, 2, 2), "temporal_downsample": (True, False, True),
          "spatial_downsample": (True, True, True)}, (8, 16, 16), (2, 2, 2)),
    ],
)
def test_shapes(overrides, clip, grid):
    small = dict(base_channels=8, num_groups=4, embedding_dim=8, codebook_size=16, patch_size=(1, 1),
                 channel_multipliers=(1, 2, 4), temporal_downsample=(True, True), spatial_downsample=(True, True))
    cfg = TokenizerConfig(**{**small, **overrides})
    model = VQTokenizer(cfg)
    x = torch.rand(2, cfg.in_channels, *clip)
    out = model(x)
    assert out.recon.shape == x.shape
    assert out.indices.shape == (2, *grid) and out.indices.dtype == torch.long
    assert out.loss.ndim == 0 and out.loss.requires_grad
    assert set(out.losses) == {"recon", "commit", "codebook", "entropy"}
    assert set(out.metrics) >= {"codebook_usage", "perplexity"}
    assert all(isinstance(v, float) for v in out.metrics.values())
    assert model.encode(x).shape == (2, *grid)
    assert model.decode_indices(model.encode(x)).shape == x.shape


def test_default_model_shapes():
    model = VQTokenizer(TokenizerConfig())
    x = torch.rand(2, 3, 16, 32, 32)
    out = model(x)
    assert out.recon.shape == x.shape and out.indices.shape == (2, 8, 8, 8)
    assert int(out.indices.max()) < 256


def test_rejects_clips_that_do_not_divide():
    model = VQTokenizer(TokenizerConfig(**TINY))
    with pytest.raises(ValueError, match="height 9"):
        model(torch.rand(1, 3, 4, 9, 8))


def test_eval_forward_matches_encode_then_decode():
    torch.manual_seed(0)
    model = VQTokenizer(TokenizerConfig(**TINY)).eval()
    x = torch.rand(2, 3, 4, 8, 8)
    out = model(x)
    assert torch.equal(out.indices, model.encode(x))
    assert torch.allclose(out.recon, model.decode_indices(out.indices), atol=1e-6)


# ----------------------------------------------------------------------------- learning


@pytest.mark.parametrize("update", ["ema", "loss"])
def test_tiny_model_overfits_one_batch(update, small_dataset):
    from magvit.data import load_clips

    torch.manual_seed(0)
    x, _ = load_clips(small_dataset, indices=[0, 1])
    x = x[:, :, :4, :8, :8].contiguous()
    cfg = TokenizerConfig(**{**TINY, "codebook_update": update, "entropy_weight": 0.0, "codebook_size": 64})
    model = VQTokenizer(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.no_grad():
        first = float(model(x).loss)
    for _ in range(300):
        out = model(x)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        assert float(model(x).loss) < first / 10


# ----------------------------------------------------------------------------- quantizer


def test_straight_through_gradient_reaches_the_encoder():
    vq = VectorQuantizer(8, 4)
    z = torch.randn(2, 4, 3, 3, 3, requires_grad=True)
    q = vq(z)
    (q.z_q * torch.arange(2 * 4 * 27.0).view_as(z)).sum().backward()
    assert torch.equal(z.grad, torch.arange(2 * 4 * 27.0).view_as(z))  # identity gradient through the lookup

    model = VQTokenizer(TokenizerConfig(**TINY))
    model(torch.rand(1, 3, 4, 8, 8)).losses["recon"].backward()
    assert model.encoder.conv_in.weight.grad is not None and model.encoder.conv_in.weight.grad.abs().sum() > 0


def test_quantizer_picks_the_nearest_code():
    vq = VectorQuantizer(3, 2, dead_code_threshold=0).eval()
    vq.embedding.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]]))
    z = torch.tensor([[0.9, 1.2], [-1.5, 0.1], [0.1, -0.1]]).t().reshape(1, 2, 3)
    q = vq(z)
    assert q.indices.tolist() == [[1, 2, 0]]
    assert torch.allclose(q.z_q, vq.embedding[[1, 2, 0]].t().reshape(1, 2, 3))


def test_ema_mode_updates_codebook_buffers_and_loss_mode_learns_by_gradient():
    torch.manual_seed(0)
    vq = VectorQuantizer(8, 4, update="ema", dead_code_threshold=0)
    assert "embedding" not in dict(vq.named_parameters())
    assert {"embedding", "ema_cluster_size", "ema_embed_sum", "usage"} <= set(vq.state_dict())
    before = {k: v.clone() for k, v in vq.state_dict().items()}
    out = vq(torch.randn(4, 4, 2, 2, 2))
    assert float(out.losses["codebook"]) == 0.0
    for key in ("embedding", "ema_cluster_size", "ema_embed_sum", "usage"):
        assert not torch.equal(before[key], vq.state_dict()[key]), key

    vq_loss = VectorQuantizer(8, 4, update="loss", dead_code_threshold=0)
    out = vq_loss(torch.randn(4, 4, 2, 2, 2))
    out.losses["codebook"].backward()
    assert isinstance(vq_loss.embedding, torch.nn.Parameter) and vq_loss.embedding.grad.abs().sum() > 0


def test_ema_moves_a_code_toward_its_assigned_latents():
    vq = VectorQuantizer(2, 2, update="ema", ema_decay=0.5, dead_code_threshold=0)
    vq.embedding.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
    vq.ema_embed_sum.copy_(vq.embedding)
    z = torch.tensor([[1.0, 1.0], [1.0, 1.0]]).t().reshape(1, 2, 2)  # both latents pick code 0
    vq(z)
    # cluster 1*0.5 + 2*0.5 = 1.5, sum 0*0.5 + (2,2)*0.5 = (1,1) -> code (2/3, 2/3)
    assert torch.allclose(vq.embedding[0], torch.tensor([2 / 3, 2 / 3]))
    assert torch.equal(vq.embedding[1], torch.tensor([10.0, 10.0]))


def test_dead_code_restart_revives_unused_codes():
    torch.manual_seed(0)
    vq = VectorQuantizer(16, 4, dead_code_threshold=1.0)
    vq.usage.fill_(5.0)
    vq.usage[[3, 7]] = 0.0
    z = torch.randn(2, 4, 4, 4) + 100.0  # far from every code
    rows = z.movedim(1, -1).reshape(-1, 4)
    out = vq(z)
    assert out.metrics["restarted_codes"] == 2.0
    for code in (3, 7):
        assert (vq.embedding[code] == rows).all(1).any(), "restarted from an encoder output"
        assert float(vq.usage[code]) > 1.0
    vq.eval()
    assert vq(z).metrics["restarted_codes"] == 0.0  # never in eval mode


def test_first_training_batch_initialises_every_code_from_the_data():
    vq = VectorQuantizer(8, 4)
    z = torch.randn(2, 4, 4, 4) * 0.01 + 5.0
    vq(z)
    assert (vq.embedding - 5.0).abs().max() < 0.1


def test_updates_are_deterministic_given_the_torch_seed():
    def run() -> dict[str, torch.Tensor]:
        torch.manual_seed(123)
        model = VQTokenizer(TokenizerConfig(**TINY))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(3):
            out = model(torch.rand(2, 3, 4, 8, 8))
            opt.zero_grad()
            out.loss.backward()
            opt.step()
        return model.state_dict()

    a, b = run(), run()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_eval_mode_leaves_the_codebook_alone():
    model = VQTokenizer(TokenizerConfig(**TINY)).eval()
    before = {k: v.clone() for k, v in model.quantizer.state_dict().items()}
    model(torch.rand(2, 3, 4, 8, 8))
    model.encode(torch.rand(2, 3, 4, 8, 8))
    assert all(torch.equal(before[k], v) for k, v in model.quantizer.state_dict().items())


def test_usage_and_perplexity_on_constructed_indices():
    m = usage_metrics(torch.tensor([0, 0, 1, 1]), 4)
    assert m["codebook_usage"] == 0.5 and m["perplexity"] == pytest.approx(2.0)
    m = usage_metrics(torch.arange(8).repeat(3), 8)
    assert m["codebook_usage"] == 1.0 and m["perplexity"] == pytest.approx(8.0)
    m = usage_metrics(torch.zeros(10, dtype=torch.long), 8)
    assert m["codebook_usage"] == 1 / 8 and m["perplexity"] == pytest.approx(1.0)


def test_entropy_term_rewards_confident_and_spread_assignments():
    from magvit.models.quantizer import entropy_terms

    spread = torch.tensor([[0.0, 9.0], [9.0, 0.0]])  # each sample sure, two codes used
    collapsed = torch.tensor([[0.0, 9.0], [0.0, 9.0]])  # each sample sure, one code used
    unsure = torch.zeros(2, 2)  # every sample split evenly
    t = 0.1
    assert float(entropy_terms(spread, t)) == pytest.approx(-math.log(2), abs=1e-3)
    assert float(entropy_terms(collapsed, t)) == pytest.approx(0.0, abs=1e-3)
    assert float(entropy_terms(unsure, t)) == pytest.approx(0.0, abs=1e-3)
