"""Train a DQN agent on the gridworld.

    python -m gridrl.train --run-dir runs/grid5

Re-running the same command continues from the newest ckpts/ep_<N>.pt in the run dir
(`--resume latest` is the default); `--resume none` starts over, `--resume PATH` picks one.
"""

import argparse
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import torch

from gridrl import ckpt
from gridrl.agent import DQNAgent, ReplayBuffer
from gridrl.env import GridWorld
from gridrl.heartbeat import Heartbeat

log = logging.getLogger("gridrl")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run-dir", default="runs/grid5")
    p.add_argument("--episodes", type=int, default=150)
    p.add_argument("--ckpt-every", type=int, default=30, help="episodes between checkpoints")
    p.add_argument("--resume", default="latest",
                   help="'latest' (newest ckpts/ep_N.pt if any), 'none', or a checkpoint path")
    p.add_argument("--log-every", type=int, default=50, help="gradient updates between log lines")
    p.add_argument("--warmup", type=int, default=64, help="transitions before the first update")
    p.add_argument("--eps-start", type=float, default=1.0)
    p.add_argument("--eps-end", type=float, default=0.05)
    p.add_argument("--eps-decay", type=float, default=0.97, help="per episode")
    p.add_argument("--heartbeat-every", type=float, default=10.0, help="seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reset-delay", type=float, default=0.0, help="simulated env reset latency (s)")
    p.add_argument("--step-delay", type=float, default=0.0, help="simulated env step latency (s)")
    return p.parse_args(argv)


def setup_logging(run_dir):
    run_dir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    log.handlers.clear()
    for handler in (logging.StreamHandler(sys.stdout), logging.FileHandler(run_dir / "train.log")):
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def write_status(run_dir, **fields):
    fields["updated"] = datetime.now().isoformat(timespec="seconds")
    tmp = run_dir / "status.json.tmp"
    tmp.write_text(json.dumps(fields, indent=1))
    os.replace(tmp, run_dir / "status.json")


def resolve_resume(value, ckpt_dir):
    if value == "none":
        return None
    if value == "latest":
        return ckpt.latest(ckpt_dir)
    return Path(value)


def main(argv=None):
    args = parse_args(argv)
    run_dir = Path(args.run_dir)
    ckpt_dir = run_dir / "ckpts"
    setup_logging(run_dir)
    log.info("start pid=%d argv=%s", os.getpid(), " ".join(sys.argv))
    torch.manual_seed(args.seed)

    env = GridWorld(reset_delay=args.reset_delay, step_delay=args.step_delay, seed=args.seed)
    agent = DQNAgent(env.n_states, seed=args.seed)
    buffer = ReplayBuffer()
    episode, epsilon = 0, args.eps_start

    resume_from = resolve_resume(args.resume, ckpt_dir)
    if resume_from is not None:
        episode, epsilon = ckpt.load(resume_from, agent, buffer)
        log.info("resumed from %s: episode %d, %d transitions in the buffer, %d updates",
                 resume_from, episode, len(buffer), agent.updates)
    else:
        log.info("no checkpoint to resume from, starting at episode 0")

    heartbeat = Heartbeat(run_dir / "heartbeat", args.heartbeat_every).start()
    while episode < args.episodes:
        state, done, ep_return, loss = env.reset(), False, 0.0, None
        while not done:
            action = agent.act(state, epsilon)
            next_state, reward, done, reached = env.step(action)
            buffer.push(state, action, reward, next_state, reached)
            state = next_state
            ep_return += reward
            if len(buffer) >= args.warmup:
                loss = agent.update(buffer)
                if agent.updates % args.log_every == 0:
                    log.info("update %d loss %.5f buffer %d", agent.updates, loss, len(buffer))
        episode += 1
        epsilon = max(args.eps_end, epsilon * args.eps_decay)
        log.info("episode %d return %.3f steps %d epsilon %.3f", episode, ep_return, env.t, epsilon)
        write_status(run_dir, state="running", episode=episode, episodes=args.episodes,
                     ep_return=round(ep_return, 4), epsilon=round(epsilon, 4),
                     updates=agent.updates, pid=os.getpid())
        if episode % args.ckpt_every == 0:
            path = ckpt_dir / f"ep_{episode}.pt"
            ckpt.save(path, agent, buffer, episode, epsilon)
            log.info("saved %s (%d transitions)", path, len(buffer))

    write_status(run_dir, state="finished", episode=episode, episodes=args.episodes,
                 updates=agent.updates, pid=os.getpid())
    heartbeat.stop()
    log.info("finished after %d episodes", episode)


if __name__ == "__main__":
    main()
