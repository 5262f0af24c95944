"""Masking schedule, conditioning positions and MaskGIT decoding."""

from __future__ import annotations

import math

import pytest
import torch

from magvit.maskgit import (
    apply_mask, cosine_mask_ratio, decode, draw_mask, given_positions, masked_accuracy, masked_after_step,
    masked_loss,
)  # fmt: skip


def test_cosine_schedule_goes_from_all_to_none():
    assert float(cosine_mask_ratio(0.0)) == pytest.approx(1.0)
    assert float(cosine_mask_ratio(1.0)) == pytest.approx(0.0, abs=1e-12)
    values = cosine_mask_ratio(torch.linspace(0, 1, 11))
    assert bool((values[1:] < values[:-1]).all())
    assert float(cosine_mask_ratio(0.5)) == pytest.approx(math.cos(math.pi / 4))


def test_given_positions_for_prediction_and_interpolation():
    pred = given_positions((4, 2, 3), "predict", 1)
    assert pred[0].all() and not pred[1:].any()
    interp = given_positions((4, 2, 3), "interpolate", 1)
    assert interp[0].all() and interp[3].all() and not interp[1:3].any()
    with pytest.raises(ValueError, match="latent frames"):
        given_positions((2, 2, 2), "interpolate", 1)
    with pytest.raises(ValueError, match="task"):
        given_positions((4, 2, 2), "outpaint", 1)


def test_training_masks_never_touch_given_tokens_and_follow_the_cosine_share():
    given = given_positions((4, 4, 4), "predict", 1)
    generator = torch.Generator().manual_seed(0)
    mask = draw_mask(2000, given, generator)
    assert mask.shape == (2000, 4, 4, 4)
    assert not mask[:, 0].any(), "a conditioning token was masked"
    counts = mask.reshape(2000, -1).sum(1)
    assert int(counts.min()) >= 1 and int(counts.max()) <= 48
    # E[cos(pi/2 u)] = 2/pi of the 48 unknown tokens (ceil adds at most one)
    assert float(counts.double().mean()) == pytest.approx(48 * 2 / math.pi, abs=1.5)


