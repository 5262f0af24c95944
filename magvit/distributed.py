"""Data-parallel training over processes started by torchrun: process group, sharding, agreement, heartbeats.

`process_group()` reads torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT); without it, or with WORLD_SIZE=1, it yields a single-process `Dist` and
nothing here talks to other processes, so the single-process trainer is unchanged.

The semantics (docs/distributed.md): every epoch has ONE global order, `epoch_order(seed,
epoch)`; a step takes the next `batch_size * world_size` clips of it (the global batch) and
rank r trains on chunk r of `torch.tensor_split(global_batch, world_size)`. Gradients are
averaged weighted by each rank's clip count (one all-reduce over the flattened gradients),
and after each step the model's buffers are broadcast from rank 0, as DDP does with
`broadcast_buffers=True`. Decisions taken from a clock or a signal (save now, stop now)
are agreed with one all-reduce so that every rank takes the same branch.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as torch_dist

from magvit.atomic import atomic_write_json

HEARTBEAT_DIR = "heartbeats"
HEARTBEAT_FORMAT = "magvit-heartbeat/1"


@dataclass(frozen=True)
class Dist:
    """This process's place in the group; `world_size == 1` means single-process."""

    rank: int = 0
    """Global rank, 0 to world_size - 1 (torchrun's RANK)."""
    world_size: int = 1
    """Number of training processes over all machines (torchrun's WORLD_SIZE)."""
    local_rank: int = 0
    """Rank on this machine (torchrun's LOCAL_RANK); picks the GPU under nccl."""
    backend: str | None = None
    """`gloo` or `nccl` once a process group is up; None for a single process."""

    @property
    def enabled(self) -> bool:
        """Whether other processes train with this one."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes checkpoints, progress files and events."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait until every rank arrives (nothing to wait for in a single process)."""
        if self.enabled:
            torch_dist.barrier()


class DistributedError(RuntimeError):
    """torchrun's environment is inconsistent; the message names the variable."""


def from_env(env: Mapping[str, str] = os.environ) -> Dist:
    """The rank facts torchrun put in the environment; single-process when WORLD_SIZE is unset."""
    values = {}
    for name, default in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0")):
        text = env.get(name, default)
        try:
            values[name] = int(text)
        except ValueError:
            raise DistributedError(f"environment variable {name}={text!r} is not a whole number") from None
    rank, world = values["RANK"], values["WORLD_SIZE"]
    if world < 1 or not 0 <= rank < world:
        raise DistributedError(f"RANK={rank} does not fit WORLD_SIZE={world}")
    return Dist(rank=rank, world_size=world, local_rank=values["LOCAL_RANK"])


def backend_for(device: torch.device) -> str:
    """nccl for CUDA tensors, gloo for CPU ones."""
    return "nccl" if device.type == "cuda" else "gloo"


@contextlib.contextmanager
def process_group(device: torch.device | None = None, env: Mapping[str, str] = os.environ) -> Iterator[Dist]:
    """Join the process group torchrun describes (if any) for the duration of the block."""
    info = from_env(env)
    if not info.enabled:
        yield info
        return
    die_with_parent()
    backend = backend_for(device or torch.device("cpu"))
    torch_dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size,
                                  store=_attempt_store(info, env))
    try:
        yield Dist(info.rank, info.world_size, info.local_rank, backend)
        # a clean end: no rank tears the group down while a peer still talks to it. Rarely
        # (2 of 44 runs under load, 0 of 250 otherwise) rank 1 died of SIGABRT ("terminate called
        # without an active exception") around the teardown; this is PyTorch's advice for a clean
        # gloo shutdown, not a proven cure: the rate was too low to measure a difference.
        torch_dist.barrier()
    finally:
        torch_dist.destroy_process_group()


def _attempt_store(info: Dist, env: Mapping[str, str]) -> torch_dist.Store:
    """The rendezvous store, with keys private to this restart attempt.

    Under torchrun the agent's store outlives a restart; without a per-attempt prefix the
    restarted workers read the addresses the killed ones published and fail to connect
    ("Gloo connectFullMesh failed ... Connection refused").
    """
    try:
        host, port = env["MASTER_ADDR"], int(env["MASTER_PORT"])
    except (KeyError, ValueError):
        raise DistributedError("MASTER_ADDR and MASTER_PORT must name the rendezvous host and port "
                               "(torchrun sets them)") from None
    agent_hosts_it = env.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    store = torch_dist.TCPStore(host, port, info.world_size, is_master=not agent_hosts_it and info.rank == 0,
                                timeout=_STORE_TIMEOUT)
    return torch_dist.PrefixStore(f"magvit/attempt-{env.get('TORCHELASTIC_RESTART_COUNT', '0')}", store)


_STORE_TIMEOUT = datetime.timedelta(minutes=10)


def die_with_parent() -> bool:
    """Ask Linux to SIGKILL this worker when its parent (the torchrun agent) dies; True when set.

    torchrun starts each worker in a session of its own, so killing torchrun's process group
    (what `audit drill` and a scheduler do) would leave the workers training on as orphans,
    writing into the run directory beside the next attempt. A worker whose parent is
    already gone when this runs kills itself at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import signal

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)
    return True


_PR_SET_PDEATHSIG = 1


# ----------------------------------------------------------------------------- data


def shard(global_batch: torch.Tensor, dist: Dist) -> torch.Tensor:
    """This rank's chunk of a global batch (chunks differ in size by at most one; some may be empty)."""
    if not dist.enabled:
        return global_batch
    return torch.tensor_split(global_batch, dist.world_size)[dist.rank]


