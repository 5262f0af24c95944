from typing import Optional

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


def make_waves(n_samples: int, window: int, seed: int = 0) -> TensorDataset:
    """Windows of four kinds of signal (sine, square, sawtooth, noise); the label is the kind."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n_samples,), generator=g)
    freq = 0.5 + 2.5 * torch.rand(n_samples, 1, generator=g)
    phase = 6.2832 * torch.rand(n_samples, 1, generator=g)
    t = torch.linspace(0, 1, window).unsqueeze(0)
    arg = 6.2832 * freq * t + phase
    sine = torch.sin(arg)
    square = torch.sign(sine)
    saw = 2 * ((arg / 6.2832) % 1.0) - 1
    noise = torch.randn(n_samples, window, generator=g)
    signals = torch.stack([sine, square, saw, noise], dim=1)[torch.arange(n_samples), labels]
    signals = signals + 0.1 * torch.randn(n_samples, window, generator=g)
    return TensorDataset(signals, labels)


class WavesDataModule(LightningDataModule):
    """Synthetic waveform classification.

    `train_val_test_split` must add up to `n_samples`.
    """

    def __init__(
        self,
        data_dir: str = "data/",
        n_samples: int = 5000,
        window: int = 32,
        train_val_test_split: tuple = (4000, 500, 500),
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        # Hydra hands over a ListConfig; a plain tuple keeps checkpoints loadable with weights_only=True
        train_val_test_split = tuple(int(n) for n in train_val_test_split)
        self.save_hyperparameters(logger=False)
        check_split(n_samples, train_val_test_split)
        self.data_train: Optional[Dataset] = None
        self.data_val: Optional[Dataset] = None
        self.data_test: Optional[Dataset] = None

    def setup(self, stage: Optional[str] = None) -> None:
        if self.data_train is None:
            dataset = make_waves(self.hparams.n_samples, self.hparams.window)
            self.data_train, self.data_val, self.data_test = random_split(
                dataset,
                lengths=list(self.hparams.train_val_test_split),
                generator=torch.Generator().manual_seed(42),
            )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.data_train, batch_size=self.hparams.batch_size,
                          num_workers=self.hparams.num_workers, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.data_val, batch_size=self.hparams.batch_size, num_workers=self.hparams.num_workers)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.data_test, batch_size=self.hparams.batch_size, num_workers=self.hparams.num_workers)


def check_split(n_samples: int, split) -> None:
    """Refuse a split that would silently drop or invent samples."""
    if any(part < 0 for part in split):
        raise ValueError(f"train_val_test_split has a negative part: {list(split)}")
    if sum(split) != n_samples:
        raise ValueError(f"train_val_test_split {list(split)} adds up to {sum(split)}, not n_samples={n_samples}")
