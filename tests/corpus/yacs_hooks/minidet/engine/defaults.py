import argparse
import logging
import os
import sys

import torch

from ..checkpoint import Checkpointer
from ..data import build_train_loader
from ..modeling import build_model
from . import hooks
from .train_loop import SimpleTrainer

logger = logging.getLogger("minidet")


def default_argument_parser():
    parser = argparse.ArgumentParser(description="minidet training")
    parser.add_argument("--config-file", default="", metavar="FILE", help="path to config file")
    parser.add_argument("--resume", action="store_true",
                        help="continue from OUTPUT_DIR/last_checkpoint instead of starting over")
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=None,
                        help="KEY VALUE pairs that override the config, e.g. SOLVER.MAX_ITER 500")
    return parser


def setup_logger(output_dir):
    log = logging.getLogger("minidet")
    log.setLevel(logging.INFO)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    fmt = logging.Formatter("[%(asctime)s %(name)s]: %(message)s", datefmt="%m/%d %H:%M:%S")
    for h in (logging.StreamHandler(sys.stdout),
              logging.FileHandler(os.path.join(output_dir, "log.txt"), mode="a")):
        h.setFormatter(fmt)
        log.addHandler(h)
    return log


def default_setup(cfg, args):
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    setup_logger(cfg.OUTPUT_DIR)
    logger.info("Command line arguments: %s", args)
    logger.info("Running with full config:\n%s", cfg.dump())
    with open(os.path.join(cfg.OUTPUT_DIR, "config.yaml"), "w") as f:
        f.write(cfg.dump())
    torch.manual_seed(cfg.SEED)


class DefaultTrainer(SimpleTrainer):
    """SimpleTrainer plus the model, optimizer, schedule, checkpointer and hooks built from cfg."""

    def __init__(self, cfg):
        model = build_model(cfg)
        optimizer = torch.optim.SGD(model.parameters(), lr=cfg.SOLVER.BASE_LR,
                                    momentum=cfg.SOLVER.MOMENTUM,
                                    weight_decay=cfg.SOLVER.WEIGHT_DECAY)
        super().__init__(model, build_train_loader(cfg), optimizer)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            optimizer, milestones=list(cfg.SOLVER.STEPS), gamma=cfg.SOLVER.GAMMA)
        self.checkpointer = Checkpointer(model, cfg.OUTPUT_DIR,
                                         optimizer=optimizer, scheduler=self.scheduler)
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        self.register_hooks(self.build_hooks())

    def resume_or_load(self, resume=True):
        ckpt = self.checkpointer.resume_or_load(self.cfg.MODEL.WEIGHTS, resume=resume)
        if resume and self.checkpointer.has_checkpoint():
            self.start_iter = ckpt.get("iteration", -1) + 1

    def build_hooks(self):
        cfg = self.cfg
        return [
            hooks.IterationTimer(),
            hooks.LRScheduler(self.optimizer, self.scheduler),
            hooks.PeriodicCheckpointer(self.checkpointer, cfg.SOLVER.CHECKPOINT_PERIOD,
                                       max_iter=self.max_iter),
            hooks.PeriodicWriter([
                hooks.CommonMetricPrinter(self.max_iter),
                hooks.JSONWriter(os.path.join(cfg.OUTPUT_DIR, "metrics.json")),
            ], period=cfg.LOG_PERIOD),
        ]

    def train(self):
        super().train(self.start_iter, self.max_iter)
