"""Single-node training entry point, meant to be started by torchrun.

    torchrun --standalone --nproc_per_node=1 --max-restarts=3 train.py 30 2 --run_dir runs/demo

torchrun restarts a worker that dies; the new worker finds <run_dir>/snapshot.pt and
continues from it. See README.md.
"""

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from datautils import RandomRegression, build_model
from logconf import setup_logging

log = logging.getLogger("snap.train")


def ddp_setup():
    # gloo: our nodes for this job are CPU-only; switch to nccl on GPU boxes
    dist.init_process_group(backend="gloo")


class Trainer:
    def __init__(self, model, train_data, optimizer, save_every, snapshot_path,
                 log_every=8, step_delay=0.0):
        self.global_rank = int(os.environ.get("RANK", 0))
        self.model = model
        self.train_data = train_data
        self.optimizer = optimizer
        self.save_every = save_every
        self.snapshot_path = Path(snapshot_path)
        self.heartbeat_path = self.snapshot_path.with_name("heartbeat")
        self.log_every = log_every
        self.step_delay = step_delay
        self.epochs_run = 0
        if self.snapshot_path.exists():
            log.info("Loading snapshot %s", self.snapshot_path)
            self._load_snapshot(self.snapshot_path)
        if dist.is_initialized():
            self.model = DDP(self.model)

    def _load_snapshot(self, path):
        snapshot = torch.load(path, map_location="cpu")
        self.model.load_state_dict(snapshot["MODEL_STATE"])
        self.optimizer.load_state_dict(snapshot["OPTIMIZER_STATE"])
        self.epochs_run = snapshot["EPOCHS_RUN"]
        log.info("Resuming training from snapshot at Epoch %d", self.epochs_run)

    def _save_snapshot(self, epoch):
        model = self.model.module if isinstance(self.model, DDP) else self.model
        snapshot = {
            "MODEL_STATE": model.state_dict(),
            "OPTIMIZER_STATE": self.optimizer.state_dict(),
            "EPOCHS_RUN": epoch + 1,
        }
        tmp = self.snapshot_path.with_suffix(".tmp")
        torch.save(snapshot, tmp)
        os.replace(tmp, self.snapshot_path)
        log.info("Epoch %d | Training snapshot saved at %s", epoch, self.snapshot_path)

    def _touch_heartbeat(self):
        self.heartbeat_path.touch()

    def _run_batch(self, step, source, targets):
        self.optimizer.zero_grad()
        output = self.model(source)
        loss = F.mse_loss(output, targets)
        loss.backward()
        self.optimizer.step()
        if step % self.log_every == 0:
            log.info("step %d | loss %.5f", step, loss.item())
        return loss.item()

    def _run_epoch(self, epoch):
        b_sz = len(next(iter(self.train_data))[0])
        if isinstance(self.train_data.sampler, DistributedSampler):
            self.train_data.sampler.set_epoch(epoch)
        total = 0.0
        for step, (source, targets) in enumerate(self.train_data):
            total += self._run_batch(step, source, targets)
            if self.step_delay:
                time.sleep(self.step_delay)
        mean = total / len(self.train_data)
        log.info("Epoch %d | Batchsize: %d | Steps: %d | mean loss %.5f",
                 epoch, b_sz, len(self.train_data), mean)
        return mean

    def train(self, max_epochs):
        for epoch in range(self.epochs_run, max_epochs):
            self._run_epoch(epoch)
            if self.global_rank == 0:
                self._touch_heartbeat()
                if (epoch + 1) % self.save_every == 0:
                    self._save_snapshot(epoch)
        log.info("Training finished after %d epochs", max_epochs)


def load_train_objs(dataset_size=1536, lr=1e-3):
    train_set = RandomRegression(dataset_size)
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return train_set, model, optimizer


def prepare_dataloader(dataset, batch_size):
    sampler = DistributedSampler(dataset) if dist.is_initialized() else None
    return DataLoader(dataset, batch_size=batch_size, pin_memory=False,
                      shuffle=sampler is None, sampler=sampler)


def main(argv=None):
    parser = argparse.ArgumentParser(description="fault-tolerant toy training under torchrun")
    parser.add_argument("total_epochs", type=int, help="Total epochs to train the model")
    parser.add_argument("save_every", type=int, help="How often to save a snapshot")
    parser.add_argument("--batch_size", default=32, type=int)
    parser.add_argument("--run_dir", default="runs/default")
    parser.add_argument("--log_every", default=8, type=int, help="log the loss every N batches")
    parser.add_argument("--step_delay", default=0.0, type=float,
                        help="sleep after each step (stands in for a slow data source)")
    args = parser.parse_args(argv)

    setup_logging(args.run_dir)
    log.info("worker start pid=%d restart=%s argv=%s", os.getpid(),
             os.environ.get("TORCHELASTIC_RESTART_COUNT", "-"), " ".join(sys.argv))
    ddp_setup()
    dataset, model, optimizer = load_train_objs()
    train_data = prepare_dataloader(dataset, args.batch_size)
    trainer = Trainer(model, train_data, optimizer, args.save_every,
                      os.path.join(args.run_dir, "snapshot.pt"),
                      log_every=args.log_every, step_delay=args.step_delay)
    trainer.train(args.total_epochs)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
