"""Regenerate systemd_svc's JUnit file and its run folder (runs/prod/).

    /work/sidevenv/bin/python /work/holdout10/_make/systemd_svc.py             # tests + run
    /work/sidevenv/bin/python /work/holdout10/_make/systemd_svc.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. systemd cannot run here, so this script plays it for deploy/trainer.service plus the
   deploy/staging.conf drop-in, by reading the unit: WorkingDirectory=/srv/svctrain is the
   project folder; the Environment= lines (unit, then drop-in) plus what systemd itself sets
   (NOTIFY_SOCKET on a real datagram socket this script reads, WATCHDOG_USEC from
   WatchdogSec=, WATCHDOG_PID, INVOCATION_ID); ExecStart= run as written, its interpreter
   /srv/svctrain/.venv/bin/python being this venv's python; stdout and stderr appended to the
   StandardOutput=append: file. "Started" is logged when READY=1 arrives (Type=notify).
   Once two interval checkpoints are in the log, 20 s later the process gets a real SIGKILL;
   as Restart=on-failure says, after RestartSec= the very same command starts again and
   runs to --max-steps. What systemd would log about the unit goes to
   runs/prod/systemd-journal.txt.
3. Every file under the project with its mtime into _mtimes/systemd_svc.json.
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "systemd_svc"
MTIMES = HOLDOUT / "_mtimes" / "systemd_svc.json"
UNIT = PROJECT / "deploy" / "trainer.service"
DROPIN = PROJECT / "deploy" / "staging.conf"
SRV = "/srv/svctrain"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
KILL_AFTER_S = 20


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=base_env(), check=True)


def read_unit(*paths):
    """[Service] keys in order; Environment= accumulates, others: the last one wins."""
    service, env = {}, {}
    for path in paths:
        section = None
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]":
                continue
            key, _, value = line.partition("=")
            if key == "Environment":
                name, _, val = value.partition("=")
                env[name] = val
            else:
                service[key] = value
    return service, env


def local(path):
    return path.replace(SRV, str(PROJECT))


class Journal:
    def __init__(self, path):
        self.path = path

    def __call__(self, msg):
        stamp = time.strftime("%b %d %H:%M:%S")
        with open(self.path, "a") as f:
            f.write(f"{stamp} staging systemd[1]: {msg}\n")
        print("journal:", msg)


class NotifySocket:
    """The receiving end of sd_notify, as systemd holds it for a Type=notify unit."""

    def __init__(self, folder):
        self.path = str(Path(folder) / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.ready = threading.Event()
        self.last_watchdog = None
        self.done = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.done:
            try:
                msg = self.sock.recv(256).decode()
            except socket.timeout:
                continue
            if "READY=1" in msg:
                self.ready.set()
            if "WATCHDOG=1" in msg:
                self.last_watchdog = time.time()


def start_main(service, env, notify_sock):
    argv = shlex.split(service["ExecStart"])
    if argv[0] == f"{SRV}/.venv/bin/python":
        argv[0] = sys.executable
    out_path = Path(local(service["StandardOutput"].removeprefix("append:")))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    watchdog_usec = int(float(service["WatchdogSec"]) * 1_000_000)
    proc_env = dict(base_env(), **{k: local(v) for k, v in env.items()},
                    NOTIFY_SOCKET=notify_sock.path, WATCHDOG_USEC=str(watchdog_usec),
                    INVOCATION_ID=uuid.uuid4().hex)
    for k in list(proc_env):
        if k.startswith("TRAINER_") and k not in env:
            del proc_env[k]
    out = open(out_path, "a")
    # WATCHDOG_PID must be the main pid: exec through sh so the pid is known beforehand
    proc = subprocess.Popen(["sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh", *argv],
                            cwd=local(service["WorkingDirectory"]), env=proc_env,
                            stdout=out, stderr=out)
    out.close()
    return proc, out_path


def wait_ready(proc, notify_sock, journal):
    while not notify_sock.ready.wait(0.2):
        if proc.poll() is not None:
            raise SystemExit("main process exited before READY=1")
    journal("Started trainer.service - svctrain tiny regression trainer.")
    notify_sock.ready.clear()


def run_service():
    run_dir = PROJECT / "runs"
    shutil.rmtree(run_dir, ignore_errors=True)
    service, env = read_unit(UNIT, DROPIN)
    restart_sec = float(service["RestartSec"])
    (run_dir / "prod").mkdir(parents=True)
    journal = Journal(run_dir / "prod" / "systemd-journal.txt")
    with tempfile.TemporaryDirectory() as tmp:
        notify_sock = NotifySocket(tmp)

        journal("Starting trainer.service - svctrain tiny regression trainer...")
        first, log_path = start_main(service, env, notify_sock)
        wait_ready(first, notify_sock, journal)
        deadline = time.time() + 420
        while log_path.read_text().count("saved (interval)") < 2:
            if first.poll() is not None or time.time() > deadline:
                raise SystemExit("first run ended before its second interval checkpoint")
            time.sleep(0.5)
        time.sleep(KILL_AFTER_S)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        journal("trainer.service: Main process exited, code=killed, status=9/KILL")
        journal("trainer.service: Failed with result 'signal'.")
        time.sleep(restart_sec)
        journal("trainer.service: Scheduled restart job, restart counter is at 1.")
        journal("Stopped trainer.service - svctrain tiny regression trainer.")
        journal("Starting trainer.service - svctrain tiny regression trainer...")
        second, _ = start_main(service, env, notify_sock)
        wait_ready(second, notify_sock, journal)
        rc = second.wait()
        notify_sock.done = True
        if rc != 0:
            raise SystemExit(f"second run failed ({rc}), see {log_path}")
        journal("trainer.service: Deactivated successfully.")
    print("done:", sorted(p.name for p in (run_dir / "prod" / "ckpt").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_service()
    record_mtimes()