def global_batch_size(batch_size: int, dist: Dist) -> int:
    """Clips per optimizer step over all ranks."""
    return batch_size * dist.world_size


# ----------------------------------------------------------------------------- collectives


def broadcast_object(obj: Any, dist: Dist) -> Any:
    """Rank 0's `obj` on every rank."""
    if not dist.enabled:
        return obj
    box = [obj]
    torch_dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_objects(obj: Any, dist: Dist) -> list[Any]:
    """Every rank's `obj`, in rank order, on every rank."""
    if not dist.enabled:
        return [obj]
    out: list[Any] = [None] * dist.world_size
    torch_dist.all_gather_object(out, obj)
    return out


def agree(*, main_says: bool, any_says: bool, dist: Dist) -> tuple[bool, bool]:
    """(rank 0's `main_says`, whether any rank's `any_says`) on every rank, in one all-reduce."""
    if not dist.enabled:
        return main_says, any_says
    flags = torch.tensor([int(main_says and dist.is_main), int(any_says)], dtype=torch.int64)
    torch_dist.all_reduce(flags, op=torch_dist.ReduceOp.MAX)
    return bool(flags[0]), bool(flags[1])


def average_gradients(model: torch.nn.Module, n_local: int, n_global: int, dist: Dist) -> None:
    """Replace each gradient by the clip-weighted mean over ranks (a missing gradient counts as zero)."""
    if not dist.enabled:
        return
    params = [p for p in model.parameters() if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads]).mul_(n_local)
    torch_dist.all_reduce(flat)
    flat.div_(n_global)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset:offset + n].view_as(p).clone()
        offset += n


def broadcast_buffers(model: torch.nn.Module, dist: Dist) -> None:
    """Rank 0's buffers (EMA codebook, usage counts) on every rank, as DDP's broadcast_buffers does."""
    if not dist.enabled:
        return
    for buffer in model.buffers():
        torch_dist.broadcast(buffer, src=0)


def weighted_mean(values: Mapping[str, float], n_local: int, n_global: int, dist: Dist) -> dict[str, float]:
    """The clip-weighted mean over ranks of each value; a rank with no clips contributes nothing.

    A rank with no clips has no values to name: the names come from rank 0 (which always
    has clips, being first in tensor_split) whenever the global batch is smaller than the
    group, a fact every rank knows without asking.
    """
    if not dist.enabled:
        return dict(values)
    names = list(values)
    if n_global < dist.world_size:
        names = broadcast_object(names, dist)
    local = torch.tensor([float(values.get(name, 0.0)) * n_local for name in names], dtype=torch.float64)
    torch_dist.all_reduce(local)
    return {name: float(total) / n_global for name, total in zip(names, local)}


# ----------------------------------------------------------------------------- heartbeats


class RankHeartbeat:
    """Writes RUN_DIR/heartbeats/rank-<r>.json atomically every interval: this rank is alive at this step."""

    def __init__(self, run_dir: str | Path, dist: Dist, interval_s: float) -> None:
        self.path = Path(run_dir) / HEARTBEAT_DIR / f"rank-{dist.rank}.json"
        self.dist, self.interval_s = dist, float(interval_s)
        self.step = 0
        self.state = "running"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RankHeartbeat:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.beat()
        self._thread = threading.Thread(target=self._run, name="magvit-rank-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 2 * self.interval_s))
        self.state = "failed" if exc_type is not None else "stopped"
        self.beat()

    def beat(self) -> None:
        """Rewrite this rank's heartbeat file now; a failed write is not worth stopping training for."""
        data = {
            "format": HEARTBEAT_FORMAT, "rank": self.dist.rank, "world_size": self.dist.world_size,
            "local_rank": self.dist.local_rank, "pid": os.getpid(), "host": socket.gethostname(),
            "state": self.state, "step": self.step, "heartbeat_time": time.time(),
            "heartbeat_interval_s": self.interval_s,
        }  # fmt: skip
        with contextlib.suppress(OSError):
            atomic_write_json(self.path, data)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()


# ----------------------------------------------------------------------------- ranks other than 0


class QuietEventLog:
    """The EventLog of a rank other than 0: events are built but never written."""

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"ts": time.time(), "event": event, **fields}

    def read(self) -> list[dict[str, Any]]:
        return []


class QuietProgress:
    """The ProgressReporter of a rank other than 0: same calls, no files (its heartbeat is RankHeartbeat)."""

    def __init__(self, log_every: int) -> None:
        self.log_every = log_every

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def should_log(self, step: int) -> bool:
        return False

    def update(self, **_: Any) -> None:
        return None

    def log_batch(self, **_: Any) -> str:
        return ""

    def checkpoint_saved(self, manifest: Any) -> None:
        return None

    def checkpoint_failed(self, **_: Any) -> None:
        return None

    def stop_heartbeat(self) -> None:
        return None

    def close(self, state: str = "finished") -> None:
        return None
