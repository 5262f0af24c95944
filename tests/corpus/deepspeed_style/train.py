"""Pretrain TinyGPT with DeepSpeed.

    deepspeed train.py --deepspeed_config ds_config.json
    deepspeed --hostfile hostfile train.py --deepspeed_config ds_config.json --save_dir /shared/ckpt

Batch size, optimizer, LR schedule, precision and ZeRO stage come from the DeepSpeed config;
this file only knows about the model, the data and when to save.
"""

import argparse
import os

import deepspeed
import torch
from deepspeed.utils import RepeatingLoader

from data import RandomWalkBytes
from model import GPTConfig, TinyGPT


def get_args():
    parser = argparse.ArgumentParser(description="TinyGPT + DeepSpeed")
    parser.add_argument("--local_rank", type=int, default=int(os.environ.get("LOCAL_RANK", -1)),
                        help="set by the deepspeed launcher")
    parser.add_argument("--train_iters", type=int, default=5000)
    parser.add_argument("--save_dir", type=str, default="checkpoints")
    parser.add_argument("--save_interval", type=int, default=500,
                        help="optimizer steps between checkpoints")
    parser.add_argument("--log_interval", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1234)
    parser = deepspeed.add_config_arguments(parser)  # --deepspeed, --deepspeed_config
    return parser.parse_args()


def print_rank_0(msg):
    if torch.distributed.get_rank() == 0:
        print(msg, flush=True)


def main():
    args = get_args()
    deepspeed.init_distributed()
    torch.manual_seed(args.seed)

    cfg = GPTConfig()
    model = TinyGPT(cfg)
    dataset = RandomWalkBytes(block_size=cfg.block_size + 1, seed=args.seed)
    model_engine, _, train_loader, lr_scheduler = deepspeed.initialize(
        args=args, model=model, model_parameters=model.parameters(), training_data=dataset)

    # With no tag, load_checkpoint reads <save_dir>/latest (written by every save_checkpoint)
    # and loads that tag; on a first start there is no such file and it returns (None, None).
    step = 0
    load_path, client_state = model_engine.load_checkpoint(args.save_dir)
    if load_path is not None:
        step = client_state["step"]
        print_rank_0(f"resumed from {load_path} at step {step}")

    data_iter = iter(RepeatingLoader(train_loader))
    model_engine.train()
    while step < args.train_iters:
        for _ in range(model_engine.gradient_accumulation_steps()):
            inputs, targets = (t.to(model_engine.device) for t in next(data_iter))
            loss = model_engine(inputs, targets)
            model_engine.backward(loss)
            model_engine.step()  # only a real optimizer step at the accumulation boundary
        step += 1

        if step % args.log_interval == 0:
            print_rank_0(f"step {step:6d} | loss {loss.item():.4f} | "
                         f"lr {lr_scheduler.get_last_lr()[0]:.3e}")
        if step % args.save_interval == 0:
            # every rank must call save_checkpoint: each writes its own ZeRO partition
            model_engine.save_checkpoint(args.save_dir, tag=f"global_step{step}",
                                         client_state={"step": step})

    print_rank_0(f"finished {step} steps")


if __name__ == "__main__":
    main()
