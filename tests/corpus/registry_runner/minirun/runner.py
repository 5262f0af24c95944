import copy
import logging
import os
import os.path as osp
import time

import torch
from torch.utils.data import DataLoader

from .registry import DATASETS, HOOKS, MODELS, OPTIMIZERS

OPTIMIZERS.register_module(name="SGD", module=torch.optim.SGD)
OPTIMIZERS.register_module(name="AdamW", module=torch.optim.AdamW)


class Runner:
    """Builds model, data, optimizer and hooks from a config and runs the training loop."""

    def __init__(self, model, work_dir, train_dataloader, optim_wrapper, train_cfg,
                 default_hooks=None, custom_hooks=None, load_from=None, resume=False,
                 randomness=None, cfg=None):
        self.cfg = copy.deepcopy(cfg) if cfg is not None else {}
        self.work_dir = osp.abspath(work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.timestamp = time.strftime("%Y%m%d_%H%M%S", time.localtime())
        self.log_dir = osp.join(self.work_dir, self.timestamp)
        os.makedirs(osp.join(self.log_dir, "vis_data"), exist_ok=True)
        self.logger = self._build_logger()
        torch.manual_seed((randomness or {}).get("seed", 0))

        self.model = MODELS.build(model)
        self.train_dataloader = self._build_dataloader(train_dataloader)
        self.optimizer = OPTIMIZERS.build(optim_wrapper["optimizer"],
                                          params=self.model.parameters())
        self.max_epochs = train_cfg["max_epochs"]
        self.load_from = load_from
        self.resume = resume
        self.epoch = 0
        self.iter = 0
        self.message_hub = {}
        self._hooks = []
        self.register_hooks(default_hooks or {}, custom_hooks or [])

    @classmethod
    def from_cfg(cls, cfg):
        work_dir = cfg.get("work_dir") or osp.join(
            "work_dirs", osp.splitext(osp.basename(cfg["filename"]))[0])
        return cls(model=cfg["model"], work_dir=work_dir,
                   train_dataloader=cfg["train_dataloader"], optim_wrapper=cfg["optim_wrapper"],
                   train_cfg=cfg["train_cfg"], default_hooks=cfg.get("default_hooks"),
                   custom_hooks=cfg.get("custom_hooks"), load_from=cfg.get("load_from"),
                   resume=cfg.get("resume", False), randomness=cfg.get("randomness"), cfg=cfg)

    # ------------------------------------------------------------------ building
    def _build_logger(self):
        logger = logging.getLogger(f"minirun.{self.timestamp}.{id(self)}")
        logger.setLevel(logging.INFO)
        fmt = logging.Formatter("%(asctime)s - minirun - %(levelname)s - %(message)s",
                                "%m/%d %H:%M:%S")
        for handler in (logging.StreamHandler(),
                        logging.FileHandler(osp.join(self.log_dir, f"{self.timestamp}.log"))):
            handler.setFormatter(fmt)
            logger.addHandler(handler)
        logger.propagate = False
        return logger

    @staticmethod
    def _build_dataloader(cfg):
        cfg = copy.deepcopy(cfg)
        dataset = DATASETS.build(cfg.pop("dataset"))
        return DataLoader(dataset, **cfg)

    def register_hooks(self, default_hooks, custom_hooks):
        for name, hook_cfg in default_hooks.items():
            if hook_cfg is not None:
                self.register_hook(hook_cfg)
        for hook_cfg in custom_hooks:
            self.register_hook(hook_cfg)

    def register_hook(self, hook_cfg):
        hook = HOOKS.build(hook_cfg)
        self._hooks.append(hook)
        self._hooks.sort(key=lambda h: h.priority)

    def call_hook(self, fn_name, **kwargs):
        for hook in self._hooks:
            getattr(hook, fn_name)(self, **kwargs)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, filename):
        path = osp.join(self.work_dir, filename)
        checkpoint = dict(meta=dict(epoch=self.epoch + 1, iter=self.iter),
                          state_dict=self.model.state_dict(),
                          optimizer=self.optimizer.state_dict())
        torch.save(checkpoint, path)
        with open(osp.join(self.work_dir, "last_checkpoint"), "w") as f:
            f.write(path)

    def resume_checkpoint(self, filename):
        checkpoint = torch.load(filename, map_location="cpu", weights_only=True)
        self.model.load_state_dict(checkpoint["state_dict"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.epoch = checkpoint["meta"]["epoch"]
        self.iter = checkpoint["meta"]["iter"]
        self.logger.info(f"resumed epoch: {self.epoch}, iter: {self.iter}")

    def load_or_resume(self):
        if self.resume and self.load_from is None:
            pointer = osp.join(self.work_dir, "last_checkpoint")
            if osp.exists(pointer):
                with open(pointer) as f:
                    last = f.read().strip()
                self.logger.info(f"Auto resumed from the latest checkpoint {last}.")
                self.resume_checkpoint(last)
            else:
                self.logger.info(f"No checkpoint found in {self.work_dir}, training from scratch")
        elif self.resume:
            self.logger.info(f"Resume from {self.load_from}")
            self.resume_checkpoint(self.load_from)
        elif self.load_from is not None:
            checkpoint = torch.load(self.load_from, map_location="cpu", weights_only=True)
            self.model.load_state_dict(checkpoint["state_dict"])
            self.logger.info(f"Load checkpoint from {self.load_from}")

    # ------------------------------------------------------------------ training
    def train(self):
        self.logger.info(f"Config:\n{self._pretty_cfg()}")
        self.logger.info(f"Checkpoints will be saved to {self.work_dir}")
        self.load_or_resume()
        self.call_hook("before_train")
        self.model.train()
        while self.epoch < self.max_epochs:
            self.call_hook("before_train_epoch")
            for batch_idx, batch in enumerate(self.train_dataloader):
                self.call_hook("before_train_iter", batch_idx=batch_idx)
                outputs = self.model.train_step(batch, self.optimizer)
                self.call_hook("after_train_iter", batch_idx=batch_idx, outputs=outputs)
                self.iter += 1
            self.call_hook("after_train_epoch")
            self.epoch += 1
        self.call_hook("after_train")
        self.logger.info(f"Training finished: {self.epoch} epochs, {self.iter} iterations")
        return self.model

    def _pretty_cfg(self):
        return "\n".join(f"{k} = {v!r}" for k, v in self.cfg.items() if k != "filename")