def test_masks_come_from_the_generator_only():
    given = given_positions((2, 3, 3), "predict", 1)
    a = draw_mask(5, given, torch.Generator().manual_seed(7))
    torch.manual_seed(123)  # the global RNG must not matter
    b = draw_mask(5, given, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_loss_and_accuracy_count_masked_positions_only():
    targets = torch.tensor([[0, 1, 2, 3]])
    mask = torch.tensor([[False, True, True, False]])
    logits = torch.full((1, 4, 4), -10.0)
    logits[0, 1, 1] = 10.0  # right where masked
    logits[0, 2, 0] = 10.0  # wrong where masked
    logits[0, 0, 3] = 10.0  # wrong but given: must not count
    assert float(masked_accuracy(logits, targets, mask)) == pytest.approx(0.5)
    loss = masked_loss(logits, targets, mask)
    assert float(loss) == pytest.approx(10.0, rel=0.01)  # one near-0 and one near-20 nat term
    assert torch.equal(apply_mask(targets, mask, 9), torch.tensor([[0, 9, 9, 3]]))


@pytest.mark.parametrize("n_unknown,steps", [(256, 12), (48, 12), (5, 12), (1, 3), (10, 1)])
def test_schedule_of_decoding_ends_with_no_mask_after_exactly_steps(n_unknown, steps):
    remaining = [masked_after_step(n_unknown, s, steps) for s in range(steps)]
    assert remaining[-1] == 0
    before = [n_unknown, *remaining[:-1]]
    assert all(after <= b for after, b in zip(remaining, before))
    assert all(after < b for after, b in zip(remaining, before) if b > 0)
    if n_unknown >= 4 * steps and steps % 2 == 0:  # enough tokens: the cosine shape is followed, not a straight line
        assert remaining[steps // 2 - 1] == math.floor(n_unknown * math.cos(math.pi / 4))


class RecordingModel:
    """Uniform-ish random logits; records every input so that the test can look at each step."""

    def __init__(self, vocab: int, seed: int = 0) -> None:
        self.vocab, self.inputs = vocab, []
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        self.inputs.append(tokens.clone())
        return torch.randn(*tokens.shape, self.vocab, generator=self.generator)


@pytest.mark.parametrize("steps,temperature", [(12, 1.0), (12, 0.0), (3, 2.0), (1, 1.0)])
def test_decoding_fills_every_masked_token_in_the_configured_steps(steps, temperature):
    vocab, mask_id = 16, 16
    grid = (4, 8, 8)
    given = given_positions(grid, "predict", 1)
    truth = torch.randint(0, vocab, (3, *grid), generator=torch.Generator().manual_seed(1))
    model = RecordingModel(vocab)
    out = decode(model, truth, given, mask_id, steps=steps, temperature=temperature,
                 generator=torch.Generator().manual_seed(2))
    assert out.model_calls == steps == len(model.inputs)
    assert not (out.tokens == mask_id).any(), "a token is still masked after the last step"
    assert bool(((out.tokens >= 0) & (out.tokens < vocab)).all())
    assert torch.equal(out.tokens[:, given], truth[:, given]), "a given token was changed"
    # the first step sees every unknown token masked, and the given tokens as they are
    first = model.inputs[0]
    assert bool((first[:, ~given] == mask_id).all())
    assert torch.equal(first[:, given], truth[:, given])
    # the number masked falls along the schedule and a fixed token is never re-masked
    n_unknown = int((~given).sum())
    assert out.masked_per_step == (n_unknown, *(masked_after_step(n_unknown, s, steps) for s in range(steps)))
    for earlier, later in zip(model.inputs, model.inputs[1:]):
        fixed = earlier != mask_id
        assert torch.equal(later[fixed], earlier[fixed])
    for masked_before, inputs in zip(out.masked_per_step, model.inputs):
        assert bool(((inputs == mask_id).sum((1, 2, 3)) == masked_before).all())


def test_decoding_with_interpolation_keeps_both_ends():
    grid = (4, 2, 2)
    given = given_positions(grid, "interpolate", 1)
    truth = torch.randint(0, 8, (2, *grid), generator=torch.Generator().manual_seed(3))
    out = decode(RecordingModel(8), truth, given, 8, steps=4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out.tokens[:, 0], truth[:, 0]) and torch.equal(out.tokens[:, 3], truth[:, 3])
    assert not (out.tokens == 8).any()


def test_greedy_decoding_of_a_confident_model_recovers_its_tokens():
    truth = torch.randint(0, 10, (2, 3, 4, 4), generator=torch.Generator().manual_seed(4))

    def oracle(tokens):
        return torch.nn.functional.one_hot(truth, 10).float() * 20.0

    given = given_positions((3, 4, 4), "predict", 1)
    out = decode(oracle, truth, given, 10, steps=5, temperature=0.0)
    assert torch.equal(out.tokens, truth)


def test_held_positions_stay_masked_in_every_input_and_in_the_result():
    vocab, mask_id, grid = 16, 16, (4, 4, 4)
    given = given_positions(grid, "predict", 1)
    hold = torch.zeros(grid, dtype=torch.bool)
    hold[2:] = True  # decode latent frame 1 only
    truth = torch.randint(0, vocab, (2, *grid), generator=torch.Generator().manual_seed(5))
    model = RecordingModel(vocab)
    out = decode(model, truth, given, mask_id, steps=4, generator=torch.Generator().manual_seed(6), hold=hold)
    assert all(bool((inputs[:, 2:] == mask_id).all()) for inputs in model.inputs)
    assert bool((out.tokens[:, 2:] == mask_id).all()) and not bool((out.tokens[:, 1] == mask_id).any())
    assert out.masked_per_step[0] == 16 and out.masked_per_step[-1] == 0  # only frame 1 counts as unknown


def test_choice_noise_changes_which_tokens_stay_but_still_fills_everything():
    vocab, mask_id, grid = 16, 16, (4, 4, 4)
    given = given_positions(grid, "predict", 1)
    truth = torch.randint(0, vocab, (2, *grid), generator=torch.Generator().manual_seed(7))
    plain = decode(RecordingModel(vocab), truth, given, mask_id, steps=6, generator=torch.Generator().manual_seed(8))
    noisy = decode(RecordingModel(vocab), truth, given, mask_id, steps=6, generator=torch.Generator().manual_seed(8),
                   choice_temperature=4.5)
    assert not (noisy.tokens == mask_id).any()
    assert noisy.masked_per_step == plain.masked_per_step  # the same schedule
    assert not torch.equal(noisy.tokens, plain.tokens)


def test_prefix_masks_hide_every_later_frame_and_show_every_earlier_one():
    grid = (6, 4, 4)
    given = given_positions(grid, "predict", 2)
    plain = draw_mask(400, given, torch.Generator().manual_seed(3))
    same = draw_mask(400, given, torch.Generator().manual_seed(3), prefix_share=0.0)
    assert torch.equal(plain, same)  # the old masks, draw for draw
    mask = draw_mask(400, given, torch.Generator().manual_seed(3), prefix_share=1.0)
    assert not mask[:, :2].any() and bool(mask.flatten(1).any(1).all())
    for clip in mask:
        per_frame = clip.flatten(1).sum(1)  # masked tokens in each latent frame
        first = int(per_frame.nonzero()[0])
        assert bool((per_frame[first + 1:] == 16).all()), per_frame  # every later frame fully masked
    half = draw_mask(2000, given, torch.Generator().manual_seed(4), prefix_share=0.5)
    full_tail = (half[:, -1].flatten(1).all(1) & ~half[:, 2].flatten(1).all(1)).double().mean()
    assert 0.2 < float(full_tail) < 0.6
