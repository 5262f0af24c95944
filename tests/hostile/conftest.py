"""Hostile projects and runs, built at test time, audited in a child process that is measured.

`audit_child` runs `python -m auditor check` on a project in a real child process and reads
that child's own resource usage with `os.wait4` (peak RSS, from `resource`'s rusage; see
_measure.py for why a small launcher forks it), with a hard time limit. One audit writes every output format (`--format json` on stdout and
`--output` for the others), so each test checks all formats for a byte of the secret that
lies outside the project. The bounds (10 s, 300 MB) are bounds, not benchmark figures.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed_project"
SECRET = "S3CRET-0f-the-host-not-the-project"
TIME_BOUND_S = 10.0
RSS_BOUND_MB = 300.0
FORMATS = ("terminal", "markdown", "sarif", "junit")


@dataclass(frozen=True)
class Outcome:
    """What one audit in a child process did."""

    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]  # format -> text (json is stdout)
    seconds: float
    peak_rss_mb: float

    @property
    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, *self.outputs.values()])

    def assert_bounded(self) -> None:
        assert self.seconds < TIME_BOUND_S, f"the audit took {self.seconds:.1f} s"
        assert self.peak_rss_mb < RSS_BOUND_MB, f"the audit's peak RSS was {self.peak_rss_mb:.0f} MB"

    def assert_no_secret(self) -> None:
        leaked = [fmt for fmt, text in {"stdout": self.stdout, "stderr": self.stderr, **self.outputs}.items()
                  if SECRET in text or "S3CRET" in text]
        assert not leaked, f"a byte of a file outside the project reached: {leaked}"


def _obey_permission_bits() -> None:
    """preexec_fn: drop the capabilities by which root ignores file modes (bounding set, before exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_child(argv: list[str], *, cwd: Path, obey_permissions: bool = False,
              timeout_s: float = TIME_BOUND_S * 3) -> tuple[int, str, str, float, float]:
    """(exit code, stdout, stderr, seconds, peak RSS MB) of one child, measured by _measure.py with
    os.wait4; the whole process group is killed at `timeout_s` (a hang fails, it does not block)."""
    out_path, err_path, result = cwd / ".child.out", cwd / ".child.err", cwd / ".child.json"
    result.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", COLUMNS="200")
    launcher = [sys.executable, str(Path(__file__).with_name("_measure.py")), str(result), "--", *argv]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(launcher, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True,
                                preexec_fn=_obey_permission_bits if obey_permissions and os.geteuid() == 0 else None)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = lambda p: p.read_bytes().decode("utf-8", "replace")  # noqa: E731
    if not result.exists():
        return -9, text(out_path), text(err_path), timeout_s, 0.0
    measured = json.loads(result.read_text(encoding="utf-8"))
    _log_measurement(measured)
    return (measured["exit_code"], text(out_path), text(err_path), measured["seconds"],
            measured["peak_rss_kb"] / 1024.0)


def _log_measurement(measured: dict) -> None:
    """With HOSTILE_MEASURE_LOG set, append this child's wall and CPU seconds and peak RSS to that
    file, one line per child named by its test: how close each test runs to the bounds."""
    log = os.environ.get("HOSTILE_MEASURE_LOG")
    if log:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{test}\t{measured['seconds']:.2f} s\t{measured['cpu_seconds']:.2f} s CPU\t"
                     f"{measured['peak_rss_kb'] / 1024.0:.0f} MB\n")


def audit_child(project: Path, *extra: str, obey_permissions: bool = False) -> Outcome:
    """`audit check` on `project` in a measured child: json on stdout, every other format to files."""
    outdir = project.parent / f"out-{project.name}"
    outdir.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "auditor", "check", "--project", str(project), "--format", "json",
            "--date", "2026-03-01", *extra]
    for fmt in FORMATS:
        argv += ["--output", f"{fmt}={outdir / fmt}"]
    code, stdout, stderr, seconds, rss = run_child(argv, cwd=project.parent, obey_permissions=obey_permissions)
    outputs = {fmt: (outdir / fmt).read_text(encoding="utf-8") for fmt in FORMATS if (outdir / fmt).exists()}
    return Outcome(code, stdout, stderr, outputs, seconds, rss)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the project whose content must never appear in any output."""
    folder = tmp_path / "host"
    folder.mkdir()
    path = folder / "shadow"
    path.write_text(f"root:{SECRET}:19000:0:99999:7:::\n", encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the seed project (a foreign one-file training script with tests, JUnit, TDD and a run)."""
    dest = tmp_path / "project"
    shutil.copytree(SEED, dest, symlinks=True)
    return dest


def sparse(path: Path, size: int, head: bytes = b"", tail: bytes = b"") -> None:
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
        if tail:
            fh.seek(0, os.SEEK_END)
            fh.write(tail)


def replace_with_fifo(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)


def replace_with_link(path: Path, target: Path | str) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)
