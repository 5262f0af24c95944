#!/usr/bin/env python
"""Train PPO on a gymnasium env from a YAML config.

    python train.py --config configs/cartpole_ppo.yaml
    python train.py --config configs/cartpole_ppo.yaml --resume
    python train.py --config configs/cartpole_ppo.yaml --resume path/to/ppo_cartpole_N_steps.zip
"""

import argparse
import logging
import sys
from pathlib import Path

from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import CheckpointCallback, EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure

from cartpole_rl.callbacks import RunStatusCallback
from cartpole_rl.checkpoints import latest_checkpoint
from cartpole_rl.config import load_config

log = logging.getLogger("train")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="PPO on CartPole, driven by a YAML config")
    parser.add_argument("--config", "-c", default="configs/cartpole_ppo.yaml")
    parser.add_argument("--resume", nargs="?", const="latest", default=None,
                        help="continue from a checkpoint zip; without a value, the newest one "
                             "in <run>/checkpoints")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override config entries, e.g. train.total_timesteps=50000")
    return parser.parse_args(argv)


def setup_logging(run_dir):
    log.setLevel(logging.INFO)
    log.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.StreamHandler(sys.stdout), logging.FileHandler(run_dir / "train.log")):
        handler.setFormatter(fmt)
        log.addHandler(handler)


def build_model(cfg, env):
    ppo = cfg["ppo"]
    return PPO(
        "MlpPolicy", env,
        n_steps=ppo["n_steps"], batch_size=ppo["batch_size"], n_epochs=ppo["n_epochs"],
        learning_rate=ppo["learning_rate"], gamma=ppo["gamma"], gae_lambda=ppo["gae_lambda"],
        policy_kwargs={"net_arch": ppo["net_arch"]},
        seed=cfg["seed"], device="cpu", verbose=1,
    )


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.set)
    run_dir = Path(cfg["runs_dir"]) / cfg["run_name"]
    ckpt_dir = run_dir / "checkpoints"
    run_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(run_dir)
    log.info("argv: %s", " ".join(["train.py", *(sys.argv[1:] if argv is None else argv)]))

    env = make_vec_env(cfg["env"]["id"], n_envs=cfg["env"]["n_envs"], seed=cfg["seed"])
    eval_env = make_vec_env(cfg["env"]["id"], n_envs=1, seed=cfg["seed"] + 1000)

    if args.resume:
        path = latest_checkpoint(ckpt_dir) if args.resume == "latest" else Path(args.resume)
        if path is None:
            raise SystemExit(f"--resume: no checkpoint in {ckpt_dir}")
        model = PPO.load(path, env=env, device="cpu")
        log.info("resumed from %s at num_timesteps=%d", path, model.num_timesteps)
    else:
        model = build_model(cfg, env)
        log.info("fresh start in %s", run_dir)

    # stdout for the terminal/tee, progress.csv in the run folder
    model.set_logger(configure(str(run_dir), ["stdout", "csv"]))

    callbacks = [
        CheckpointCallback(save_freq=cfg["checkpoint"]["save_freq"], save_path=str(ckpt_dir),
                           name_prefix=cfg["checkpoint"]["name_prefix"], verbose=1),
        EvalCallback(eval_env, best_model_save_path=str(run_dir / "best"),
                     eval_freq=cfg["eval"]["eval_freq"],
                     n_eval_episodes=cfg["eval"]["n_eval_episodes"], deterministic=True, verbose=1),
        RunStatusCallback(run_dir / "status.json", every=cfg["status"]["every"]),
    ]
    remaining = cfg["train"]["total_timesteps"] - model.num_timesteps
    model.learn(total_timesteps=remaining, callback=callbacks,
                log_interval=cfg["train"]["log_interval"],
                reset_num_timesteps=not args.resume)
    model.save(run_dir / "final_model")
    log.info("done at num_timesteps=%d, final model in %s", model.num_timesteps,
             run_dir / "final_model.zip")
    return model


if __name__ == "__main__":
    main()
