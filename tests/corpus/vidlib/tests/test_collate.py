import pytest
import torch

from vidlib.data import MovingSquares, collate_clips


def test_pads_to_the_longest_clip_and_masks_the_padding():
    clips = [torch.ones(3, 1, 8, 8), torch.full((5, 1, 8, 8), 2.0)]
    batch = collate_clips(clips)
    assert batch["video"].shape == (2, 1, 5, 8, 8)
    assert batch["lengths"].tolist() == [3, 5]
    assert batch["mask"].tolist() == [[True, True, True, False, False], [True] * 5]
    assert batch["video"][0, :, 3:].abs().sum() == 0
    assert torch.equal(batch["video"][1, 0, 4], torch.full((8, 8), 2.0))


def test_keeps_frame_order():
    clip = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 2, 2).clone()
    video = collate_clips([clip])["video"]
    assert video[0, 0, :, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_rejects_clips_of_different_frame_size():
    with pytest.raises(ValueError, match="frame shape"):
        collate_clips([torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, 4, 4)])


def test_rejects_an_empty_batch():
    with pytest.raises(ValueError):
        collate_clips([])


def test_batches_the_synthetic_dataset():
    data = MovingSquares(n_clips=6, size=12, min_frames=3, max_frames=6)
    batch = collate_clips([data[i] for i in range(6)])
    assert batch["video"].shape[:2] == (6, 1)
    assert batch["mask"].sum().item() == int(data.lengths.sum())
