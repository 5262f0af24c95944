"""Data-parallel training of a small regression MLP, launched with torchrun.

    torchrun --standalone --nproc_per_node=2 --max-restarts=3 train.py

Rank 0 writes a snapshot of the whole training state on a wall-clock timer; every rank
loads it at start-up when it exists, so a restarted group (torchrun --max-restarts, or the
same command run again by hand) carries on where the snapshot left off.
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset


def stamp():
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class NoisyWave(Dataset):
    """y = sin(w.x) + noise; `fetch_delay` stands in for reading samples off a slow share."""

    def __init__(self, n=4096, dim=16, fetch_delay=0.0, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, dim, generator=g)
        w = torch.randn(dim, generator=g) / dim ** 0.5
        self.y = torch.sin(self.x @ w).unsqueeze(1) + 0.05 * torch.randn(n, 1, generator=g)
        self.fetch_delay = fetch_delay

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if self.fetch_delay:
            time.sleep(self.fetch_delay)
        return self.x[i], self.y[i]


def build_model(dim=16, width=64):
    return nn.Sequential(nn.Linear(dim, width), nn.GELU(), nn.Linear(width, width), nn.GELU(),
                         nn.Linear(width, 1))


class Trainer:
    def __init__(self, args):
        self.args = args
        self.rank = int(os.environ["RANK"])
        self.local_rank = int(os.environ["LOCAL_RANK"])
        self.out = Path(args.out)
        self.snapshot_path = self.out / "snapshot.pt"
        self.dataset = NoisyWave(fetch_delay=args.fetch_delay)
        self.sampler = DistributedSampler(self.dataset, shuffle=True, seed=args.seed)
        self.steps_per_epoch = len(self.sampler) // args.batch_size
        self.model = DDP(build_model())
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=args.lr)
        self.epochs_run = 0
        self.step = 0
        if self.snapshot_path.exists():
            self._load_snapshot()
        self.last_snapshot = time.monotonic()

    def _load_snapshot(self):
        snapshot = torch.load(self.snapshot_path, map_location="cpu", weights_only=True)
        self.model.module.load_state_dict(snapshot["MODEL_STATE"])
        self.optimizer.load_state_dict(snapshot["OPTIMIZER_STATE"])
        self.epochs_run = snapshot["EPOCHS_RUN"]
        self.step = snapshot["STEP"]
        if self.rank == 0:
            print(f"[{stamp()}] resuming from {self.snapshot_path}: epoch {self.epochs_run} "
                  f"step {self.step}", flush=True)

    def _save_snapshot(self, epoch):
        snapshot = {
            "MODEL_STATE": self.model.module.state_dict(),
            "OPTIMIZER_STATE": self.optimizer.state_dict(),
            "EPOCHS_RUN": epoch,
            "STEP": self.step,
        }
        tmp = self.snapshot_path.with_suffix(".tmp")
        torch.save(snapshot, tmp)
        os.replace(tmp, self.snapshot_path)
        print(f"[{stamp()}] snapshot saved at epoch {epoch} step {self.step} -> {self.snapshot_path}",
              flush=True)

    def _write_progress(self, epoch, loss):
        progress = {"epoch": epoch, "step": self.step, "loss": round(loss, 5),
                    "world_size": dist.get_world_size(), "time": stamp()}
        tmp = self.out / "progress.json.tmp"
        tmp.write_text(json.dumps(progress))
        os.replace(tmp, self.out / "progress.json")

    def _run_batch(self, x, y):
        self.optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def _epoch_loader(self, epoch):
        """This rank's shard for the epoch, minus the batches trained on before a snapshot."""
        self.sampler.set_epoch(epoch)
        done_in_epoch = self.step - epoch * self.steps_per_epoch
        indices = list(self.sampler)[done_in_epoch * self.args.batch_size:]
        return DataLoader(Subset(self.dataset, indices), batch_size=self.args.batch_size,
                          drop_last=True)

    def _run_epoch(self, epoch):
        for x, y in self._epoch_loader(epoch):
            loss = self._run_batch(x, y)
            self.step += 1
            if self.rank == 0:
                (self.out / "alive").touch()
                if self.step % self.args.log_every == 0:
                    print(f"[{stamp()}] epoch {epoch} step {self.step} loss {loss:.5f}", flush=True)
                    self._write_progress(epoch, loss)
                if time.monotonic() - self.last_snapshot >= self.args.snapshot_period:
                    self._save_snapshot(epoch)
                    self.last_snapshot = time.monotonic()

    def train(self):
        for epoch in range(self.epochs_run, self.args.max_epochs):
            self._run_epoch(epoch)
        if self.rank == 0:
            self._save_snapshot(self.args.max_epochs)
            print(f"[{stamp()}] done: {self.args.max_epochs} epochs, {self.step} steps", flush=True)


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="run", help="snapshot, progress.json and alive go here")
    p.add_argument("--max-epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=10, help="steps")
    p.add_argument("--snapshot-period", type=float, default=180.0,
                   help="seconds of wall-clock time between snapshots")
    p.add_argument("--fetch-delay", type=float, default=0.0,
                   help="seconds per sample, to emulate the NFS share when testing restarts")
    return p.parse_args()


def main():
    args = get_args()
    dist.init_process_group(backend="gloo")
    torch.manual_seed(args.seed)
    rank = dist.get_rank()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if rank == 0:
        print(f"[{stamp()}] start world_size={dist.get_world_size()} "
              f"restart={os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')} "
              f"argv={' '.join(sys.argv)}", flush=True)
    Trainer(args).train()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
