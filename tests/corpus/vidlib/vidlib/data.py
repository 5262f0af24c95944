"""Clips and how to batch them."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class MovingSquares(Dataset):
    """Synthetic clips of one bright square moving in a straight line.

    Clip lengths vary between `min_frames` and `max_frames`, which is what
    `collate_clips` is for. Each item is a float tensor of shape (T, 1, H, W).
    """

    def __init__(self, n_clips: int = 256, size: int = 16, min_frames: int = 4,
                 max_frames: int = 8, square: int = 4, seed: int = 0):
        self.n_clips, self.size, self.square = n_clips, size, square
        g = torch.Generator().manual_seed(seed)
        self.lengths = torch.randint(min_frames, max_frames + 1, (n_clips,), generator=g)
        self.starts = torch.randint(0, size - square, (n_clips, 2), generator=g)
        self.velocity = torch.randint(-1, 2, (n_clips, 2), generator=g)

    def __len__(self) -> int:
        return self.n_clips

    def __getitem__(self, i: int) -> torch.Tensor:
        t = int(self.lengths[i])
        clip = torch.zeros(t, 1, self.size, self.size)
        pos = self.starts[i].clone()
        for f in range(t):
            y, x = (pos % (self.size - self.square)).tolist()
            clip[f, 0, y:y + self.square, x:x + self.square] = 1.0
            pos += self.velocity[i]
        return clip


def collate_clips(clips: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Pad clips of different lengths to the longest one.

    Returns `video` (B, C, T, H, W) for Conv3d, `lengths` (B,) and `mask` (B, T),
    True on real frames and False on padding.
    """
    if not clips:
        raise ValueError("collate_clips needs at least one clip")
    shapes = {tuple(c.shape[1:]) for c in clips}
    if len(shapes) != 1:
        raise ValueError(f"clips differ in frame shape: {sorted(shapes)}")
    lengths = torch.tensor([c.shape[0] for c in clips])
    longest = int(lengths.max())
    video = torch.zeros(len(clips), longest, *clips[0].shape[1:], dtype=clips[0].dtype)
    for i, c in enumerate(clips):
        video[i, :c.shape[0]] = c
    mask = torch.arange(longest)[None, :] < lengths[:, None]
    return {"video": video.permute(0, 2, 1, 3, 4).contiguous(), "lengths": lengths, "mask": mask}
