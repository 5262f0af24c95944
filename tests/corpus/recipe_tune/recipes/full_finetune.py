"""Full fine-tuning recipe: every parameter of the model is trained.

Run from the repository root:

    python -m recipes.full_finetune --config recipes/configs/tiny_lm.yaml [key=value ...]
"""

import json
import math
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F

from tinytune.config import Config, parse_args
from tinytune.data import CharTokenizer, StreamingLoader, SyntheticTextDataset, build_vocab
from tinytune.models import num_params, tiny_char_lm
from tinytune.utils import MetricLogger, get_logger, set_seed

log = get_logger("tinytune.recipe")

_CKPT_RE = re.compile(r"epoch_(\d+)\.pt$")


class FullFinetuneRecipe:
    """Full fine-tuning of a decoder-only LM on a single device.

    The recipe keeps the usual contract: ``setup(cfg)`` builds everything, ``train()`` runs
    the epochs, ``save_checkpoint(epoch)`` is called at the end of every
    ``save_every_n_epochs`` epochs and ``cleanup()`` closes the loggers.
    """

    def __init__(self, cfg: Config) -> None:
        self._device = torch.device(cfg.get("device", "cpu"))
        self._output_dir = Path(cfg.output_dir)
        self._log_every_n_steps = cfg.get("log_every_n_steps", 1)
        self._save_every_n_epochs = cfg.get("save_every_n_epochs", 1)
        self._resume_from_checkpoint = cfg.get("resume_from_checkpoint", False)
        self._max_steps_per_epoch = cfg.get("max_steps_per_epoch")

        self.seed = set_seed(cfg.get("seed"))
        self.total_epochs = cfg.epochs
        self.epochs_run = 0
        self.global_step = 0
        self.epoch_losses = []
        self._best_loss = float("inf")

    # ------------------------------------------------------------------ setup
    def setup(self, cfg: Config) -> None:
        self._output_dir.mkdir(parents=True, exist_ok=True)
        self._metric_logger = MetricLogger(self._output_dir, log)
        log.info(f"Command: {shlex.join(getattr(sys, 'orig_argv', sys.argv))}")
        log.info(f"Config: {json.dumps(cfg.to_dict(), sort_keys=True)}")

        ckpt = self._load_checkpoint() if self._resume_from_checkpoint else None
        if ckpt is not None:
            self.seed = set_seed(ckpt["seed"])

        self._tokenizer = CharTokenizer(build_vocab())
        self._model = self._setup_model(cfg.model, ckpt)
        self._optimizer = self._setup_optimizer(cfg.optimizer, ckpt)
        self._loader = self._setup_data(cfg.dataset, cfg.batch_size, cfg.get("shuffle", True))

        self._steps_per_epoch = len(self._loader)
        if self._max_steps_per_epoch is not None:
            self._steps_per_epoch = min(self._steps_per_epoch, self._max_steps_per_epoch)
        self.global_step = self.epochs_run * self._steps_per_epoch
        self._lr_scheduler = self._setup_lr_scheduler(cfg.get("lr_scheduler", {}))

    def _load_checkpoint(self) -> Optional[Dict[str, Any]]:
        """Newest ``epoch_N.pt`` in the output dir; the run continues with epoch N + 1."""
        found = [(int(m.group(1)), p) for p in self._output_dir.glob("epoch_*.pt")
                 if (m := _CKPT_RE.search(p.name))]
        if not found:
            raise FileNotFoundError(
                f"resume_from_checkpoint=True but there is no epoch_*.pt in {self._output_dir}")
        epoch, path = max(found)
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        self.epochs_run = ckpt["epoch"] + 1
        log.info(f"Resuming from checkpoint {path}: epoch {epoch} was completed, "
                 f"continuing at epoch {self.epochs_run}")
        return ckpt

    def _setup_model(self, model_cfg: Config, ckpt) -> torch.nn.Module:
        model = tiny_char_lm(vocab_size=self._tokenizer.vocab_size, **model_cfg)
        if ckpt is not None:
            model.load_state_dict(ckpt["model"])
        log.info(f"Model has {num_params(model):,} parameters")
        return model.to(self._device)

    def _setup_optimizer(self, opt_cfg: Config, ckpt) -> torch.optim.Optimizer:
        optimizer = torch.optim.AdamW(self._model.parameters(), lr=float(opt_cfg.lr),
                                      weight_decay=float(opt_cfg.get("weight_decay", 0.0)))
        if ckpt is not None:
            optimizer.load_state_dict(ckpt["optimizer"])
        return optimizer

    def _setup_data(self, ds_cfg: Config, batch_size: int, shuffle: bool) -> StreamingLoader:
        ds = SyntheticTextDataset(self._tokenizer, num_samples=ds_cfg.num_samples,
                                  seq_len=ds_cfg.seq_len, seed=ds_cfg.get("seed", 0))
        return StreamingLoader(ds, batch_size=batch_size, shuffle=shuffle, seed=self.seed,
                               latency_s=ds_cfg.get("stream_latency_s", 0.0))

    def _setup_lr_scheduler(self, sched_cfg: Config):
        warmup = sched_cfg.get("num_warmup_steps", 0)

        def lr_lambda(step: int) -> float:
            return min(1.0, (step + 1) / warmup) if warmup else 1.0

        return torch.optim.lr_scheduler.LambdaLR(self._optimizer, lr_lambda,
                                                 last_epoch=self.global_step - 1)

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, epoch: int) -> Path:
        path = self._output_dir / f"epoch_{epoch}.pt"
        torch.save({"model": self._model.state_dict(),
                    "optimizer": self._optimizer.state_dict(),
                    "epoch": epoch,
                    "seed": self.seed}, path)
        size_kb = path.stat().st_size / 1024
        log.info(f"Model checkpoint of size {size_kb:.0f} KB saved to {path}")
        return path

    def _write_progress(self, epoch: int, loss: float) -> None:
        state = {"step": self.global_step, "epoch": epoch, "loss": round(loss, 4),
                 "time": time.strftime("%Y-%m-%d %H:%M:%S")}
        tmp = self._output_dir / "progress.json.tmp"
        tmp.write_text(json.dumps(state) + "\n")
        tmp.replace(self._output_dir / "progress.json")

    # ---------------------------------------------------------------- training
    def train(self) -> None:
        self._model.train()
        tokens_per_batch = self._loader.batch_size * self._loader.dataset.seq_len
        for curr_epoch in range(self.epochs_run, self.total_epochs):
            self._loader.set_epoch(curr_epoch)
            running, n = 0.0, 0
            t0 = time.perf_counter()
            for idx, (tokens, labels) in enumerate(self._loader):
                if idx == self._steps_per_epoch:
                    break
                tokens, labels = tokens.to(self._device), labels.to(self._device)
                logits = self._model(tokens)
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
                loss.backward()
                self._optimizer.step()
                self._optimizer.zero_grad(set_to_none=True)
                self._lr_scheduler.step()
                self.global_step += 1

                loss_val = loss.item()
                running += loss_val
                n += 1
                if self.global_step % self._log_every_n_steps == 0:
                    elapsed = time.perf_counter() - t0
                    self._metric_logger.log_step(self.global_step, {
                        "loss": loss_val,
                        "lr": self._optimizer.param_groups[0]["lr"],
                        "tokens/s": tokens_per_batch * self._log_every_n_steps / elapsed,
                    })
                    t0 = time.perf_counter()
                if loss_val < self._best_loss:
                    self._best_loss = loss_val
                    self._write_progress(curr_epoch, loss_val)

            self.epoch_losses.append(running / max(n, 1))
            log.info(f"Epoch {curr_epoch} done: mean loss {self.epoch_losses[-1]:.4f}")
            self.epochs_run += 1
            if self.epochs_run % self._save_every_n_epochs == 0:
                self.save_checkpoint(epoch=curr_epoch)

    def cleanup(self) -> None:
        log.info(f"Training finished after {self.epochs_run} epochs")
        self._metric_logger.close()


def recipe_main(cfg: Config) -> None:
    recipe = FullFinetuneRecipe(cfg)
    recipe.setup(cfg)
    recipe.train()
    recipe.cleanup()
    if not all(math.isfinite(x) for x in recipe.epoch_losses):
        sys.exit("training diverged: non-finite loss")


if __name__ == "__main__":
    sys.exit(recipe_main(parse_args()))
