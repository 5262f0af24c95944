"""Train TinyLM on the cluster's preemptible partition.

    srun python -u train.py --ckpt-dir "$SCRATCH/ckpt"      # what jobs/train.sbatch runs

The job is expected to die: at the wall-time limit (SLURM sends USR1 90 s before it, see
jobs/train.sbatch), on preemption (SIGTERM) or on a node failure (no warning at all). Hence:
a checkpoint every --ckpt-minutes of wall time, one more on USR1/SIGTERM, and on every start
the state behind $SCRATCH/ckpt/latest.pt is restored if it exists.
"""

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from tinylm import ckpt
from tinylm.data import SumStream
from tinylm.model import TinyLM

log = logging.getLogger("tinylm")

# Set by the signal handler, acted on between two steps: torch.save from inside a handler
# could interrupt a half-finished optimizer step.
_pending_signal = None


def _remember_signal(signum, _frame):
    global _pending_signal
    _pending_signal = signal.Signals(signum).name


def parse_args(argv=None):
    scratch = os.environ.get("SCRATCH", ".")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ckpt-dir", default=os.path.join(scratch, "ckpt"))
    p.add_argument("--ckpt-minutes", type=float, default=2.0,
                   help="wall-clock minutes between timer checkpoints")
    p.add_argument("--max-steps", type=int, default=200_000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=32)
    p.add_argument("--d-model", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--log-every", type=int, default=25, help="steps between loss lines")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--loader-delay", type=float, default=0.0,
                   help="extra seconds per batch, to mimic reading from the shared filesystem")
    return p.parse_args(argv)


def request_requeue():
    """Ask SLURM to put this job back in the queue (USR1 = time limit is near)."""
    job_id = os.environ.get("SLURM_JOB_ID")
    if not job_id or shutil.which("scontrol") is None:
        log.info("not running under SLURM, no requeue requested")
        return
    result = subprocess.run(["scontrol", "requeue", job_id], capture_output=True, text=True)
    if result.returncode == 0:
        log.info("requeue of job %s requested", job_id)
    else:
        log.error("scontrol requeue %s failed: %s", job_id, result.stderr.strip())


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    signal.signal(signal.SIGUSR1, _remember_signal)
    signal.signal(signal.SIGTERM, _remember_signal)
    log.info("start job=%s restart=%s host=%s pid=%d argv=%s",
             os.environ.get("SLURM_JOB_ID", "-"), os.environ.get("SLURM_RESTART_COUNT", "0"),
             socket.gethostname(), os.getpid(), " ".join(sys.argv[1:]))

    torch.manual_seed(args.seed)
    stream = SumStream(seed=args.seed, seq_len=args.seq_len, batch_size=args.batch_size)
    model = TinyLM(stream.vocab_size, d_model=args.d_model, seq_len=args.seq_len)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    step = 0

    path, state = ckpt.load_latest(args.ckpt_dir)
    if state is None:
        log.info("no %s in %s, starting from scratch", ckpt.LATEST, args.ckpt_dir)
    else:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        stream.load_state_dict(state["data"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        log.info("resumed from %s at step %d", path, step)

    def save(reason):
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "data": stream.state_dict(), "rng": torch.get_rng_state(), "step": step}
        path = ckpt.save(args.ckpt_dir, step, state)
        log.info("checkpoint [%s] step %d -> %s", reason, step, path)

    period_s = args.ckpt_minutes * 60.0
    last_save = time.monotonic()
    window_start, window_steps = time.monotonic(), 0
    while step < args.max_steps:
        x, y = stream.next_batch()
        if args.loader_delay:
            time.sleep(args.loader_delay)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        window_steps += 1

        if step % args.log_every == 0:
            ms = 1000.0 * (time.monotonic() - window_start) / window_steps
            log.info("step %d loss %.4f %.1f ms/step", step, loss.item(), ms)
            window_start, window_steps = time.monotonic(), 0
        if time.monotonic() - last_save >= period_s:
            save("timer")
            last_save = time.monotonic()
        if _pending_signal is not None:
            log.info("got %s at step %d", _pending_signal, step)
            save(_pending_signal)
            if _pending_signal == "SIGUSR1":
                request_requeue()
            log.info("exiting for requeue")
            return 0

    save("final")
    log.info("done: %d steps", step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
